use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ErrorType, UnipileError};
use crate::http2;
use crate::lanes::{Checkout, Lane, Pool};
use crate::request::StartAuthIntent;
use crate::response::AuthResult;

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, e.g. `https://api.unipile.com`, without `/v2`.
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
}

impl ClientConfig {
    /// The settings every deployment starts from: 5 s to connect, 30 s per call, 100 calls per
    /// connection, connections unused for 90 s closed, HTTP/2 only where negotiated.
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
        }
    }
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
    http1: Http1,
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
        let base_url = config.base_url.trim_end_matches('/');
        let invalid_url =
            || UnipileError::InvalidConfig("base_url must be an absolute http(s) URL".into());
        let https = base_url.starts_with("https://");
        if !https && !base_url.starts_with("http://") {
            return Err(invalid_url());
        }
        let endpoint = |path: &str| {
            let url =
                reqwest::Url::parse(&format!("{base_url}{path}")).map_err(|_| invalid_url())?;
            let uri = url
                .as_str()
                .parse::<http::Uri>()
                .map_err(|_| invalid_url())?;
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

        // One TLS setup for both protocols, made whatever the scheme (HTTP/1.1 may still be
        // redirected to https), so that a certificate that is no root is refused here.
        let tls = tls_config(&config.extra_root_certificates)?;
        let mut http1_tls = (*tls).clone();
        http1_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let http2 = if https {
            Some(http2::Origin::of(&endpoints.intent.url, Some(tls))?)
        } else if config.cleartext_http2 {
            Some(http2::Origin::of(&endpoints.intent.url, None)?)
        } else {
            None
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
        let http1 = Http1 {
            headers,
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
            idle_timeout: config.idle_timeout,
            tls: http1_tls,
            pool: Pool::new(config.calls_per_connection, config.idle_timeout),
        };
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
        let lane = self.inner.http1.checkout()?;
        let response = lane
            .0
            .post(endpoint.url.clone())
            .body(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        // Read bytes first so an HTML page or a cut-off body is reported with its status.
        let body = response.bytes().await.map_err(transport_error)?;
        Ok(http2::Answer { status, body })
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

/// The HTTP/1.1 connections, as lanes of a [`Pool`]: each lane an HTTP client with its own
/// connection pool (one call per connection), built when a call first needs one.
#[derive(Debug)]
struct Http1 {
    headers: HeaderMap,
    connect_timeout: Duration,
    request_timeout: Duration,
    idle_timeout: Duration,
    /// The client's TLS settings, with ALPN offering only `http/1.1`.
    tls: rustls::ClientConfig,
    pool: Pool<Http1Client>,
}

#[derive(Debug)]
struct Http1Client(reqwest::Client);

impl Lane for Http1Client {}

impl Http1 {
    fn checkout(&self) -> Result<Checkout<Http1Client>, UnipileError> {
        self.pool.checkout(|| self.build())
    }

    fn build(&self) -> Result<Http1Client, UnipileError> {
        reqwest::Client::builder()
            .default_headers(self.headers.clone())
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .pool_idle_timeout(self.idle_timeout)
            .http1_only()
            .use_preconfigured_tls(self.tls.clone())
            .build()
            .map(Http1Client)
            .map_err(|e| UnipileError::InvalidConfig(error_chain(&e)))
    }
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

/// The error body; `status` is not read because the HTTP status is authoritative.
#[derive(Deserialize)]
struct ErrorBody {
    object: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    req_id: Option<String>,
}

fn error_from_body(status: StatusCode, bytes: &[u8]) -> UnipileError {
    let code = status.as_u16();
    if bytes.is_empty() {
        return unexpected(code, "empty error body".into(), None);
    }
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) if body.object == "Error" => UnipileError::Api(ApiError {
            status: code,
            kind: ErrorType::parse(&body.kind),
            title: body.title,
            detail: body.detail,
            req_id: body.req_id,
        }),
        Ok(body) => unexpected(
            code,
            format!(
                "error body has object {:?} instead of \"Error\"",
                body.object
            ),
            body.req_id,
        ),
        Err(e) => {
            let req_id = serde_json::from_slice::<Value>(bytes)
                .ok()
                .and_then(|v| v.get("req_id").and_then(Value::as_str).map(str::to_owned));
            let reason = if e.is_syntax() || e.is_eof() {
                format!("error body is not JSON ({} bytes)", bytes.len())
            } else {
                format!("error body has an unexpected shape: {e}")
            };
            unexpected(code, reason, req_id)
        }
    }
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

        let wrong_object = error_from_body(
            status,
            br#"{"object":"Account","type":"x","req_id":"req_2"}"#,
        );
        assert!(matches!(
            wrong_object,
            UnipileError::UnexpectedResponse { status: 403, .. }
        ));
        assert_eq!(wrong_object.req_id(), Some("req_2"));

        let wrong_shape = error_from_body(status, br#"{"message":"nope","req_id":"req_3"}"#);
        assert!(matches!(
            wrong_shape,
            UnipileError::UnexpectedResponse { .. }
        ));
        assert_eq!(wrong_shape.req_id(), Some("req_3"));

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
