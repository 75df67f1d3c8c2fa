//! What every request can reach: settings, the one Unipile client, the cookie codec, the clock, the flow
//! store, the rate limits and the page policy.

use super::{
    clock::Clock, limits::Limits, security::ContentSecurityPolicy, session::CookieCodec,
    settings::Settings, store::FlowRecords,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::{Arc, OnceLock};

/// Whether the app talks to Unipile or to the built-in sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Live,
    /// The emulator runs in-process at this base URL.
    Sandbox {
        base_url: String,
    },
}

/// One pointer to [`Shared`]: cloned several times per request (extractors, page contexts), so a clone
/// is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub settings: Settings,
    pub client: unipile::Client,
    pub cookies: CookieCodec,
    pub mode: Mode,
    pub leptos_options: LeptosOptions,
    pub limits: Limits,
    /// The time cooldowns, lifetimes, rate-limit windows and the in-process store's expiries are read
    /// from; the in-process store holds a clone of it.
    pub clock: Clock,
    /// The flow records and limit counters: in this process, or in Redis shared by every replica.
    pub store: Box<dyn FlowRecords>,
    /// This process among the replicas: the holder named on the wait leases it takes.
    pub replica: String,
    /// The upstream waits this replica holds.
    pub holders: super::flow::Holders,
    pub csp: ContentSecurityPolicy,
    /// The HTTP client `/readyz` asks the sandbox with, made on the first probe.
    pub sandbox_probe: OnceLock<Option<reqwest::Client>>,
    pub metrics: super::metrics::Metrics,
    /// `METRICS_TOKEN`: `/metrics` answers only a bearer of it, and is not served without one.
    pub metrics_token: Option<secrecy::SecretString>,
    /// Tells the host's backend of each linked account, and signs the return links.
    pub notifier: super::notify::Notifier,
    /// With `access.signed_links`: `LINK_SECRET` and what a start link must satisfy. `None`: pages are open.
    pub links: Option<super::links::StartLinks>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
