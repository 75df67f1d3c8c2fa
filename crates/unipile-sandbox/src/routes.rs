//! HTTP handlers: record, authenticate, validate, then hand over to [`Flows`].

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, USER_AGENT};
use axum::http::{Extensions, HeaderMap, Method, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body::Frame;
use serde_json::{json, Value};

use crate::failure::{
    kind_for_suffix, Failure, EXPIRED_AUTHORIZATION, INVALID_CREDENTIALS, INVALID_PARAMETERS,
    MISSING_AUTHORIZATION, RESOURCE_NOT_FOUND,
};
use crate::flow::{Flows, Solve};
use crate::reset::ResetHandle;
use crate::{validate, RecordedRequest, SandboxConfig};

pub(crate) struct Sandbox {
    flows: Flows,
    requests: Mutex<Vec<RecordedRequest>>,
}

impl Sandbox {
    pub(crate) fn new(config: SandboxConfig) -> Sandbox {
        Sandbox {
            flows: Flows::new(config),
            requests: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records the request, checks the API key, then parses the JSON body.
    fn accept(&self, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Value, Failure> {
        self.admit(uri, headers, body)?
            .map_err(|e| Failure::invalid(format!("The body is not valid JSON: {e}")))
    }

    /// Records the request and checks the API key; the body may not be JSON.
    fn admit(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<serde_json::Result<Value>, Failure> {
        let parsed = serde_json::from_slice::<Value>(body);
        let recorded = match &parsed {
            Ok(value) => value.clone(),
            Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
        };
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RecordedRequest {
                path: uri.path().to_owned(),
                body: recorded,
                user_agent: headers
                    .get(USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            });

        match headers.get("x-api-key") {
            None => {
                return Err(Failure::new(
                    MISSING_AUTHORIZATION,
                    "The X-API-KEY header is missing.",
                ))
            }
            Some(key) if key.as_bytes() != self.flows.config().api_key.as_bytes() => {
                return Err(Failure::new(
                    EXPIRED_AUTHORIZATION,
                    "The API key in X-API-KEY is invalid or expired.",
                ))
            }
            Some(_) => {}
        }
        Ok(parsed)
    }
}

pub(crate) fn app(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/v2/auth/intent", post(start_intent))
        .route("/v2/auth/checkpoint", post(solve_checkpoint))
        .route("/v2/auth/checkpoint/request", post(request_checkpoint))
        .route("/v2/auth/checkpoint/resend", post(resend_checkpoint))
        .route(
            "/arkose/v2/{public_key}/api.js",
            get(crate::arkose::client_api),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(sandbox)
}

type Answer = Result<Response, Failure>;

async fn start_intent(
    State(sandbox): State<Arc<Sandbox>>,
    version: Version,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Answer {
    let body = sandbox.accept(&uri, &headers, &body)?;
    let request = validate::intent(&body)?;
    // `user_good@example.com` plays `user_good`, so e-mail logins (IMAP) reach every scenario.
    let user = request
        .user
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    if let Some(suffix) = user.strip_prefix("error_") {
        match suffix {
            "slow" => tokio::time::sleep(sandbox.flows.config().slow_delay).await,
            "html" => return Ok(html_page()),
            "truncated" => return Ok(json_bytes(r#"{"object":"Account","id":"acc_"#)),
            "empty" => return Ok(json_bytes("")),
            "huge" => return Ok(huge_body()),
            "redirect" => return Ok(redirect()),
            "reset" => return Ok(reset(version, &extensions)),
            _ => {
                if let Some(shape) = suffix.strip_prefix("shape_") {
                    if let Some(response) = odd_error_body(shape) {
                        return Ok(response);
                    }
                }
                if let Some(kind) = kind_for_suffix(suffix) {
                    return Err(Failure::new(
                        kind,
                        scenario_detail(suffix, &request.provider),
                    ));
                }
            }
        }
    }
    if let Some(proxy) = &request.proxy {
        proxy_scenario(proxy)?;
    }
    if request.autodetect && request.user.ends_with(MANUAL_MAIL_DOMAIN) {
        return Err(Failure::new(
            INVALID_PARAMETERS,
            scenario_detail("invalid_parameters", "imap"),
        ));
    }
    if !request.secret_ok {
        return Err(Failure::new(
            INVALID_CREDENTIALS,
            "The provider rejected the credentials.",
        ));
    }
    Ok(Json(sandbox.flows.start(request, &user)).into_response())
}

/// Mailboxes of this domain cannot be detected: they link only with explicit IMAP and SMTP servers.
pub(crate) const MANUAL_MAIL_DOMAIN: &str = "@manual-mail.test";

/// Proxy hosts that fail, and proxy logins that are refused (a username with any password but
/// `pass_good`); any other proxy works.
fn proxy_scenario(proxy: &validate::ProxyRequest) -> Result<(), Failure> {
    let kind = match proxy.host.as_str() {
        "broken-proxy.test" => kind_for_suffix("proxy_error"),
        "slow-proxy.test" => kind_for_suffix("proxy_timeout"),
        _ if proxy.login == Some(false) => kind_for_suffix("proxy_auth_error"),
        _ => None,
    };
    match kind {
        Some(kind) => Err(Failure::new(
            kind,
            format!("Sandbox proxy scenario for {}.", proxy.host),
        )),
        None => Ok(()),
    }
}

async fn solve_checkpoint(
    State(sandbox): State<Arc<Sandbox>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let body = sandbox.accept(&uri, &headers, &body)?;
    let (intent_id, code) = validate::solve(&body)?;
    let answer = match sandbox.flows.solve(&intent_id, &code)? {
        Solve::Answer(answer) => answer,
        Solve::Wait {
            wake,
            ready_at,
            generation,
        } => {
            tokio::time::sleep_until(wake.into()).await;
            sandbox
                .flows
                .finish_wait(&intent_id, ready_at, generation)?
        }
    };
    Ok(Json(answer).into_response())
}

async fn request_checkpoint(
    State(sandbox): State<Arc<Sandbox>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let body = sandbox.accept(&uri, &headers, &body)?;
    let (intent_id, challenge) = validate::request(&body)?;
    let answer = sandbox.flows.request(&intent_id, challenge.as_deref())?;
    Ok(Json(answer).into_response())
}

async fn resend_checkpoint(
    State(sandbox): State<Arc<Sandbox>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let body = sandbox.accept(&uri, &headers, &body)?;
    let intent_id = validate::resend(&body)?;
    sandbox.flows.resend(&intent_id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn not_found(
    State(sandbox): State<Arc<Sandbox>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    // Any body will do: the route is unknown either way.
    let _ = sandbox.admit(&uri, &headers, &body)?;
    Err(Failure::new(
        RESOURCE_NOT_FOUND,
        format!(
            "{method} {} is not a route of this sandbox (it serves POST /v2/auth/intent, /v2/auth/checkpoint, /v2/auth/checkpoint/request, /v2/auth/checkpoint/resend and GET /arkose/v2/{{public_key}}/api.js)",
            uri.path()
        ),
    ))
}

fn scenario_detail(suffix: &str, provider: &str) -> String {
    if suffix == "invalid_parameters" && provider == "imap" {
        "The IMAP and SMTP settings of this mailbox could not be detected. Use the full authentication with explicit servers.".into()
    } else {
        format!("Sandbox scenario error_{suffix}.")
    }
}

/// What a misbehaving proxy in front of Unipile would answer.
fn html_page() -> Response {
    let mut response = (
        StatusCode::BAD_GATEWAY,
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    )
        .into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A wrong password answered in one of the shapes error bodies take besides the documented one
/// (`error_shape_<shape>`); `no_type` is a rate limit whose body says nothing but its status.
fn odd_error_body(shape: &str) -> Option<Response> {
    let (status, body) = match shape {
        "no_title" => (
            401,
            json!({"object": "Error", "type": "provider/invalid_credentials", "status": 401}),
        ),
        "nulls" => (
            401,
            json!({"object": "Error", "type": "provider/invalid_credentials", "status": 401, "title": null, "detail": null, "req_id": null}),
        ),
        "detail_object" => (
            401,
            json!({"object": "Error", "type": "provider/invalid_credentials", "status": 401, "title": "Invalid credentials", "detail": {"field": "password", "reason": "rejected"}}),
        ),
        "detail_array" => (
            401,
            json!({"object": "Error", "type": "provider/invalid_credentials", "status": 401, "title": "Invalid credentials", "detail": [{"field": "password"}, "rejected"]}),
        ),
        "no_object" => (
            401,
            json!({"type": "provider/invalid_credentials", "status": 401, "title": "Invalid credentials"}),
        ),
        "no_type" => (429, json!({"status": 429, "message": "Slow down"})),
        _ => return None,
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some((status, Json(body)).into_response())
}

/// 5 MiB of valid JSON: more than a client should ever read from Unipile.
fn huge_body() -> Response {
    let filler = "x".repeat(5 * 1024 * 1024);
    Json(json!({"object": "Account", "id": "acc_huge", "provider": "linkedin", "status": "running", "name": filler}))
        .into_response()
}

/// Sends the call elsewhere, as a hijacked or misconfigured front would: a client that follows it
/// sends the API key and the body a second time.
fn redirect() -> Response {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(LOCATION, "/v2/auth/intent?redirected=1")],
    )
        .into_response()
}

/// A 200 JSON response with exactly these bytes (possibly broken JSON).
fn json_bytes(body: &'static str) -> Response {
    (StatusCode::OK, [(CONTENT_TYPE, "application/json")], body).into_response()
}

/// Drops the connection without answering when served by [`crate::spawn`] over HTTP/1.1. Over HTTP/2 the
/// connection carries other clients' calls too, so only this call's stream is reset, right after its
/// status line. A router served by other means has no handle, and falls back to a truncated body.
fn reset(version: Version, extensions: &Extensions) -> Response {
    if version == Version::HTTP_2 {
        return Response::new(Body::new(ResetStream));
    }
    match extensions.get::<ConnectInfo<ResetHandle>>() {
        Some(ConnectInfo(handle)) => {
            handle.trigger();
            StatusCode::OK.into_response()
        }
        None => json_bytes(r#"{"object":"Acc"#),
    }
}

/// A body that fails at once: hyper resets the stream it was being sent on.
struct ResetStream;

impl HttpBody for ResetStream {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::ErrorKind::ConnectionReset.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_for_imap_autodetect() {
        assert!(scenario_detail("invalid_parameters", "imap").contains("IMAP"));
        assert_eq!(
            scenario_detail("proxy_error", "linkedin"),
            "Sandbox scenario error_proxy_error."
        );
    }

    #[test]
    fn records_every_request_then_checks_the_key() {
        let sandbox = Sandbox::new(SandboxConfig::default());
        let uri = Uri::from_static("/v2/auth/intent");
        let missing = sandbox.accept(&uri, &HeaderMap::new(), b"{\"a\":1}");
        assert!(missing.is_err_and(|f| f.kind() == MISSING_AUTHORIZATION));

        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", axum::http::HeaderValue::from_static("wrong"));
        let wrong = sandbox.accept(&uri, &headers, b"not json");
        assert!(wrong.is_err_and(|f| f.kind() == EXPIRED_AUTHORIZATION));

        headers.insert(
            "x-api-key",
            axum::http::HeaderValue::from_static("sandbox-key"),
        );
        let bad_json = sandbox.accept(&uri, &headers, b"{");
        assert!(bad_json.is_err_and(|f| f.detail().contains("not valid JSON")));

        let recorded = sandbox.requests();
        assert_eq!(recorded.len(), 3);
        assert_eq!(recorded[0].body, serde_json::json!({"a": 1}));
        assert_eq!(recorded[1].body, Value::String("not json".into()));
        assert_eq!(recorded[2].path, "/v2/auth/intent");
    }
}
