//! The client over TLS, as it reaches Unipile: a TLS front with a test certificate, forwarding
//! each connection to the sandbox, offers HTTP/2 by ALPN or only HTTP/1.1; directly or through
//! an HTTP proxy's CONNECT tunnel.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use unipile::{
    AuthResult, Client, ClientConfig, Credentials, Proxies, StartAuthIntent, UnipileError,
};
use unipile_sandbox::{RunningSandbox, SandboxConfig};

const KEY: &str = "test-key";
const CA: &[u8] = include_bytes!("tls/ca.der");

/// A TLS server for `127.0.0.1` that hands each connection's plain bytes to the sandbox, and
/// records the protocol each connection's ALPN settled on.
struct TlsFront {
    base_url: String,
    protocols: Arc<Mutex<Vec<Option<Vec<u8>>>>>,
}

impl TlsFront {
    fn protocols(&self) -> Vec<Option<Vec<u8>>> {
        self.protocols.lock().expect("protocols").clone()
    }
}

async fn tls_front(sandbox: &RunningSandbox, alpn: &[&[u8]]) -> TlsFront {
    let upstream: SocketAddr = sandbox
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("sandbox address");
    let certificate = CertificateDer::from(include_bytes!("tls/localhost.der").to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        include_bytes!("tls/localhost.key.der").to_vec(),
    ));
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![certificate], key)
    .expect("test certificate and key");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let protocols = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&protocols);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let recorded = Arc::clone(&recorded);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let protocol = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                recorded.lock().expect("protocols").push(protocol);
                if let Ok(mut plain) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    TlsFront {
        base_url: format!("https://127.0.0.1:{port}"),
        protocols,
    }
}

fn client(base_url: &str, trust_test_ca: bool) -> Client {
    client_via(base_url, trust_test_ca, Proxies::default())
}

fn client_via(base_url: &str, trust_test_ca: bool, proxies: Proxies) -> Client {
    Client::new(ClientConfig {
        proxies,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        extra_root_certificates: if trust_test_ca {
            vec![CA.to_vec()]
        } else {
            Vec::new()
        },
        ..ClientConfig::new(base_url, SecretString::from(KEY.to_owned()))
    })
    .expect("valid client config")
}

