//! Server-only code: settings, state, the flow cookie, error mapping, the flow service, rate limits,
//! the HTTP security layer and start-up.

pub mod clock;
pub mod demo;
pub mod errors;
pub mod flow;
pub mod limits;
pub mod links;
pub mod locale;
pub mod metrics;
pub mod notify;
pub mod outbox;
pub mod request;
pub mod security;
pub mod session;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
