use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, ErrorType, UnipileError};
use crate::http2;
use crate::proxy::Proxies;
use crate::request::StartAuthIntent;
use crate::response::AuthResult;

/// The largest answer body read, on every path; Unipile's answers are a few kilobytes.
pub(crate) const MAX_BODY: usize = 4 * 1024 * 1024;

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, e.g. `https://api.unipile.com`; a trailing `/` or `/v2` is allowed, any other
    /// path is refused (see [`api_root`]).
    pub base_url: String,
    pub api_key: SecretString,
    pub connect_timeout: Duration,
    /// Default timeout of a whole call; [`Client::solve_checkpoint`] can override it.
    pub request_timeout: Duration,
    /// Speak HTTP/2 without TLS to an `http://` base URL (h2c, e.g. the sandbox). Over `https://`,
    /// HTTP/2 is negotiated with the server whatever this says.
    pub cleartext_http2: bool,
    /// Most calls one connection carries at once. Over HTTP/2 calls share connections; a wait for an
    /// in-app approval holds its call open, so past this many, or past the streams the server allows
    /// a connection if it allows fewer, the client opens another connection rather than queue a call
    /// behind the waits in flight. 0 is taken as 1.
    pub calls_per_connection: usize,
    /// How long a connection nobody uses is kept: past it the next call opens a new one, since a
    /// router on the way may have dropped it silently.
    pub idle_timeout: Duration,
    /// Certificates (DER) trusted as roots besides the built-in web PKI ones, e.g. the authority
    /// of a TLS-inspecting proxy between this server and Unipile.
    pub extra_root_certificates: Vec<Vec<u8>>,
    /// Sent as `User-Agent` with every call, so that Unipile can tell whose calls these are.
    pub user_agent: String,
    /// The proxies calls go through, on every path (HTTP/1.1 and HTTP/2).
    pub proxies: Proxies,
}

impl ClientConfig {
    /// The settings every deployment starts from: 5 s to connect, 30 s per call, 100 calls per
    /// connection, connections unused for 90 s closed, HTTP/2 only where negotiated, proxies from
    /// the environment.
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            api_key,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            cleartext_http2: false,
            calls_per_connection: 100,
            idle_timeout: Duration::from_secs(90),
            extra_root_certificates: Vec::new(),
            user_agent: concat!("credentials-flow/", env!("CARGO_PKG_VERSION")).to_owned(),
            proxies: Proxies::from_env(),
        }
    }
}

