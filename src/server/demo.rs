//! Sandbox mode's demo of a host application: `/demo/embed` embeds the flow in a frame or a popup and lists
//! the events it receives; `/demo/return` shows what a redirect (`success_url` / `failure_url`) brings back;
//! `/demo/link` plays the host's backend building a start link, signed with `LINK_SECRET` when signed links
//! are on (the demo page shows it before opening it).

use super::state::AppState;
use axum::{
    extract::{Query, State},
    http::{header, HeaderValue},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use html_escape::{encode_double_quoted_attribute, encode_text};

const EMBED_HTML: &str = include_str!("demo/embed.html");
const EMBED_JS: &str = include_str!("demo/embed.js");

/// Its own policy: its script, frames of this site only, its backend's links, and nobody may frame it.
const DEMO_CSP: &str =
    "default-src 'none'; script-src 'self'; connect-src 'self'; frame-src 'self'; style-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How long the demo's links last.
const DEMO_LINK_LIFETIME_SECS: u64 = 600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/demo/embed", get(embed_page))
        .route("/demo/embed.js", get(embed_script))
        .route("/demo/return", get(return_page))
        .route("/demo/link", get(link))
}

/// What the host's backend does for each user who links an account: a link to the flow of `provider` with
/// the user's `state`, signed when signed links are on (expiring in ten minutes, with a fresh nonce). It signs
/// for whoever asks, as a demo does: the route exists in sandbox mode only, where nothing real is linked.
async fn link(
    State(app): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let provider = crate::catalogue::find(param("provider"))
        .filter(|p| app.settings.is_offered(p.id))
        .map_or("linkedin", |p| p.id);
    let state = param("state");
    let url = match &app.links {
        Some(signer) => {
            let expires = (app.clock.now_secs() + DEMO_LINK_LIFETIME_SECS).to_string();
            let nonce = {
                use rand::Rng;
                format!("{:032x}", rand::rng().random::<u128>())
            };
            let mut signed = vec![("expires", expires.as_str()), ("nonce", nonce.as_str())];
            if !state.is_empty() {
                signed.push(("state", state));
            }
            signer.sign(provider, &signed)
        }
        None => crate::catalogue::page_url(provider, &[("state", Some(state))]),
    };
    let body = serde_json::json!({ "url": url, "signed": app.links.is_some() });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.to_string(),
    )
        .into_response()
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
                encode_text(k),
                encode_double_quoted_attribute(k),
                encode_text(v)
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
