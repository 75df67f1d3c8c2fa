//! Server-only code: settings, state, the flow cookie, error mapping, the flow service and start-up.

pub mod errors;
pub mod flow;
pub mod request;
pub mod session;
pub mod settings;
pub mod startup;
pub mod state;
