//! Sandbox mode's demo of a host application: `/demo/embed` embeds the flow in a frame or a popup and lists
//! the events it receives; `/demo/return` shows what a redirect (`success_url` / `failure_url`) brings back.

use crate::catalogue::escape_html;
use axum::{
    extract::Query,
    http::{header, HeaderValue},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};

const EMBED_HTML: &str = include_str!("demo/embed.html");
const EMBED_JS: &str = include_str!("demo/embed.js");

/// Its own policy: its script, frames of this site only, and nobody may frame it.
const DEMO_CSP: &str =
    "default-src 'none'; script-src 'self'; frame-src 'self'; style-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/demo/embed", get(embed_page))
        .route("/demo/embed.js", get(embed_script))
        .route("/demo/return", get(return_page))
}

fn with_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DEMO_CSP),
    );
    response
}

async fn embed_page() -> Response {
    with_policy(Html(EMBED_HTML).into_response())
}

async fn embed_script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        EMBED_JS,
    )
        .into_response()
}

async fn return_page(Query(params): Query<Vec<(String, String)>>) -> Response {
    let rows: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<dt>{}</dt><dd data-param=\"{}\">{}</dd>",
                escape_html(k),
                escape_html(k),
                escape_html(v)
            )
        })
        .collect();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Back in the host application (demo)</title></head>\
         <body><main><h1>Back in the host application</h1><p>The flow sent the browser here with:</p><dl>{rows}</dl>\
         <p><a href=\"/\">Connect another account</a></p></main></body></html>"
    );
    with_policy(Html(body).into_response())
}
