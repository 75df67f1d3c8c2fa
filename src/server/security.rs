//! The HTTP layers around the app ([`around`]): tower-http's request id, request log and security
//! headers, then [`front_door`] for what is this product's own: refusal of cross-site posts, the body
//! limit, the page's language, the page deadline and the caching rule. The Content-Security-Policy with a
//! per-response nonce is set where the page is rendered, see [`ContentSecurityPolicy`].

use super::{locale, session::RefusalLogged, state::AppState};
use crate::error::AppError;
use crate::{i18n::Locale, origin::origin_of, text, tx};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, Method, Response, StatusCode},
    middleware::{from_fn_with_state, Next},
    response::IntoResponse,
    Router,
};
use leptos_i18n::Locale as _;
use std::{future::Future, time::Duration};
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use tracing::Span;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const SERVED_BY: HeaderName = HeaderName::from_static("x-served-by");

/// The layers every request goes through, outermost first:
/// - a request id: a well-formed `x-request-id` from a proxy is kept, anything else replaced by a new
///   UUID; the answer carries it back;
/// - a log span `request{id, method, path}` around everything the request does, and one `served` line
///   with its status and time (the path only: a query string may carry an account id);
/// - the headers every answer gets, refusals included: no MIME sniffing, no referrer, HSTS on an https
///   site, the replica's name when configured;
/// - [`front_door`].
pub fn around(router: Router, app: &AppState) -> Router {
    // Browsers then refuse plain http to this host and its subdomains for a year, so no one on the network
    // can strip https or plant a cookie over http. The proxy in front terminates TLS, so the request cannot
    // say whether it came over https: the operator's declaration (the cookie setting) does.
    let hsts = app.cookies.is_secure().then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    let served_by = HeaderValue::from_str(&app.settings.server.instance)
        .ok()
        .filter(|name| !name.is_empty())
        .map(|name| SetResponseHeaderLayer::overriding(SERVED_BY, name));
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_malformed_request_id)
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request| {
                        let id = request
                            .headers()
                            .get(&REQUEST_ID)
                            .and_then(|id| id.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
                    })
                    .on_request(())
                    .on_response(|response: &Response<Body>, took: Duration, _: &Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            elapsed_ms = took.as_millis() as u64,
                            "served"
                        );
                    })
                    .on_failure(()),
            )
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .option_layer(hsts)
            .option_layer(served_by)
            .layer(from_fn_with_state(app.clone(), front_door)),
    )
}

/// An `x-request-id` that is not 8 to 64 letters, digits or `-` is removed, to be replaced by a new one:
/// the id goes into every log line of the request.
fn drop_malformed_request_id(mut request: Request) -> Request {
    let well_formed = request.headers().get(&REQUEST_ID).map(|id| {
        (8..=64).contains(&id.len())
            && id
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    });
    if well_formed == Some(false) {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

/// What the server does around each request besides the layers of [`around`]: refusal of cross-site
/// posts, the body limit, the page's language, the page deadline, and the caching rule and fallback
/// policy of pages and server functions.
///
/// A browser waiting for an in-app approval holds this future for the whole wait, so it keeps only what
/// it needs after the inner service answers: the request goes into a future of its own that reads the
/// body, and the checks and headers are plain functions.
pub fn front_door(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> impl Future<Output = Response<Body>> {
    request.extensions_mut().insert(RefusalLogged::default());
    let is_api = request.uri().path().starts_with("/api/");
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let admitting = Box::pin(admit(app.clone(), is_api, request));
    async move {
        let mut response = match admitting.await {
            Ok((request, choice)) => {
                let mut response = if is_api {
                    next.run(request).await
                } else {
                    let deadline = app.settings.page_deadline();
                    Box::pin(within_deadline(
                        deadline,
                        choice.locale,
                        &id,
                        next.run(request),
                    ))
                    .await
                };
                locale::remember(&app, choice, &mut response);
                response
            }
            Err(refusal) => refusal,
        };
        headers(&app, is_api, &mut response);
        response
    }
}

/// A page (any answer that is not a server function's) not ready by `deadline`: a page saying to reload,
/// with the request id for support, and a warning. Pages take milliseconds, or as long as a wait for an
/// in-app approval that one holds without JavaScript; a page still not drawn at the deadline is stuck (its
/// data will not come), and without one the browser would wait for it with no end.
async fn within_deadline(
    deadline: Duration,
    locale: Locale,
    id: &str,
    answer: impl Future<Output = Response<Body>>,
) -> Response<Body> {
    match tokio::time::timeout(deadline, answer).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                deadline_secs = deadline.as_secs(),
                "page not ready by its deadline: answered 503"
            );
            page_too_slow(locale, id)
        }
    }
}

