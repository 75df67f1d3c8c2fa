//! Typed client for Unipile's v2 custom-authentication API (the "credentials flow").
//!
//! [`Client`] is the only code of the project that talks HTTP to Unipile. It sends
//! [`StartAuthIntent`] bodies, solves and switches checkpoints, and classifies every outcome
//! into an [`AuthResult`] or an [`UnipileError`]. Turning those errors into user-facing text is
//! left to the application.

mod client;
mod error;
mod http2;
mod lanes;
mod proxy;
mod request;
mod response;
mod wire_enum;

pub use client::{api_root, certificates_from_pem, Client, ClientConfig};
pub use error::{ApiError, ErrorType, UnipileError};
pub use proxy::Proxies;
pub use request::{
    Credentials, CustomProxy, Encryption, IntentConfig, MailServer, ProxyProtocol, StartAuthIntent,
};
pub use response::{
    consent_code, Account, AuthResult, Challenge, Channel, Checkpoint, Contract, PairingCode,
    Product, TwoFactorPlatform,
};
