//! Start-up, in the library so tests build exactly the router `main` serves.

use super::{
    session::CookieCodec,
    settings::{Secrets, Settings},
    state::{AppState, Mode},
};
use crate::app::{shell, App};
use axum::{routing::get, Router};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{generate_route_list, LeptosRoutes};
use secrecy::ExposeSecret;
use std::{sync::Arc, time::Duration};
use unipile_sandbox::{RunningSandbox, SandboxConfig};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("SESSION_SECRET must be at least 32 characters long (generate one with `openssl rand -hex 32`)")]
    WeakSessionSecret,
    #[error("SESSION_SECRET is required when UNIPILE_API_KEY is set (generate one with `openssl rand -hex 32`)")]
    MissingSessionSecret,
    #[error("the Unipile client could not be built: {0}")]
    Client(String),
    #[error("the sandbox could not start: {0}")]
    Sandbox(std::io::Error),
}

/// The running application: its router, its state and, in sandbox mode, the emulator it talks to.
pub struct Built {
    pub router: Router,
    pub state: AppState,
    /// Kept alive as long as the app: dropping it stops the emulator.
    pub sandbox: Option<RunningSandbox>,
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

pub async fn build(mut settings: Settings, secrets: Secrets, leptos_options: LeptosOptions) -> Result<Built, StartupError> {
    let (mode, api_key, sandbox) = match secrets.api_key {
        Some(key) => (Mode::Live, key, None),
        None => {
            let key = hex(&random_bytes::<16>());
            let sandbox = unipile_sandbox::spawn(SandboxConfig {
                api_key: key.clone(),
                intent_ttl: settings.checkpoint_lifetime(),
                in_app_approval_delay: Duration::from_millis(settings.sandbox.in_app_delay_ms),
                loading_delay: Duration::from_millis(settings.sandbox.loading_delay_ms),
                ..SandboxConfig::default()
            })
            .await
            .map_err(StartupError::Sandbox)?;
            (Mode::Sandbox { base_url: sandbox.base_url() }, key.into(), Some(sandbox))
        }
    };
    if let Mode::Sandbox { base_url } = &mode {
        // The page loads the CAPTCHA script from here, and the security headers allow this origin.
        settings.arkose.base_url = sandbox_arkose_base_url(base_url);
    }
    let settings = Arc::new(settings);
    let master: Vec<u8> = match (&mode, secrets.session_secret) {
        (_, Some(secret)) if secret.expose_secret().len() < 32 => return Err(StartupError::WeakSessionSecret),
        (_, Some(secret)) => secret.expose_secret().as_bytes().to_vec(),
        (Mode::Live, None) => return Err(StartupError::MissingSessionSecret),
        (Mode::Sandbox { .. }, None) => {
            tracing::info!("sandbox mode: SESSION_SECRET not set, a random one is used (flows end when the process stops)");
            random_bytes::<64>().to_vec()
        }
    };
    let base_url = match &mode {
        Mode::Live => settings.unipile.base_url.clone(),
        Mode::Sandbox { base_url } => base_url.clone(),
    };
    let client = unipile::Client::new(unipile::ClientConfig {
        base_url,
        api_key,
        connect_timeout: Duration::from_millis(settings.unipile.connect_timeout_ms),
        request_timeout: Duration::from_millis(settings.unipile.request_timeout_ms),
    })
    .map_err(|e| StartupError::Client(e.to_string()))?;
    let cookies = Arc::new(CookieCodec::new(&master, settings.cookie.secure, settings.checkpoint_lifetime()));
    let state = AppState { settings, client, cookies, mode, leptos_options };
    Ok(Built { router: router(state.clone()), state, sandbox })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
}

/// Where the sandbox serves its stand-in for the Arkose Labs client API.
pub fn sandbox_arkose_base_url(sandbox_base_url: &str) -> String {
    format!("{}/arkose", sandbox_base_url.trim_end_matches('/'))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