/// The page [`within_deadline`] answers: no script or style of its own, in the reader's language.
fn page_too_slow(locale: Locale, id: &str) -> Response<Body> {
    let heading = tx!(slow_page.heading).get(locale);
    let lead = text::fill(tx!(slow_page.lead).get(locale), &[("reference", id)]);
    let reload = tx!(slow_page.reload).get(locale);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{heading}</title></head>\
         <body><main><h1>{heading}</h1><p role=\"alert\">{lead}</p><p><a href=\"\">{reload}</a></p></main></body></html>\n",
        lang = locale.as_str(),
        heading = html_escape::encode_text(heading),
        lead = html_escape::encode_text(&lead),
        reload = html_escape::encode_text(reload),
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// The request with its body read and the page's language chosen, or the answer refusing it.
async fn admit(
    app: AppState,
    is_api: bool,
    request: Request,
) -> Result<(Request, locale::Choice), Response<Body>> {
    if is_cross_site(&app, &request) {
        return Err((
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Cross-site request refused.\n",
        )
            .into_response());
    }
    let mut request = limit_body(&app, is_api, request).await?;
    let choice = locale::choose(&mut request);
    Ok((request, choice))
}

/// A state-changing request that a browser says comes from another site: `Sec-Fetch-Site` must be
/// `same-origin` or `none` (typed by the user) when present, and `Origin` must be this site when present
/// (`null` counts only when `Sec-Fetch-Site` vouches for the request).
/// Requests with neither header (non-browser clients, very old browsers) pass: the SameSite=Strict flow
/// cookie already keeps them from riding on a user's sign-in.
fn is_cross_site(app: &AppState, request: &Request) -> bool {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return false;
    }
    let headers = request.headers();
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.to_str().unwrap_or("invalid"));
    let site_ok = fetch_site.is_none_or(|site| site == "same-origin" || site == "none");
    let origin_ok = match headers.get(header::ORIGIN) {
        None => true,
        // Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` even for a form posted from this
        // very site; then the browser's own `Sec-Fetch-Site` (which pages cannot forge) decides.
        Some(origin) if origin.as_bytes() == b"null" => fetch_site.is_some() && site_ok,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            // A TLS-terminating proxy hides the scheme from us: https is always this site, plain http only
            // while the cookie is not marked Secure.
            let schemes: &[&str] = if app.cookies.is_secure() {
                &["https"]
            } else {
                &["https", "http"]
            };
            origin
                .to_str()
                .ok()
                .zip(host)
                .is_some_and(|(origin, host)| {
                    let host = host.to_ascii_lowercase();
                    origin_of(origin)
                        .is_some_and(|o| schemes.iter().any(|s| o == format!("{s}://{host}")))
                })
        }
    };
    if site_ok && origin_ok {
        return false;
    }
    tracing::warn!(
        sec_fetch_site = fetch_site.unwrap_or("-"),
        "cross-site request refused"
    );
    true
}

/// Reads request bodies up to `limits.max_body_bytes` (413 beyond) and refuses server-function bodies
/// that are not UTF-8 (400), so server functions only ever see a bounded, decodable body.
async fn limit_body(
    app: &AppState,
    is_api: bool,
    request: Request,
) -> Result<Request, Response<Body>> {
    let limit = app.settings.limits.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        ));
    }
    // Server functions here take url-encoded text whatever the declared content type.
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        ));
    };
    if is_api && std::str::from_utf8(&bytes).is_err() {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "the request body is not valid UTF-8",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A refusal in the shape of a failed server function, so the page can decode and show it.
fn refused(status: StatusCode, reason: &str) -> Response<Body> {
    let body = serde_json::to_string(&AppError::BadRequest(reason.to_owned())).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Nothing cached for pages and server functions (pages carry a per-response nonce and flow state), and a
/// strict policy on any HTML page that was not rendered with its own.
fn headers(app: &AppState, is_api: bool, response: &mut Response<Body>) {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    if is_api || is_html {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(value) = HeaderValue::from_str(&app.csp.header(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// The Content-Security-Policy of the pages: scripts only from this site (the inline hydration script
/// carries the response's nonce) and the CAPTCHA provider, wasm compilation allowed, frames as configured.
#[derive(Clone, Debug)]
pub struct ContentSecurityPolicy {
    /// Origins allowed for scripts, frames, styles, images and connections besides this site.
    external: Vec<String>,
    frame_ancestors: String,
    /// `cargo leptos watch` reloads pages over a WebSocket on another port.
    dev_reload: bool,
}

impl ContentSecurityPolicy {
    pub fn new(external: Vec<String>, frame_ancestors: &[String], dev_reload: bool) -> Self {
        let frame_ancestors = if frame_ancestors.is_empty() {
            "'none'".to_owned()
        } else {
            frame_ancestors.join(" ")
        };
        let mut external = external;
        external.sort();
        external.dedup();
        ContentSecurityPolicy {
            external,
            frame_ancestors,
            dev_reload,
        }
    }

    pub fn header(&self, nonce: Option<&str>) -> String {
        let ext = self
            .external
            .iter()
            .map(|o| format!(" {o}"))
            .collect::<String>();
        let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
        let reload = if self.dev_reload { " ws: wss:" } else { "" };
        format!(
            "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'{ext}; connect-src 'self'{ext}{reload}; \
             frame-src 'self'{ext}; style-src 'self'{ext}; img-src 'self' data:{ext}; font-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {}",
            self.frame_ancestors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_this_site_the_nonce_and_the_captcha_origin_only() {
        let csp = ContentSecurityPolicy::new(
            vec!["https://client-api.arkoselabs.com".into()],
            &[],
            false,
        );
        let header = csp.header(Some("abc"));
        assert!(header.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval' https://client-api.arkoselabs.com;"), "{header}");
        assert!(header.contains("frame-ancestors 'none'"), "{header}");
        assert!(
            !header.contains("unsafe-inline") && !header.contains("ws:"),
            "{header}"
        );
        let framed = ContentSecurityPolicy::new(vec![], &["https://app.example.com".into()], true)
            .header(None);
        assert!(
            framed.ends_with("frame-ancestors https://app.example.com")
                && framed.contains(" ws: wss:"),
            "{framed}"
        );
    }
}