async fn sandbox() -> RunningSandbox {
    unipile_sandbox::spawn(SandboxConfig {
        api_key: KEY.into(),
        in_app_approval_delay: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

async fn start(client: &Client, username: &str) -> Result<AuthResult, UnipileError> {
    client
        .start_auth_intent(&StartAuthIntent {
            provider: "linkedin".into(),
            account_id: None,
            state: None,
            user_timezone: None,
            credentials: Credentials::Basic {
                username: username.into(),
                password: SecretString::from("pass_good".to_owned()),
                user_agent: None,
            },
            config: None,
        })
        .await
}

/// Three users waiting for an in-app approval at once, each wait ending in an account.
async fn three_waits(client: &Client) {
    let mut waits = Vec::new();
    for _ in 0..3 {
        let intent_id = match start(client, "user_in_app").await {
            Ok(AuthResult::Checkpoint { intent_id, .. }) => intent_id,
            other => panic!("expected a checkpoint, got {other:?}"),
        };
        let client = client.clone();
        waits.push(tokio::spawn(async move {
            client
                .solve_checkpoint(&intent_id, "", Some(Duration::from_secs(5)))
                .await
        }));
    }
    for wait in waits {
        let result = wait.await.expect("wait task");
        assert!(matches!(result, Ok(AuthResult::Account(_))), "{result:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_http2_is_negotiated_and_calls_share_one_connection() {
    let sandbox = sandbox().await;
    let front = tls_front(&sandbox, &[b"h2", b"http/1.1"]).await;
    let client = client(&front.base_url, true);
    three_waits(&client).await;
    assert_eq!(front.protocols(), vec![Some(b"h2".to_vec())]);
    assert_eq!(sandbox.connections_accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_a_server_without_http2_is_spoken_to_in_http1() {
    let sandbox = sandbox().await;
    let front = tls_front(&sandbox, &[b"http/1.1"]).await;
    let client = client(&front.base_url, true);
    three_waits(&client).await;
    let protocols = front.protocols();
    // The first connection learns that the server has no HTTP/2; then one connection per wait.
    assert!(protocols.len() >= 4, "{protocols:?}");
    assert!(
        protocols.iter().all(|p| p.as_deref() == Some(b"http/1.1")),
        "{protocols:?}"
    );
    // Once learnt, calls go straight to HTTP/1.1 on the connections it keeps, without another
    // TLS handshake to ask for HTTP/2 each time.
    let before = protocols.len();
    for _ in 0..5 {
        assert!(matches!(
            start(&client, "user_good").await,
            Ok(AuthResult::Account(_))
        ));
    }
    let after = front.protocols().len();
    assert!(after <= before + 1, "{before} connections, then {after}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let sandbox = sandbox().await;
    let front = tls_front(&sandbox, &[b"h2", b"http/1.1"]).await;
    let refused = start(&client(&front.base_url, false), "user_good").await;
    match refused {
        Err(UnipileError::Connect(reason)) => {
            assert!(reason.contains("certificate"), "{reason}")
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
    assert!(sandbox.requests().is_empty(), "a request got through");
}

/// A forward proxy that only tunnels (CONNECT), as corporate egress proxies do; records the head
/// of each CONNECT request it accepts.
struct ConnectProxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("seen").clone()
    }
}

async fn connect_proxy() -> ConnectProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let recorded = Arc::clone(&recorded);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                recorded.lock().expect("seen").push(head.clone());
                let Some(target) = head
                    .strip_prefix("CONNECT ")
                    .and_then(|rest| rest.split(' ').next())
                else {
                    let _ = client
                        .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                        .await;
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    ConnectProxy {
        url: format!("http://127.0.0.1:{port}"),
        seen,
    }
}

fn https_proxy(url: &str, no: &str) -> Proxies {
    Proxies {
        https: url.into(),
        no: no.into(),
        ..Proxies::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_calls_go_through_the_https_proxy() {
    let sandbox = sandbox().await;
    let front = tls_front(&sandbox, &[b"h2", b"http/1.1"]).await;
    let proxy = connect_proxy().await;
    let client = client_via(&front.base_url, true, https_proxy(&proxy.url, ""));
    three_waits(&client).await;
    let target = front.base_url.trim_start_matches("https://");
    let seen = proxy.seen();
    assert_eq!(
        seen.len(),
        1,
        "one tunnel for the one HTTP/2 connection: {seen:?}"
    );
    assert!(
        seen[0].starts_with(&format!("CONNECT {target} HTTP/1.1")),
        "{seen:?}"
    );
    assert_eq!(front.protocols(), vec![Some(b"h2".to_vec())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_calls_go_through_the_https_proxy_with_its_login() {
    let sandbox = sandbox().await;
    let front = tls_front(&sandbox, &[b"http/1.1"]).await;
    let proxy = connect_proxy().await;
    let with_login = proxy.url.replace("http://", "http://egress:s3cret@");
    let client = client_via(&front.base_url, true, https_proxy(&with_login, ""));
    three_waits(&client).await;
    let seen = proxy.seen();
    assert!(seen.len() >= 4, "every connection is tunnelled: {seen:?}");
    // "egress:s3cret" in Basic form.
    assert!(
        seen.iter()
            .all(|head| head.starts_with("CONNECT ") && head.contains("ZWdyZXNzOnMzY3JldA==")),
        "{seen:?}"
    );
    assert!(front
        .protocols()
        .iter()
        .all(|p| p.as_deref() == Some(b"http/1.1")));
    let debug = format!("{client:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
}

#[tokio::test]
async fn hosts_in_no_proxy_are_reached_directly() {
    let sandbox = sandbox().await;
    let front = tls_front(&sandbox, &[b"h2", b"http/1.1"]).await;
    let proxy = connect_proxy().await;
    let client = client_via(
        &front.base_url,
        true,
        https_proxy(&proxy.url, "example.com, 127.0.0.1"),
    );
    assert!(matches!(
        start(&client, "user_good").await,
        Ok(AuthResult::Account(_))
    ));
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

#[tokio::test]
async fn a_proxy_that_cannot_be_reached_is_a_connect_error() {
    let sandbox = sandbox().await;
    let front = tls_front(&sandbox, &[b"h2", b"http/1.1"]).await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("local address").port()
    };
    let client = client_via(
        &front.base_url,
        true,
        https_proxy(&format!("http://127.0.0.1:{port}"), ""),
    );
    let refused = start(&client, "user_good").await;
    assert!(
        matches!(refused, Err(UnipileError::Connect(_))),
        "{refused:?}"
    );
    assert!(sandbox.requests().is_empty());
}
