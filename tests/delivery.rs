//! How pages travel: compressed with gzip when the browser accepts it (brotli is kept for the precompressed
//! static files), never cached, and said to vary with the encoding; sent without Nagle's delay.
#![cfg(feature = "ssr")]

mod common;

use common::{browser, options, sandbox_secrets, spawn_app};
use credentials_flow::server::{settings::Settings, startup::build};
use std::{net::SocketAddr, time::Duration};

#[tokio::test]
async fn pages_are_gzipped_for_browsers_that_accept_it_and_plain_otherwise() {
    let app = spawn_app(Settings::default()).await;
    // Built without reqwest's decompression features: the bytes are read as sent.
    let client = reqwest::Client::new();
    let page = |encoding: &'static str| {
        client
            .get(format!("{}/connect/linkedin", app.base))
            .header("accept", "text/html")
            .header("accept-encoding", encoding)
            .send()
    };

    let plain = page("identity").await.expect("page");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.expect("body").len();

    for accepted in ["gzip, deflate, br, zstd", "gzip"] {
        let compressed = page(accepted).await.expect("page");
        let headers = compressed.headers().clone();
        assert_eq!(headers["content-encoding"], "gzip", "{accepted}");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(
            headers.get_all("vary").iter().any(|v| v
                .to_str()
                .unwrap_or_default()
                .to_ascii_lowercase()
                .contains("accept-encoding")),
            "{headers:?}"
        );
        let body = compressed.bytes().await.expect("body");
        assert!(
            body.len() * 2 < plain_len,
            "{} of {plain_len} bytes",
            body.len()
        );
    }
}

/// Every TCP connection of this process with an end on one of `ports`: its two addresses and whether it
/// sends without Nagle's delay (`TCP_NODELAY`). Listening sockets have no peer and are left out.
fn connections_on(ports: &[u16]) -> Vec<(SocketAddr, SocketAddr, bool)> {
    use std::os::fd::BorrowedFd;
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
        let Some(fd) = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<i32>().ok())
        else {
            continue;
        };
        let is_socket = std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: the descriptor is open (listed just now) and only borrowed to read its options; the
        // connections it may belong to stay open while the test holds its clients and the app.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&fd);
        let (Some(local), Some(peer)) = (
            socket.local_addr().ok().and_then(|a| a.as_socket()),
            socket.peer_addr().ok().and_then(|a| a.as_socket()),
        ) else {
            continue;
        };
        if ports.contains(&local.port()) || ports.contains(&peer.port()) {
            let no_delay = socket.tcp_nodelay().expect("TCP_NODELAY readable");
            found.push((local, peer, no_delay));
        }
    }
    found
}

/// A response or HTTP/2 frames written in more than one piece would otherwise wait for the other side's
/// delayed acknowledgement (up to 40 ms on Linux): the app's connections from browsers, its connections to
/// Unipile, and the emulator's side of those all send at once.
#[tokio::test]
async fn every_connection_to_and_from_the_app_sends_without_nagles_delay() {
    let app = spawn_app(Settings::default()).await;
    let app_port = reqwest::Url::parse(&app.base)
        .ok()
        .and_then(|url| url.port())
        .expect("the app's port");
    let sandbox_port = app
        .built
        .sandbox
        .as_ref()
        .expect("sandbox mode")
        .addr
        .port();
    let client = browser();
    let page = client
        .get(format!("{}/connect/linkedin", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status().as_u16(), 200);
    let signed_in = client
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "application/json")
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("provider", "linkedin"),
            ("username", "user_good"),
            ("password", "pass_good"),
        ])
        .send()
        .await
        .expect("sign-in");
    assert_eq!(signed_in.status().as_u16(), 200);
    assert!(signed_in
        .text()
        .await
        .expect("answer")
        .contains("Connected"));

    let connections = connections_on(&[app_port, sandbox_port]);
    let accepted_by = |port: u16| {
        connections
            .iter()
            .filter(move |(local, _, _)| local.port() == port)
    };
    assert!(
        accepted_by(app_port).count() > 0 && accepted_by(sandbox_port).count() > 0,
        "the browser's connection to the app and the app's to the emulator are open: {connections:?}"
    );
    let delayed: Vec<_> = connections
        .iter()
        .filter(|(_, _, no_delay)| !no_delay)
        .collect();
    assert!(
        delayed.is_empty(),
        "connections with Nagle's delay: {delayed:?}"
    );
}

/// Building another app in the same process (a second instance, a test suite's apps) while one serves pages
/// does not stall the pages being drawn: leptos works an app's routes out by drawing it with every resource
/// held back, through a flag that is global to the process, and a page whose data started loading in that
/// moment never finished.
#[test]
fn pages_keep_being_served_while_another_app_is_built() {
    let serving = tokio::runtime::Runtime::new().expect("runtime");
    let app = serving.block_on(spawn_app(Settings::default()));
    let builds = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        for _ in 0..40 {
            runtime.block_on(async {
                build(Settings::default(), sandbox_secrets(), options())
                    .await
                    .expect("app builds")
            });
        }
    });
    let client = browser();
    let mut pages = 0;
    serving.block_on(async {
        while !builds.is_finished() || pages < 40 {
            let page = client
                .get(format!("{}/connect/linkedin", app.base))
                .header("accept", "text/html")
                .send();
            let response = tokio::time::timeout(Duration::from_secs(10), async {
                page.await.expect("page").text().await.expect("body")
            })
            .await
            .unwrap_or_else(|_| panic!("page {pages} stalled while another app was built"));
            assert!(
                response.contains("Connect your LinkedIn account"),
                "page {pages}"
            );
            pages += 1;
        }
    });
    builds.join().expect("builds");
}
