//! Start-up, in the library so tests build exactly the router `main` serves.

use super::{
    clock::Clock,
    limits::Limits,
    links::StartLinks,
    notify::Notifier,
    outbox::{MemoryOutbox, Outbox, RedisOutbox},
    security::{self, ContentSecurityPolicy},
    session::CookieCodec,
    settings::{Secrets, Settings},
    state::{AppState, Mode, Shared},
    store::{FlowRecords, MemoryStore, RedisStore, StoreError},
};
use crate::{
    app::{shell, App},
    origin::origin_of,
};
use axum::{
    extract::State,
    http::{header, HeaderValue, Response, StatusCode},
    routing::get,
    serve::ListenerExt,
    Router,
};
use leptos::{
    config::LeptosOptions,
    nonce::use_nonce,
    prelude::{provide_context, use_context},
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes, ResponseOptions};
use secrecy::ExposeSecret;
use std::{future::Future, sync::OnceLock, time::Duration};
use tower::Layer;
use tower_http::{
    compression::{
        predicate::{DefaultPredicate, Predicate, SizeAbove},
        CompressionLayer, CompressionLevel,
    },
    services::{fs::ServeFileSystemResponseBody as ServeBody, ServeDir},
    set_header::{SetResponseHeader, SetResponseHeaderLayer},
};
use unipile_sandbox::{RunningSandbox, SandboxConfig};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("SESSION_SECRET must be at least 32 characters long (generate one with `openssl rand -hex 32`)")]
    WeakSessionSecret,
    #[error("SESSION_SECRET is required when UNIPILE_API_KEY is set (generate one with `openssl rand -hex 32`)")]
    MissingSessionSecret,
    #[error("METRICS_TOKEN must be at least 24 characters long (generate one with `openssl rand -hex 24`)")]
    WeakMetricsToken,
    #[error("the Unipile client could not be built: {0}")]
    Client(String),
    #[error("unipile.base_url (UNIPILE_BASE_URL) is http://, and Unipile is served over https only: use https://, or set unipile.allow_http = true (CF_UNIPILE__ALLOW_HTTP=true) for a local emulator")]
    PlainHttp,
    #[error("the sandbox could not start: {0}")]
    Sandbox(std::io::Error),
    #[error("REDIS_URL cannot be used: {0}")]
    Store(StoreError),
    #[error("{0}")]
    Notify(#[from] super::notify::NotifyError),
    #[error("access.signed_links is on (the default in live mode) but LINK_SECRET is not set: set LINK_SECRET (at least 32 characters, `openssl rand -hex 32`) in the environment or .env, the key your backend signs start links with; or set access.signed_links = false to let anyone who reaches this server link accounts")]
    MissingLinkSecret,
    #[error("LINK_SECRET must be at least 32 characters long (generate one with `openssl rand -hex 32`)")]
    WeakLinkSecret,
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

/// The certificates of `unipile.extra_root_certificates`, or why they cannot be used.
fn extra_roots(path: &str) -> Result<Vec<Vec<u8>>, StartupError> {
    let refused = |reason: String| {
        StartupError::Client(format!(
            "unipile.extra_root_certificates ({path}): {reason}; give a PEM file of certificate \
             authorities, or leave the setting out"
        ))
    };
    let pem = std::fs::read(path).map_err(|e| refused(format!("cannot be read: {e}")))?;
    unipile::certificates_from_pem(&pem).map_err(|e| match e {
        unipile::UnipileError::InvalidConfig(reason) => refused(reason),
        other => refused(other.to_string()),
    })
}

pub async fn build(
    mut settings: Settings,
    secrets: Secrets,
    leptos_options: LeptosOptions,
) -> Result<Built, StartupError> {
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
            (
                Mode::Sandbox {
                    base_url: sandbox.base_url(),
                },
                key.into(),
                Some(sandbox),
            )
        }
    };
    if let Mode::Sandbox { base_url } = &mode {
        // The page loads the CAPTCHA script from here, and the security headers allow this origin.
        settings.arkose.base_url = sandbox_arkose_base_url(base_url);
    }
    let master: Vec<u8> = match (&mode, secrets.session_secret) {
        (_, Some(secret)) if secret.expose_secret().len() < 32 => {
            return Err(StartupError::WeakSessionSecret)
        }
        (_, Some(secret)) => secret.expose_secret().as_bytes().to_vec(),
        (Mode::Live, None) => return Err(StartupError::MissingSessionSecret),
        (Mode::Sandbox { .. }, None) => {
            tracing::info!("sandbox mode: SESSION_SECRET not set, a random one is used (flows end when the process stops)");
            random_bytes::<64>().to_vec()
        }
    };
    let metrics_token = secrets.metrics_token;
    if metrics_token
        .as_ref()
        .is_some_and(|t| t.expose_secret().len() < 24)
    {
        return Err(StartupError::WeakMetricsToken);
    }
    let base_url = match &mode {
        Mode::Live => settings.unipile.base_url.clone(),
        Mode::Sandbox { base_url } => base_url.clone(),
    };
    // The API key would cross the network in clear.
    if matches!(mode, Mode::Live)
        && !settings.unipile.allow_http
        && unipile::api_root(&base_url).is_ok_and(|url| url.scheme() == "http")
    {
        return Err(StartupError::PlainHttp);
    }
    let extra_root_certificates = match &settings.unipile.extra_root_certificates {
        Some(path) => extra_roots(path)?,
        None => Vec::new(),
    };
    let client = unipile::Client::new(unipile::ClientConfig {
        extra_root_certificates,
        connect_timeout: Duration::from_millis(settings.unipile.connect_timeout_ms.get()),
        request_timeout: Duration::from_millis(settings.unipile.request_timeout_ms.get()),
        calls_per_connection: settings.unipile.calls_per_connection.get(),
        idle_timeout: Duration::from_millis(settings.unipile.idle_timeout_ms.get()),
        cleartext_http2: settings.unipile.cleartext_http2 || matches!(mode, Mode::Sandbox { .. }),
        user_agent: concat!("credentials-flow/", env!("CARGO_PKG_VERSION")).to_owned(),
        ..unipile::ClientConfig::new(base_url, api_key)
    })
    .map_err(|e| StartupError::Client(e.to_string()))?;
    let cookies = CookieCodec::new(
        &master,
        settings.secure_cookies(matches!(mode, Mode::Live)),
        settings.checkpoint_lifetime(),
    );
    // The CAPTCHA script comes from Arkose Labs, or in sandbox mode from the emulator's stand-in.
    let mut external: Vec<String> = origin_of(&settings.arkose.base_url).into_iter().collect();
    if let Mode::Sandbox { base_url } = &mode {
        external.extend(origin_of(base_url));
    }
    let dev_reload = std::env::var_os("LEPTOS_WATCH").is_some();
    let csp = ContentSecurityPolicy::new(external, &settings.embed.allowed_origins, dev_reload);
    let limits = Limits::new(&settings.limits, &master);
    let clock = Clock::default();
    let store: Box<dyn FlowRecords> = match &secrets.redis_url {
        Some(url) => Box::new(RedisStore::new(url.expose_secret()).map_err(StartupError::Store)?),
        None => Box::new(MemoryStore::new(clock.clone())),
    };
    tracing::info!(store = store.name(), "flow records");
    // Pending notifications are kept beside the flow records; a day past their give-up time at most.
    let outbox: Box<dyn Outbox> = match &secrets.redis_url {
        Some(url) => Box::new(
            RedisOutbox::new(
                url.expose_secret(),
                Duration::from_secs(settings.notify.give_up_after_secs.get() + 86_400),
            )
            .map_err(StartupError::Store)?,
        ),
        None => Box::new(MemoryOutbox::default()),
    };
    let replica = hex(&random_bytes::<8>());
    // A sign-in links at most once within its record's lifetime: its event id is remembered that long.
    let remember = settings.checkpoint_lifetime() + Duration::from_secs(600);
    let notifier = Notifier::new(
        &settings.notify,
        secrets.notify_secret,
        outbox,
        remember,
        replica.clone(),
    )?;
    if notifier.enabled() {
        tracing::info!(
            store = store.name(),
            "notifications of linked accounts go to notify.url"
        );
    }
    let live = matches!(mode, Mode::Live);
    let links = match (settings.signed_links(live), secrets.link_secret) {
        (_, Some(key)) if key.expose_secret().len() < 32 => {
            return Err(StartupError::WeakLinkSecret)
        }
        (true, None) => return Err(StartupError::MissingLinkSecret),
        (true, Some(key)) => Some(StartLinks::new(
            key,
            settings.access.max_link_lifetime_secs.get(),
        )),
        (false, _) => None,
    };
    if links.is_some() {
        tracing::info!(
            max_lifetime_secs = settings.access.max_link_lifetime_secs.get(),
            "sign-ins start only from links signed with LINK_SECRET"
        );
    } else if live {
        tracing::warn!("access.signed_links = false in live mode: anyone who can reach this server can link accounts to your Unipile application");
    }
    let state = AppState::new(Shared {
        settings,
        client,
        cookies,
        mode,
        leptos_options,
        limits,
        clock,
        store,
        replica,
        holders: Default::default(),
        csp,
        sandbox_probe: OnceLock::new(),
        metrics: Default::default(),
        metrics_token,
        notifier,
        links,
    });
    Notifier::spawn_sender(state.clone());
    Ok(Built {
        router: router(state.clone()),
        state,
        sandbox,
    })
}

