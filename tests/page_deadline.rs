//! A page that cannot be drawn is answered at `server.page_deadline_secs` with a page that says what happened
//! and to reload, in the reader's language, and the server goes on serving. A test binary of its own: the
//! page is stalled through leptos's switch that holds back every resource of the process.
#![cfg(feature = "ssr")]

mod common;

use common::{browser, spawn_app};
use credentials_flow::server::settings::Settings;
use leptos::server::SuppressResourceLoad;
use std::time::Duration;

#[tokio::test]
async fn a_page_that_cannot_be_drawn_is_answered_at_the_deadline_with_a_way_forward() {
    let mut settings = Settings::default();
    settings.flow.wait_secs = 1u64.try_into().expect("not 0");
    settings.server.page_deadline_secs = 2;
    let app = spawn_app(settings).await;
    let client = browser();
    let page = || {
        client
            .get(format!("{}/connect/linkedin", app.base))
            .header("accept", "text/html")
            .header("accept-language", "fr-FR,fr;q=0.9")
            .timeout(Duration::from_secs(20))
            .send()
    };

    // Its data never comes: without the deadline this request would not be answered.
    let held_back = SuppressResourceLoad::new();
    let stalled = page().await.expect("an answer");
    drop(held_back);
    assert_eq!(stalled.status().as_u16(), 503);
    let headers = stalled.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.contains_key("content-security-policy"));
    let reference = headers["x-request-id"].to_str().unwrap().to_owned();
    let html = stalled.text().await.expect("body");
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(
        html.contains("<h1>Cette page a mis trop de temps à se charger</h1>"),
        "{html}"
    );
    assert!(html.contains("Rechargez la page pour réessayer"), "{html}");
    assert!(html.contains(&reference), "the support reference: {html}");
    assert!(
        html.contains("<a href=\"\">Recharger la page</a>"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");

    // The server goes on serving: the same page, once its data can come.
    let drawn = page().await.expect("an answer");
    assert_eq!(drawn.status().as_u16(), 200);
    assert!(drawn
        .text()
        .await
        .expect("body")
        .contains("name=\"password\""));
}
