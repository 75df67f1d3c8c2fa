//! Provider forms: a generic one driven by the catalogue, and named components where the guide names them.

mod linkedin;
mod provider_form;

pub use linkedin::LinkedInLogin;
pub use provider_form::ProviderForm;
