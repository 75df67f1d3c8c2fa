//! The client on an untidy network: error bodies of every shape, base URLs as operators write them,
//! redirects, oversized answers and the `User-Agent` it announces. Each over HTTP/1.1 and HTTP/2.

use std::time::Duration;

use secrecy::SecretString;
use unipile::{
    AuthResult, Client, ClientConfig, Credentials, ErrorType, Proxies, StartAuthIntent,
    UnipileError,
};
use unipile_sandbox::{RunningSandbox, SandboxConfig};

const KEY: &str = "test-key";

async fn sandbox() -> RunningSandbox {
    unipile_sandbox::spawn(SandboxConfig {
        api_key: KEY.into(),
        in_app_approval_delay: Duration::from_millis(200),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn config(base_url: &str, http2: bool) -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        cleartext_http2: http2,
        proxies: Proxies::default(),
        ..ClientConfig::new(base_url, SecretString::from(KEY.to_owned()))
    }
}

/// One client per protocol: HTTP/1.1, then HTTP/2 (cleartext, as to the app's own sandbox).
fn clients(base_url: &str) -> [(&'static str, Client); 2] {
    ["HTTP/1.1", "HTTP/2"].map(|name| {
        let client = Client::new(config(base_url, name == "HTTP/2")).expect("valid config");
        (name, client)
    })
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

#[tokio::test]
async fn a_wrong_password_is_recognised_whatever_the_shape_of_its_error_body() {
    let sandbox = sandbox().await;
    for (protocol, client) in clients(&sandbox.base_url()) {
        for shape in [
            "no_title",
            "nulls",
            "detail_object",
            "detail_array",
            "no_object",
        ] {
            match start(&client, &format!("error_shape_{shape}")).await {
                Err(UnipileError::Api(api)) => {
                    assert_eq!(
                        api.kind,
                        ErrorType::ProviderInvalidCredentials,
                        "{protocol} {shape}"
                    );
                    assert_eq!(api.status, 401, "{protocol} {shape}");
                }
                other => panic!("{protocol} {shape}: expected the API error, got {other:?}"),
            }
        }
        match start(&client, "error_shape_detail_object").await {
            Err(UnipileError::Api(api)) => {
                let detail = api.detail.unwrap_or_default();
                assert!(detail.contains("rejected"), "{protocol}: {detail}");
            }
            other => panic!("{protocol}: {other:?}"),
        }
        // No type: all there is to go by is the status, which the caller classifies.
        match start(&client, "error_shape_no_type").await {
            Err(UnipileError::UnexpectedResponse { status, .. }) => {
                assert_eq!(status, 429, "{protocol}")
            }
            other => panic!("{protocol} no_type: expected an unexpected response, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_base_url_may_end_with_a_slash_or_v2_and_nothing_else() {
    let sandbox = sandbox().await;
    let base = sandbox.base_url();
    for written in [
        base.clone(),
        format!("{base}/"),
        format!("{base}/v2"),
        format!("{base}/v2/"),
        format!(" {base}/v2 "),
    ] {
        let client = Client::new(config(&written, false)).expect("accepted base URL");
        let linked = start(&client, "user_good").await;
        assert!(
            matches!(linked, Ok(AuthResult::Account(_))),
            "{written}: {linked:?}"
        );
    }
    assert!(sandbox
        .requests()
        .iter()
        .all(|r| r.path == "/v2/auth/intent"));
    for refused in [
        format!("{base}/api"),
        format!("{base}/v2/auth"),
        format!("{base}/v1"),
        format!("{base}?v=2"),
        format!("{base}#v2"),
        base.replace("http://", "http://user:pw@"),
        "api.unipile.com".to_owned(),
        "ftp://api.unipile.com".to_owned(),
    ] {
        match Client::new(config(&refused, false)) {
            Err(UnipileError::InvalidConfig(reason)) => {
                assert!(reason.contains("base_url"), "{refused}: {reason}");
                assert!(!reason.contains("pw"), "{refused}: {reason}");
            }
            other => panic!("{refused}: expected a refusal, got {:?}", other.err()),
        }
    }
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let sandbox = sandbox().await;
    for (protocol, client) in clients(&sandbox.base_url()) {
        let before = sandbox.requests().len();
        match start(&client, "error_redirect").await {
            Err(UnipileError::UnexpectedResponse { status, reason, .. }) => {
                assert_eq!(status, 307, "{protocol}");
                assert!(reason.contains("not followed"), "{protocol}: {reason}");
            }
            other => panic!("{protocol}: expected the redirect refused, got {other:?}"),
        }
        // Following it would have sent the API key and the credentials a second time.
        assert_eq!(sandbox.requests().len(), before + 1, "{protocol}");
    }
}

#[tokio::test]
async fn answers_larger_than_4_mib_are_not_read() {
    let sandbox = sandbox().await;
    for (protocol, client) in clients(&sandbox.base_url()) {
        match start(&client, "error_huge").await {
            Err(UnipileError::UnexpectedResponse { status, reason, .. }) => {
                assert_eq!(status, 200, "{protocol}");
                assert!(reason.contains("larger than"), "{protocol}: {reason}");
            }
            other => panic!("{protocol}: expected the answer refused, got {other:?}"),
        }
        // The client goes on working after the refused answer.
        assert!(matches!(
            start(&client, "user_good").await,
            Ok(AuthResult::Account(_))
        ));
    }
}

#[tokio::test]
async fn every_call_says_who_is_calling() {
    let sandbox = sandbox().await;
    for (protocol, client) in clients(&sandbox.base_url()) {
        let intent_id = match start(&client, "user_2fa_sms").await {
            Ok(AuthResult::Checkpoint { intent_id, .. }) => intent_id,
            other => panic!("{protocol}: expected a checkpoint, got {other:?}"),
        };
        let _ = client.resend_checkpoint(&intent_id).await;
        let _ = client.request_checkpoint(&intent_id, None).await;
        let _ = client.solve_checkpoint(&intent_id, "123456", None).await;
    }
    let requests = sandbox.requests();
    let paths: std::collections::BTreeSet<_> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    let expected = format!("credentials-flow/{}", env!("CARGO_PKG_VERSION"));
    for request in &requests {
        assert_eq!(
            request.user_agent.as_deref(),
            Some(expected.as_str()),
            "{}",
            request.path
        );
    }
}