/// Unipile's API root for a configured base URL: `https://api.unipile.com`, with or without a
/// trailing `/` or `/v2`, is `https://api.unipile.com`, to which the client adds `/v2/auth/...`.
/// Any other path, a query, a fragment or credentials in the URL are refused, since they would
/// send every call somewhere else than the operator meant.
pub fn api_root(base_url: &str) -> Result<reqwest::Url, UnipileError> {
    let refuse = |why: String| {
        UnipileError::InvalidConfig(format!(
            "base_url {why}; give the scheme and host only, e.g. https://api.unipile.com \
             (a trailing / or /v2 is allowed)"
        ))
    };
    let mut url = reqwest::Url::parse(base_url.trim())
        .map_err(|e| refuse(format!("is not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(refuse("must start with https:// and name a host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("must not carry a user name or password".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("must not have a query or a fragment".into()));
    }
    match url.path().trim_end_matches('/') {
        "" | "/v2" => {}
        path => {
            return Err(refuse(format!(
                "has the path {path}, which is not Unipile's API"
            )))
        }
    }
    url.set_path("");
    Ok(url)
}

/// Client of the auth endpoints. Cheap to clone: clones share their connections.
///
/// Calls go over HTTP/2 where the server speaks it (negotiated over TLS, or `cleartext_http2`),
/// many to a connection, and over HTTP/1.1 otherwise. No call that may have reached Unipile is
/// sent again, because none of them is idempotent (a retried solve could consume a code or start
/// a second intent); one that provably did not (its connection was closing, or the server refused
/// its stream unprocessed) is sent once more on another connection.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    endpoints: Endpoints,
    request_timeout: Duration,
    /// The HTTP/2 connections; `None` when the origin is known to speak HTTP/1.1 only.
    http2: Option<http2::Lanes>,
    /// Set when a TLS handshake chose HTTP/1.1: every later call goes over `http1`.
    http1_only: AtomicBool,
    /// Calls over HTTP/1.1: to an origin without HTTP/2, or through a proxy a tunnel cannot cross.
    http1: reqwest::Client,
}

/// The four endpoints' URLs, parsed once.
#[derive(Debug)]
struct Endpoints {
    intent: Endpoint,
    checkpoint: Endpoint,
    checkpoint_request: Endpoint,
    checkpoint_resend: Endpoint,
}

#[derive(Debug)]
struct Endpoint {
    url: reqwest::Url,
    uri: http::Uri,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, UnipileError> {
        let root = api_root(&config.base_url)?;
        let https = root.scheme() == "https";
        let endpoint = |path: &str| {
            let mut url = root.clone();
            url.set_path(path);
            let uri = url
                .as_str()
                .parse::<http::Uri>()
                .map_err(|_| UnipileError::InvalidConfig("base_url is not a usable URL".into()))?;
            Ok::<_, UnipileError>(Endpoint { url, uri })
        };
        let endpoints = Endpoints {
            intent: endpoint("/v2/auth/intent")?,
            checkpoint: endpoint("/v2/auth/checkpoint")?,
            checkpoint_request: endpoint("/v2/auth/checkpoint/request")?,
            checkpoint_resend: endpoint("/v2/auth/checkpoint/resend")?,
        };
        let key = config.api_key.expose_secret();
        if key.is_empty() {
            return Err(UnipileError::InvalidConfig("api_key is empty".into()));
        }
        let mut key = HeaderValue::from_str(key).map_err(|_| {
            UnipileError::InvalidConfig(
                "api_key contains characters not allowed in a header".into(),
            )
        })?;
        // Keeps the key out of HTTP/2 header compression tables and debug output.
        key.set_sensitive(true);

        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&config.user_agent).map_err(|_| {
                UnipileError::InvalidConfig("user_agent is not a valid header value".into())
            })?,
        );

        // One TLS setup for both protocols, made whatever the scheme (HTTP/1.1 may still be
        // redirected to https), so that a certificate that is no root is refused here.
        let tls = tls_config(&config.extra_root_certificates)?;
        let mut http1_tls = (*tls).clone();
        http1_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let origin_uri = root
            .as_str()
            .parse::<http::Uri>()
            .map_err(|_| UnipileError::InvalidConfig("base_url is not a usable URL".into()))?;
        let proxy = config.proxies.for_origin(&origin_uri);
        // HTTP/2 through a proxy needs a CONNECT tunnel to an https origin via a plain-HTTP proxy;
        // any other proxied call goes over reqwest, which speaks to every kind of proxy.
        let tunnel = match proxy {
            Some(proxy) if https && proxy.uri().scheme_str() == Some("http") => Some(Some(proxy)),
            Some(_) => None,
            None => Some(None),
        };
        let http2 = match tunnel {
            Some(tunnel) if https => Some(http2::Origin::of(&root, Some(tls), tunnel)?),
            Some(tunnel) if config.cleartext_http2 => Some(http2::Origin::of(&root, None, tunnel)?),
            _ => None,
        }
        .map(|origin| {
            http2::Lanes::new(
                origin,
                headers.clone(),
                config.connect_timeout,
                config.idle_timeout,
                config.calls_per_connection,
            )
        });
        let http1 = http1_client(&config, headers, http1_tls)?;
        Ok(Client {
            inner: Arc::new(Inner {
                endpoints,
                request_timeout: config.request_timeout,
                http2,
                http1_only: AtomicBool::new(false),
                http1,
            }),
        })
    }

    /// `POST /v2/auth/intent`.
    pub async fn start_auth_intent(
        &self,
        body: &StartAuthIntent,
    ) -> Result<AuthResult, UnipileError> {
        let response = self.post(&self.inner.endpoints.intent, body, None).await?;
        parse_success(&response)
    }

    /// `POST /v2/auth/checkpoint`.
    ///
    /// `timeout`: overrides request_timeout for this call (long-poll waits for in-app validation).
    pub async fn solve_checkpoint(
        &self,
        intent_id: &str,
        code: &str,
        timeout: Option<Duration>,
    ) -> Result<AuthResult, UnipileError> {
        #[derive(Serialize)]
        struct Body<'a> {
            code: &'a str,
            intent_id: &'a str,
        }
        let response = self
            .post(
                &self.inner.endpoints.checkpoint,
                &Body { code, intent_id },
                timeout,
            )
            .await?;
        parse_success(&response)
    }

    /// `POST /v2/auth/checkpoint/request`: with `challenge`, switches a `CHALLENGE_SELECTION` to
    /// that method; without, asks for another way to verify.
    pub async fn request_checkpoint(
        &self,
        intent_id: &str,
        challenge: Option<&str>,
    ) -> Result<AuthResult, UnipileError> {
        #[derive(Serialize)]
        struct Body<'a> {
            intent_id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            challenge: Option<&'a str>,
        }
        let body = Body {
            intent_id,
            challenge,
        };
        let response = self
            .post(&self.inner.endpoints.checkpoint_request, &body, None)
            .await?;
        parse_success(&response)
    }

    /// `POST /v2/auth/checkpoint/resend`: sends the code of the current checkpoint again.
    pub async fn resend_checkpoint(&self, intent_id: &str) -> Result<(), UnipileError> {
        #[derive(Serialize)]
        struct Body<'a> {
            intent_id: &'a str,
        }
        self.post(
            &self.inner.endpoints.checkpoint_resend,
            &Body { intent_id },
            None,
        )
        .await
        .map(|_| ())
    }

    /// Sends one request and returns a successful response, or the classified failure.
    async fn post<B: Serialize>(
        &self,
        endpoint: &Endpoint,
        body: &B,
        timeout: Option<Duration>,
    ) -> Result<Success, UnipileError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| UnipileError::InvalidConfig(format!("request body: {e}")))?;
        let timeout = timeout.unwrap_or(self.inner.request_timeout);
        let answer = match tokio::time::timeout(timeout, self.send(endpoint, body.into())).await {
            Ok(answer) => answer?,
            Err(_) => return Err(UnipileError::Timeout),
        };
        if answer.status.is_success() {
            Ok(Success {
                status: answer.status,
                bytes: answer.body,
            })
        } else {
            Err(error_from_body(answer.status, &answer.body))
        }
    }

    async fn send(&self, endpoint: &Endpoint, body: Bytes) -> Result<http2::Answer, UnipileError> {
        if let Some(lanes) = &self.inner.http2 {
            if !self.inner.http1_only.load(Ordering::Acquire) {
                match lanes.post(&endpoint.uri, body.clone()).await {
                    Ok(answer) => return Ok(answer),
                    Err(http2::Failure::Failed(error) | http2::Failure::NotSent(error)) => {
                        return Err(error)
                    }
                    Err(http2::Failure::Http1Only) => {
                        self.inner.http1_only.store(true, Ordering::Release);
                    }
                }
            }
        }
        // Boxed: only servers without HTTP/2 take this path, and its future is large.
        Box::pin(self.send_http1(endpoint, body)).await
    }

    async fn send_http1(
        &self,
        endpoint: &Endpoint,
        body: Bytes,
    ) -> Result<http2::Answer, UnipileError> {
        let mut response = self
            .inner
            .http1
            .post(endpoint.url.clone())
            .body(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        // Read bytes first so an HTML page or a cut-off body is reported with its status.
        let mut body = bytes::BytesMut::new();
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(too_large(status));
        }
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_large(status));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(http2::Answer {
            status,
            body: body.freeze(),
        })
    }
}

