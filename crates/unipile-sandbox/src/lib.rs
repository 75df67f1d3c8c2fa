//! Emulator of Unipile's v2 custom-authentication API, for the default run and for tests.
//!
//! Same HTTP contract as the real API (`X-API-KEY`, the four `/v2/auth/*` routes, Unipile's
//! error bodies), driven by magic credentials: password `pass_good`, checkpoint code `123456`,
//! and a username that picks the scenario (`user_2fa_sms`, `user_captcha`, `error_proxy_error`…).
//! Intents live in memory only. `GET /arkose/v2/{public_key}/api.js` serves a stand-in for the Arkose
//! Labs client API that draws the CAPTCHA of `user_captcha` (see `arkose.rs`).

mod arkose;
mod failure;
mod flow;
mod reset;
mod routes;
mod util;
mod validate;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::reset::{ResetHandle, ResettableListener};
use crate::routes::Sandbox;

/// Settings of the emulator; the delays are short in tests and realistic by default.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Value expected in `X-API-KEY`.
    pub api_key: String,
    /// Lifetime of an intent from its creation.
    pub intent_ttl: Duration,
    /// Time after an IN_APP_VALIDATION checkpoint is issued until the "user" approves it.
    pub in_app_approval_delay: Duration,
    /// Time after a LOADING checkpoint is issued until the next step is ready.
    pub loading_delay: Duration,
    /// How long `error_slow` takes to answer.
    pub slow_delay: Duration,
    /// Longest time a solve is held while waiting for an approval.
    pub long_poll_max: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            api_key: "sandbox-key".into(),
            intent_ttl: Duration::from_secs(5 * 60),
            in_app_approval_delay: Duration::from_secs(4),
            loading_delay: Duration::from_secs(2),
            slow_delay: Duration::from_secs(60),
            long_poll_max: Duration::from_secs(60),
        }
    }
}

/// One request received by the sandbox: its path, JSON body and user agent (a non-JSON body is kept as a
/// JSON string). Bodies hold the credentials as sent, which is what tests want to inspect.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub path: String,
    pub body: serde_json::Value,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

/// The whole emulator as a router, for embedding. Served this way, `error_reset` cannot drop
/// the connection and answers a truncated body instead; [`spawn`] does not have that limit.
pub fn router(config: SandboxConfig) -> axum::Router {
    routes::app(Arc::new(Sandbox::new(config)))
}

/// A sandbox serving on a tokio task; dropping it stops accepting connections.
pub struct RunningSandbox {
    pub addr: SocketAddr,
    sandbox: Arc<Sandbox>,
    connections: Arc<AtomicUsize>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`, the `base_url` for a client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sandbox.requests()
    }

    /// How many TCP connections clients have opened so far.
    pub fn connections_accepted(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server task may already be gone; nothing is left to stop then.
            let _ = shutdown.send(());
        }
    }
}

/// Serves the sandbox on `127.0.0.1` with a free port.
pub async fn spawn(config: SandboxConfig) -> io::Result<RunningSandbox> {
    spawn_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
}

/// Serves the sandbox on `addr` (port 0 picks a free one).
pub async fn spawn_on(addr: SocketAddr, config: SandboxConfig) -> io::Result<RunningSandbox> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let sandbox = Arc::new(Sandbox::new(config));
    let service =
        routes::app(Arc::clone(&sandbox)).into_make_service_with_connect_info::<ResetHandle>();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let connections = Arc::new(AtomicUsize::new(0));
    let listener = ResettableListener(listener, Arc::clone(&connections));
    tokio::spawn(async move {
        // axum's serve only returns once shut down; accept errors are retried inside.
        let _ = axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(RunningSandbox {
        addr,
        sandbox,
        connections,
        shutdown: Some(shutdown),
    })
}