/// The app's pages, worked out once per process. leptos lists them by drawing `App` with resource loading
/// held back for the whole process (a global flag), and a page being drawn elsewhere in the process whose
/// data starts loading in that moment never finishes (leptos-rs/leptos#4773). The list depends only on
/// `App`, so the first router built works it out, before any page of the process can be drawn, and every
/// later one (another instance, a test's app) reuses it.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let options = state.leptos_options.clone();
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            // Pages get a nonce from leptos_axum; their scripts carry it and the policy names it.
            if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
                if let Ok(value) = HeaderValue::from_str(&state.csp.header(Some(&nonce))) {
                    response.insert_header(header::CONTENT_SECURITY_POLICY, value);
                }
            }
        }
    };
    let demo = match state.mode {
        Mode::Sandbox { .. } => super::demo::routes(),
        Mode::Live => Router::new(),
    };
    let metrics = match state.metrics_token {
        Some(_) => Router::new().route("/metrics", get(metrics)),
        None => Router::new(),
    };
    let pkg = format!("/{}", options.site_pkg_dir);
    let front = front_end_files(&options);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/connect/{provider}/exit", get(super::notify::exit))
        .merge(demo)
        .merge(metrics)
        .nest_service(&pkg, front)
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .with_state(state.clone());
    security::around(app, &state).layer(compression())
}