/// The certificates of a PEM file (`-----BEGIN CERTIFICATE-----` blocks), as DER for
/// [`ClientConfig::extra_root_certificates`]. Other blocks (keys, CRLs) are skipped.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, UnipileError> {
    use rustls::pki_types::pem::PemObject;
    let mut certificates = Vec::new();
    for certificate in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
        let certificate = certificate
            .map_err(|e| UnipileError::InvalidConfig(format!("not a readable PEM file: {e}")))?;
        certificates.push(certificate.to_vec());
    }
    if certificates.is_empty() {
        return Err(UnipileError::InvalidConfig(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into(),
        ));
    }
    Ok(certificates)
}

/// TLS: the web PKI roots, `extra` (DER) besides, and ALPN offering `h2` then `http/1.1`.
fn tls_config(extra: &[Vec<u8>]) -> Result<Arc<rustls::ClientConfig>, UnipileError> {
    let invalid = |e: rustls::Error| UnipileError::InvalidConfig(format!("TLS: {e}"));
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in extra {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(invalid)?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(invalid)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The HTTP/1.1 client: one connection per call in flight, kept for `idle_timeout` once idle; no
/// redirect followed, and the proxies of the client's settings only.
fn http1_client(
    config: &ClientConfig,
    headers: HeaderMap,
    tls: rustls::ClientConfig,
) -> Result<reqwest::Client, UnipileError> {
    let mut builder = reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(config.connect_timeout)
        // No timeout of its own: each call's, possibly longer than the default, bounds it.
        .pool_idle_timeout(config.idle_timeout)
        .http1_only()
        // The API key is a header of our own, which a redirect would hand to another host.
        .redirect(reqwest::redirect::Policy::none())
        // The proxies come from the client's settings only (read from the environment once).
        .no_proxy()
        .use_preconfigured_tls(tls);
    for proxy in config.proxies.for_reqwest()? {
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| UnipileError::InvalidConfig(error_chain(&e)))
}

struct Success {
    status: StatusCode,
    bytes: Bytes,
}

fn parse_success(response: &Success) -> Result<AuthResult, UnipileError> {
    let bytes = &response.bytes[..];
    let status = response.status.as_u16();
    if bytes.is_empty() {
        return Err(unexpected(status, "empty body".into(), None));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(unexpected(
            status,
            "body is not valid JSON: not UTF-8".into(),
            None,
        ));
    };
    AuthResult::from_json(text).map_err(|e| {
        let req_id = serde_json::from_slice::<Value>(bytes)
            .ok()
            .and_then(|v| v.get("req_id").and_then(Value::as_str).map(str::to_owned));
        let reason = if e.is_syntax() || e.is_eof() {
            format!("body is not valid JSON: {e}")
        } else {
            format!("body has an unexpected shape: {e}")
        };
        unexpected(status, reason, req_id)
    })
}

/// Longest `detail` kept from an error body (it is logged, never shown to users).
const MAX_DETAIL: usize = 1000;

/// Classifies a non-success answer: by its `type` whenever the body is a JSON object naming one
/// (whatever else it holds or lacks), otherwise as an unexpected response of that HTTP status,
/// which the application classifies by status.
fn error_from_body(status: StatusCode, bytes: &[u8]) -> UnipileError {
    let code = status.as_u16();
    if status.is_redirection() {
        return unexpected(
            code,
            "a redirect, which is not followed (it would send the API key to another address)"
                .into(),
            None,
        );
    }
    if bytes.is_empty() {
        return unexpected(code, "empty error body".into(), None);
    }
    // Unipile documents `{object:"Error", type, status, title, detail, req_id}`, but any field may
    // be missing or `null`, and `detail` may be text, an object or an array: none of that may hide
    // a known `type`.
    let mut body = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(body)) => body,
        Ok(_) => return unexpected(code, "error body is not a JSON object".into(), None),
        Err(_) => {
            return unexpected(
                code,
                format!("error body is not JSON ({} bytes)", bytes.len()),
                None,
            )
        }
    };
    let kind = match body.remove("type") {
        Some(Value::String(kind)) if !kind.is_empty() => Some(kind),
        _ => None,
    };
    let mut text = |field: &str| match body.remove(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    };
    let req_id = text("req_id");
    let Some(kind) = kind else {
        return unexpected(code, "error body names no type".into(), req_id);
    };
    let detail = text("detail").map(|mut detail| {
        if detail.len() > MAX_DETAIL {
            let mut end = MAX_DETAIL;
            while !detail.is_char_boundary(end) {
                end -= 1;
            }
            detail.truncate(end);
            detail.push('…');
        }
        detail
    });
    UnipileError::Api(ApiError {
        status: code,
        kind: ErrorType::parse(&kind),
        title: text("title").unwrap_or_default(),
        detail,
        req_id,
    })
}

