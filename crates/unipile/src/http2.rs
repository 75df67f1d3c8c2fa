//! Calls over HTTP/2 connections the client opens and shares itself.
//!
//! A call here is one stream on a shared connection: what it holds while it waits is the stream's
//! state inside the connection and a small future, which matters when thousands of users wait for
//! an in-app approval at once. Over `https://` the connection offers `h2` and `http/1.1` by ALPN;
//! a server that picks HTTP/1.1 is answered with [`Failure::Http1Only`] and the caller goes on
//! over its HTTP/1.1 client instead. Behind an HTTP proxy, each connection is a CONNECT tunnel
//! through it. Redirects are answers like any other: nothing here follows them.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use h2::client::SendRequest;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use hyper_util::client::legacy::connect::{proxy::Tunnel, HttpConnector};
use hyper_util::client::proxy::matcher::Intercept;
use tower_service::Service;

use crate::client::MAX_BODY;
use crate::error::UnipileError;
use crate::lanes::{Lane, Pool};

/// How to reach the origin every endpoint shares.
#[derive(Debug)]
pub(crate) struct Origin {
    /// Host for DNS, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// `Some` for `https://`: the TLS settings, whose ALPN offers `h2` and `http/1.1`.
    pub tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    /// The HTTP proxy connections are tunnelled through, if any.
    pub proxy: Option<Intercept>,
}

/// One answer, read whole.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Why a call failed, and whether it may be sent again.
pub(crate) enum Failure {
    /// The request never reached the server (the connection was closing, or the server refused the
    /// stream before processing it), so sending it again cannot act twice.
    NotSent(UnipileError),
    Failed(UnipileError),
    /// The TLS handshake chose HTTP/1.1: this origin does not speak HTTP/2.
    Http1Only,
}

/// The HTTP/2 connections, as lanes of a [`Pool`]: each lane one connection.
#[derive(Debug)]
pub(crate) struct Lanes {
    origin: Origin,
    headers: HeaderMap,
    connect_timeout: Duration,
    pool: Pool<Connection>,
}

#[derive(Debug)]
struct Connection {
    /// Set once the connection is open; a failed attempt leaves it empty for the next call.
    sender: tokio::sync::OnceCell<SendRequest<Bytes>>,
    /// The most streams the server lets this connection open at once, as it last said
    /// (`SETTINGS_MAX_CONCURRENT_STREAMS`); unknown until the connection is open.
    streams: AtomicUsize,
    /// Set when the connection has ended.
    closed: Arc<AtomicBool>,
}

impl Lane for Connection {
    fn room(&self) -> usize {
        self.streams.load(Ordering::Acquire)
    }

    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Lanes {
    pub fn new(
        origin: Origin,
        headers: HeaderMap,
        connect_timeout: Duration,
        idle_timeout: Duration,
        calls_per_lane: usize,
    ) -> Lanes {
        Lanes {
            origin,
            headers,
            connect_timeout,
            pool: Pool::new(calls_per_lane, idle_timeout),
        }
    }

    /// Sends `body` to `uri` and reads the answer. A request that was never sent is sent once
    /// more on another connection; nothing else is retried.
    pub async fn post(&self, uri: &Uri, body: Bytes) -> Result<Answer, Failure> {
        match self.post_once(uri, body.clone()).await {
            Err(Failure::NotSent(_)) => self.post_once(uri, body).await,
            other => other,
        }
    }

    async fn post_once(&self, uri: &Uri, body: Bytes) -> Result<Answer, Failure> {
        // A lane is made unopened: the call that takes it first opens its connection below.
        let Ok(lane) = self.pool.checkout(|| {
            Ok::<_, Infallible>(Connection {
                sender: tokio::sync::OnceCell::new(),
                streams: AtomicUsize::new(usize::MAX),
                closed: Arc::new(AtomicBool::new(false)),
            })
        });
        let sender = match lane.sender.get() {
            Some(sender) => sender.clone(),
            // Boxed so that the future of a waiting call does not carry the connecting one.
            None => Box::pin(
                lane.sender
                    .get_or_try_init(|| self.open(Arc::clone(&lane.closed))),
            )
            .await?
            .clone(),
        };
        // A server allowing fewer streams than `calls_per_lane` would queue the calls past its
        // limit behind the waits in flight; the pool opens another connection instead.
        lane.streams
            .store(sender.current_max_send_streams().max(1), Ordering::Release);
        let sent = send(sender, uri, &self.headers, body).await;
        if let Err(Failure::NotSent(_)) = &sent {
            lane.closed.store(true, Ordering::Release);
        }
        sent
    }

    /// Opens a connection; `closed` is set when it ends.
    async fn open(&self, closed: Arc<AtomicBool>) -> Result<SendRequest<Bytes>, Failure> {
        let connecting = async {
            let tcp = match &self.origin.proxy {
                None => TcpStream::connect((self.origin.host.as_str(), self.origin.port))
                    .await
                    .map_err(|e| Failure::Failed(connect_error("connecting", &e)))?,
                Some(proxy) => self.tunnel(proxy).await.map_err(Failure::Failed)?,
            };
            // Requests are small and sent whole; waiting to fill a segment only adds latency.
            let _ = tcp.set_nodelay(true);
            match &self.origin.tls {
                None => handshake(tcp, closed).await.map_err(Failure::Failed),
                Some((config, name)) => {
                    let tls = tokio_rustls::TlsConnector::from(Arc::clone(config))
                        .connect(name.clone(), tcp)
                        .await
                        .map_err(|e| Failure::Failed(connect_error("TLS handshake", &e)))?;
                    if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
                        return Err(Failure::Http1Only);
                    }
                    handshake(tls, closed).await.map_err(Failure::Failed)
                }
            }
        };
        tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .unwrap_or(Err(Failure::Failed(UnipileError::Timeout)))
    }
}

