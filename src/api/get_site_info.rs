use crate::{catalogue::FormOptions, error::AppError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What every page needs to know about the deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// True when the built-in sandbox stands in for Unipile.
    pub sandbox: bool,
    /// Catalogue ids of the providers offered, in order.
    pub providers: Vec<String>,
    /// Base URL of the Arkose Labs client API the CAPTCHA step loads its script from (the sandbox's
    /// stand-in in sandbox mode).
    pub arkose_base_url: String,
    /// The optional form sections offered.
    pub forms: FormOptions,
    /// Host applications that may embed the flow, receive its events and its redirects.
    pub embed_origins: Vec<String>,
    /// A sign-in starts only from a signed link: the form's reconnect, state and return addresses are the
    /// link's, as the server gives them, not the page address's.
    #[serde(default)]
    pub signed_links: bool,
}

#[server(endpoint = "get_site_info")]
pub async fn get_site_info() -> Result<SiteInfo, AppError> {
    use crate::server::{request::RequestCx, state::Mode};
    let cx = RequestCx::get()?;
    Ok(SiteInfo {
        sandbox: matches!(cx.app.mode, Mode::Sandbox { .. }),
        providers: cx.app.settings.providers.clone(),
        arkose_base_url: cx.app.settings.arkose.base_url.clone(),
        forms: cx.app.settings.form_options(),
        embed_origins: cx.app.settings.embed.allowed_origins.clone(),
        signed_links: cx.app.links.is_some(),
    })
}
