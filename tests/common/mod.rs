//! What the HTTP test files share: the app served on port 0, and a browser-like client.
#![allow(dead_code)] // each test file uses its own part of this module

use credentials_flow::server::{
    settings::{Secrets, Settings},
    startup::{build, serve, Built},
};
use leptos::config::LeptosOptions;
use std::time::Duration;

/// Held for the whole of each HTTP test, so the tests of a file run one at a time. Run concurrently on the
/// test harness's threads (one tokio runtime each, in one process), a page render now and then never
/// completes; the server itself, one runtime serving many requests at once, is exercised concurrently by the
/// end-to-end suite, the scale-out check and the benchmarks.
/// A tokio lock, since it is held across awaits; a test that panics while holding it releases it.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// [`one_at_a_time`] for a test that runs its own runtime.
pub fn one_at_a_time_blocking() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.blocking_lock()
}

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The app, served on a free loopback port.
pub struct TestApp {
    pub base: String,
    pub built: Built,
}

pub fn options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("credentials-flow")
        .site_root("target/site")
        .build()
}

pub async fn spawn_with(settings: Settings, secrets: Secrets) -> TestApp {
    let built = build(settings, secrets, options())
        .await
        .expect("app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Served as `main` serves it; the test's runtime ending stops it.
    let router = built.router.clone();
    tokio::spawn(async move {
        serve(
            listener,
            router,
            std::future::pending(),
            Duration::from_secs(1),
        )
        .await
        .expect("serve");
    });
    TestApp {
        base: format!("http://{addr}"),
        built,
    }
}

/// Sandbox mode: no API key, a generated session secret.
pub async fn spawn_app(settings: Settings) -> TestApp {
    spawn_with(
        settings,
        Secrets {
            api_key: None,
            session_secret: None,
        },
    )
    .await
}

/// Keeps cookies like a browser and does not follow redirects, so tests can see them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}