impl Lanes {
    /// A connection to the origin through `proxy`'s CONNECT tunnel.
    async fn tunnel(&self, proxy: &Intercept) -> Result<TcpStream, UnipileError> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let mut tunnel = Tunnel::new(proxy.uri().clone(), connector);
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        let destination = Uri::builder()
            .scheme("https")
            .authority(self.origin.authority())
            .path_and_query("/")
            .build()
            .map_err(|e| connect_error("proxy tunnel", &e))?;
        std::future::poll_fn(|cx| tunnel.poll_ready(cx))
            .await
            .map_err(|e| connect_error("proxy tunnel", &e))?;
        let io = tunnel
            .call(destination)
            .await
            .map_err(|e| connect_error("proxy tunnel", &e))?;
        Ok(io.into_inner())
    }
}

impl Origin {
    /// The origin of an absolute `http(s)` URL, reached directly or through `proxy`.
    pub fn of(
        url: &reqwest::Url,
        tls: Option<Arc<rustls::ClientConfig>>,
        proxy: Option<Intercept>,
    ) -> Result<Origin, UnipileError> {
        let invalid = || UnipileError::InvalidConfig("base_url must name a host".into());
        let host = match url.host().ok_or_else(invalid)? {
            url::Host::Domain(domain) => domain.to_owned(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        let port = url.port_or_known_default().ok_or_else(invalid)?;
        let tls = match tls {
            None => None,
            Some(config) => {
                let name = match host.parse::<IpAddr>() {
                    Ok(ip) => ServerName::IpAddress(ip.into()),
                    Err(_) => ServerName::try_from(host.clone()).map_err(|_| invalid())?,
                };
                Some((config, name))
            }
        };
        Ok(Origin {
            host,
            port,
            tls,
            proxy,
        })
    }

    /// `host:port`, with IPv6 hosts in brackets.
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

async fn handshake<T>(io: T, closed: Arc<AtomicBool>) -> Result<SendRequest<Bytes>, UnipileError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Unipile has nothing to push; refusing pushes keeps unasked-for streams out of memory.
    let (sender, connection) = h2::client::Builder::new()
        .enable_push(false)
        .handshake(io)
        .await
        .map_err(|e| connect_error("HTTP/2 handshake", &e))?;
    tokio::spawn(async move {
        // How it ended shows in the calls it carried; a new call opens another connection.
        let _ = connection.await;
        closed.store(true, Ordering::Release);
    });
    Ok(sender)
}

async fn send(
    sender: SendRequest<Bytes>,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Answer, Failure> {
    let not_sent = |e: h2::Error| Failure::NotSent(h2_error(&e));
    let mut sender = sender.ready().await.map_err(not_sent)?;
    let mut request = Request::new(());
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri.clone();
    *request.headers_mut() = headers.clone();
    // As HTTP/1.1 clients do: some proxies in front of APIs still want the length up front.
    request
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, body.len().into());
    let (response, mut stream) = sender.send_request(request, false).map_err(not_sent)?;
    // Flow control queues what the window does not yet allow; the body is small.
    stream
        .send_data(body, true)
        .map_err(|e| Failure::Failed(h2_error(&e)))?;
    let response = response.await.map_err(|e| {
        if e.reason() == Some(h2::Reason::REFUSED_STREAM) {
            not_sent(e)
        } else {
            Failure::Failed(h2_error(&e))
        }
    })?;
    let status = response.status();
    let mut stream = response.into_body();
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.data().await {
        let chunk = chunk.map_err(|e| Failure::Failed(h2_error(&e)))?;
        let _ = stream.flow_control().release_capacity(chunk.len());
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Failure::Failed(UnipileError::UnexpectedResponse {
                status: status.as_u16(),
                reason: format!("body is larger than {MAX_BODY} bytes"),
                req_id: None,
            }));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        body: body.freeze(),
    })
}

fn connect_error(what: &str, error: &dyn std::error::Error) -> UnipileError {
    UnipileError::Connect(format!("{what}: {}", crate::client::error_chain(error)))
}

fn h2_error(error: &h2::Error) -> UnipileError {
    UnipileError::Connect(crate::client::error_chain(error))
}