fn too_large(status: StatusCode) -> UnipileError {
    unexpected(
        status.as_u16(),
        format!("body is larger than {MAX_BODY} bytes"),
        None,
    )
}

fn unexpected(status: u16, reason: String, req_id: Option<String>) -> UnipileError {
    UnipileError::UnexpectedResponse {
        status,
        reason,
        req_id,
    }
}

fn transport_error(error: reqwest::Error) -> UnipileError {
    if error.is_timeout() {
        UnipileError::Timeout
    } else {
        // Without the URL: only the base URL and path would show, but keep messages uniform.
        UnipileError::Connect(error_chain(&error.without_url()))
    }
}

/// "outer: inner: root" — reqwest's own message alone ("error sending request") hides the cause.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_classified() {
        let status = StatusCode::FORBIDDEN;
        let api = error_from_body(
            status,
            br#"{"object":"Error","type":"api/brand_new","status":403,"title":"New","req_id":"req_1"}"#,
        );
        assert!(matches!(
            api,
            UnipileError::Api(ApiError { status: 403, kind: ErrorType::Other(ref k), detail: None, .. }) if k == "api/brand_new"
        ));
        assert_eq!(api.req_id(), Some("req_1"));

        // Whatever else the body holds or lacks, a `type` classifies it.
        for body in [
            r#"{"type":"provider/invalid_credentials"}"#,
            r#"{"object":"Error","type":"provider/invalid_credentials","title":null,"detail":null}"#,
            r#"{"object":"Error","type":"provider/invalid_credentials","detail":{"field":"password"}}"#,
            r#"{"object":"Error","type":"provider/invalid_credentials","detail":["a",{"b":1}],"status":"401"}"#,
            r#"{"object":"Account","type":"provider/invalid_credentials","req_id":7}"#,
        ] {
            match error_from_body(StatusCode::UNAUTHORIZED, body.as_bytes()) {
                UnipileError::Api(api) => {
                    assert_eq!(api.kind, ErrorType::ProviderInvalidCredentials, "{body}");
                    assert_eq!(api.status, 401, "{body}");
                }
                other => panic!("{body}: expected an API error, got {other:?}"),
            }
        }
        let detailed = error_from_body(
            StatusCode::BAD_REQUEST,
            br#"{"type":"api/invalid_parameters","detail":{"field":"port","reason":"out of range"}}"#,
        );
        assert!(
            matches!(&detailed, UnipileError::Api(ApiError { detail: Some(d), title, .. }) if d.contains("out of range") && title.is_empty()),
            "{detailed:?}"
        );
        let long = format!(
            r#"{{"type":"api/invalid_parameters","detail":"{}"}}"#,
            "é".repeat(2000)
        );
        assert!(matches!(
            error_from_body(StatusCode::BAD_REQUEST, long.as_bytes()),
            UnipileError::Api(ApiError { detail: Some(d), .. }) if d.len() <= MAX_DETAIL + 3
        ));

        // Without a type, the status is all there is.
        let wrong_shape = error_from_body(status, br#"{"message":"nope","req_id":"req_3"}"#);
        assert!(matches!(
            wrong_shape,
            UnipileError::UnexpectedResponse { status: 403, .. }
        ));
        assert_eq!(wrong_shape.req_id(), Some("req_3"));
        for body in [
            &br#"[1,2]"#[..],
            br#""text""#,
            br#"{"type":null}"#,
            br#"{"type":""}"#,
        ] {
            assert!(matches!(
                error_from_body(StatusCode::TOO_MANY_REQUESTS, body),
                UnipileError::UnexpectedResponse { status: 429, .. }
            ));
        }
        let redirect = error_from_body(StatusCode::TEMPORARY_REDIRECT, b"");
        assert!(
            matches!(&redirect, UnipileError::UnexpectedResponse { status: 307, reason, .. } if reason.contains("not followed"))
        );

        let empty = error_from_body(StatusCode::BAD_GATEWAY, b"");
        assert_eq!(empty.status(), Some(502));
    }

    #[test]
    fn success_bodies_of_the_wrong_shape_are_unexpected() {
        let response = Success {
            status: StatusCode::OK,
            bytes: Bytes::from_static(br#"{"object":"Account","req_id":"req_4"}"#),
        };
        let error = parse_success(&response).err();
        assert!(
            matches!(error, Some(UnipileError::UnexpectedResponse { status: 200, ref reason, .. }) if reason.contains("shape"))
        );
        assert_eq!(error.as_ref().and_then(UnipileError::req_id), Some("req_4"));
    }
}