/// The wasm, JavaScript and CSS of the pages. A release build made with `cargo leptos build --release -P`
/// leaves brotli and gzip copies beside each file, sent as they are to browsers that accept them. With hashed
/// file names (`hash-files`) a name never changes content, so browsers keep the files for a year.
fn front_end_files(
    options: &LeptosOptions,
) -> SetResponseHeader<
    SetResponseHeader<ServeDir, HeaderValue>,
    impl Fn(&Response<ServeBody>) -> Option<HeaderValue> + Clone,
> {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let lifetime = HeaderValue::from_static(if options.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    });
    let cache_control = move |response: &Response<ServeBody>| {
        response.status().is_success().then(|| lifetime.clone())
    };
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    // Caches must key a file on the encodings the client accepts, whichever copy was sent.
    let files = SetResponseHeaderLayer::if_not_present(
        header::VARY,
        HeaderValue::from_static("accept-encoding"),
    )
    .layer(files);
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, cache_control).layer(files)
}

/// Compresses what has no precompressed copy, pages above all, with gzip at level 4. Small answers (most
/// server functions) are not worth it. Not brotli: on a 7 KB page it saves about 100 bytes over gzip but
/// costs some 15 % of the render's CPU (bench/README.md). Static files keep their precompressed brotli
/// copies: they already carry a Content-Encoding, which this layer leaves alone.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024)))
}

/// The counters of [`super::metrics`], for a bearer of `METRICS_TOKEN` (the route exists only with one).
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Response<String> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let allowed = state
        .metrics_token
        .as_ref()
        .is_some_and(|t| super::metrics::authorized(given, t.expose_secret()));
    let (status, content_type, body) = if allowed {
        (
            StatusCode::OK,
            super::metrics::CONTENT_TYPE,
            state.metrics.render(),
        )
    } else {
        (
            StatusCode::UNAUTHORIZED,
            "text/plain; charset=utf-8",
            "The metrics need the bearer token set in METRICS_TOKEN (Authorization: Bearer <token>).\n"
                .to_owned(),
        )
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if !allowed {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Ready to serve: settings were valid and the client was built (or start-up would have failed); in
/// sandbox mode the emulator must also answer.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    // Without its store the server refuses every sign-in: not ready, and the store is named.
    if let Err(e) = state.store.ping().await {
        tracing::warn!(store = state.store.name(), cause = %e, "not ready: the flow store does not answer");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the flow store (REDIS_URL) does not answer\n",
        );
    }
    let Mode::Sandbox { base_url } = &state.mode else {
        return (StatusCode::OK, "ready\n");
    };
    // One client for every probe: building one loads the TLS roots, too much for each probe of an
    // orchestrator asking every few seconds. Each probe connects afresh: an open connection would
    // say nothing of whether the emulator still accepts new ones.
    let probe = state.sandbox_probe.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(0)
            .build()
            .ok()
    });
    match probe {
        Some(probe) if probe.get(base_url).send().await.is_ok() => (StatusCode::OK, "ready\n"),
        _ => {
            tracing::warn!("not ready: the sandbox does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the sandbox does not answer\n",
            )
        }
    }
}

/// Serves `router` until `shutdown` completes, then lets requests in flight finish for at most `deadline`.
/// Returns false when the deadline cut some of them off.
///
/// Every accepted connection sends without Nagle's delay (`TCP_NODELAY`): an answer written in more than
/// one piece (a streamed page, HTTP/2 frames of several requests) would otherwise wait for the client's
/// delayed acknowledgement, up to 40 ms on Linux.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    deadline: Duration,
) -> std::io::Result<bool> {
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = listener.tap_io(|connection| {
        if let Err(err) = connection.set_nodelay(true) {
            tracing::debug!(%err, "TCP_NODELAY could not be set on a connection");
        }
    });
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping.send(());
    });
    let expired = async move {
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!(
            deadline_secs = deadline.as_secs_f64(),
            "shutting down: finishing requests in flight"
        );
        tokio::time::sleep(deadline).await;
    };
    tokio::select! {
        served = server => served.map(|()| true),
        () = expired => {
            tracing::warn!("shutdown deadline passed: requests still in flight were cut off");
            Ok(false)
        }
    }
}

/// Where the sandbox serves its stand-in for the Arkose Labs client API.
pub fn sandbox_arkose_base_url(sandbox_base_url: &str) -> String {
    format!("{}/arkose", sandbox_base_url.trim_end_matches('/'))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
