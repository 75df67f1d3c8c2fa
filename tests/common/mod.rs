//! What the HTTP test files share: the app served on port 0, a browser-like client, and the server
//! functions' answers decoded into the app's types.
#![allow(dead_code)] // each test file uses its own part of this module

pub mod client;
pub mod logs;
pub mod redis_server;

use credentials_flow::server::{
    settings::{Secrets, Settings},
    startup::{build, serve, Built},
};
use leptos::config::LeptosOptions;
use std::time::Duration;

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
pub fn sandbox_secrets() -> Secrets {
    Secrets::default()
}

pub async fn spawn_app(settings: Settings) -> TestApp {
    spawn_with(settings, sandbox_secrets()).await
}

/// Keeps cookies like a browser and does not follow redirects, so tests can see them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}
