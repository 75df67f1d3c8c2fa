//! How pages travel: compressed with gzip when the browser accepts it (brotli is kept for the precompressed
//! static files), never cached, and said to vary with the encoding.
#![cfg(feature = "ssr")]

mod common;

use common::{one_at_a_time, spawn_app};
use credentials_flow::server::settings::Settings;

#[tokio::test]
async fn pages_are_gzipped_for_browsers_that_accept_it_and_plain_otherwise() {
    let _serial = one_at_a_time().await;
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
