//! The real client against the real sandbox, over HTTP on loopback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use unipile::{
    consent_code, Account, AuthResult, Channel, Checkpoint, Client, ClientConfig, Credentials,
    CustomProxy, ErrorType, IntentConfig, MailServer, ProxyProtocol, StartAuthIntent,
    TwoFactorPlatform, UnipileError,
};
use unipile_sandbox::{RunningSandbox, SandboxConfig};

const KEY: &str = "test-key";

fn fast() -> SandboxConfig {
    SandboxConfig {
        api_key: KEY.into(),
        in_app_approval_delay: Duration::from_millis(300),
        loading_delay: Duration::from_millis(200),
        slow_delay: Duration::from_secs(3),
        long_poll_max: Duration::from_secs(3),
        ..SandboxConfig::default()
    }
}

/// As the app talks to its sandbox: HTTP/2 over cleartext.
fn client_for(base_url: String, key: &str, request_timeout: Duration) -> Client {
    Client::new(ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout,
        cleartext_http2: true,
        ..ClientConfig::new(base_url, SecretString::from(key.to_owned()))
    })
    .expect("valid client config")
}

async fn setup(config: SandboxConfig) -> (RunningSandbox, Client) {
    let sandbox = unipile_sandbox::spawn(config)
        .await
        .expect("sandbox starts");
    // A trailing slash must be tolerated.
    let client = client_for(
        format!("{}/", sandbox.base_url()),
        KEY,
        Duration::from_secs(10),
    );
    (sandbox, client)
}

fn basic(provider: &str, username: &str, password: &str) -> StartAuthIntent {
    StartAuthIntent {
        provider: provider.into(),
        account_id: None,
        state: None,
        user_timezone: None,
        credentials: Credentials::Basic {
            username: username.into(),
            password: SecretString::from(password.to_owned()),
            user_agent: None,
        },
        config: None,
    }
}

async fn start(client: &Client, username: &str) -> Result<AuthResult, UnipileError> {
    client
        .start_auth_intent(&basic("linkedin", username, "pass_good"))
        .await
}

fn checkpoint(result: Result<AuthResult, UnipileError>) -> (String, Checkpoint) {
    match result {
        Ok(AuthResult::Checkpoint {
            intent_id,
            checkpoint,
        }) => {
            assert!(intent_id.starts_with("acc_"), "{intent_id}");
            (intent_id, checkpoint)
        }
        other => panic!("expected a checkpoint, got {other:?}"),
    }
}

fn account(result: Result<AuthResult, UnipileError>) -> Account {
    match result {
        Ok(AuthResult::Account(account)) => account,
        other => panic!("expected an account, got {other:?}"),
    }
}

fn api_error(
    result: Result<impl std::fmt::Debug, UnipileError>,
    kind: ErrorType,
    status: u16,
) -> unipile::ApiError {
    match result {
        Err(UnipileError::Api(api)) => {
            assert_eq!((api.kind.clone(), api.status), (kind, status), "{api:?}");
            assert!(!api.title.is_empty());
            assert!(
                api.req_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("req_")),
                "{api:?}"
            );
            api
        }
        other => panic!("expected {kind} ({status}), got {other:?}"),
    }
}

async fn solve(client: &Client, intent_id: &str, code: &str) -> Result<AuthResult, UnipileError> {
    client.solve_checkpoint(intent_id, code, None).await
}

#[tokio::test]
async fn good_user_gets_an_account_at_once() {
    let (sandbox, client) = setup(fast()).await;
    let account = account(start(&client, "user_good").await);
    assert!(account.id.starts_with("acc_"));
    assert_eq!(account.name.as_deref(), Some("user_good"));
    assert_eq!(account.provider, "linkedin");
    assert_eq!(account.status, "running");
    assert_eq!(account.application_id.as_deref(), Some("app_sandbox"));
    assert!(account.user_id.is_some_and(|id| id.starts_with("usr_")));
    assert!(account.created_at.is_some_and(|at| at.ends_with('Z')));

    let requests = sandbox.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v2/auth/intent");
    assert_eq!(
        requests[0].body,
        serde_json::json!({"provider": "linkedin", "credentials": {"username": "user_good", "password": "pass_good"}})
    );
}

#[tokio::test]
async fn other_credential_shapes_and_reconnect() {
    let (_sandbox, client) = setup(fast()).await;
    let mut reconnect = basic("twitter", "someone", "pass_good");
    reconnect.account_id = Some("acc_existing".into());
    reconnect.config = Some(IntentConfig {
        products: Some(vec!["classic".into()]),
        ..IntentConfig::default()
    });
    let linked = account(client.start_auth_intent(&reconnect).await);
    assert_eq!(
        (linked.id.as_str(), linked.provider.as_str()),
        ("acc_existing", "twitter")
    );

    let cookie = |token: &str| StartAuthIntent {
        credentials: Credentials::LinkedInCookie {
            access_token: SecretString::from(token.to_owned()),
            premium_access_token: None,
            user_agent: "Mozilla/5.0".into(),
        },
        ..basic("linkedin", "", "")
    };
    account(client.start_auth_intent(&cookie("cookie_good")).await);
    api_error(
        client.start_auth_intent(&cookie("stale")).await,
        ErrorType::ProviderInvalidCredentials,
        401,
    );

    let server = |password: &str, port| MailServer {
        user: "user_otp@example.com".into(),
        password: SecretString::from(password.to_owned()),
        host: "mail.example.com".into(),
        port,
        encryption: None,
    };
    let imap = StartAuthIntent {
        credentials: Credentials::ImapFull {
            imap: server("pass_good", 993),
            smtp: server("pass_good", 465),
        },
        ..basic("imap", "", "")
    };
    // The local part of an e-mail picks the scenario.
    let (intent_id, step) = checkpoint(client.start_auth_intent(&imap).await);
    assert_eq!(
        step,
        Checkpoint::Otp {
            channel: Some(Channel::Email)
        }
    );
    let mailbox = account(solve(&client, &intent_id, "123456").await);
    assert_eq!(mailbox.name.as_deref(), Some("user_otp@example.com"));
    assert_eq!(mailbox.provider, "imap");

    let imap_basic = StartAuthIntent {
        credentials: Credentials::ImapBasic {
            user: "user_good@example.com".into(),
            password: SecretString::from("nope".to_owned()),
        },
        ..basic("imap", "", "")
    };
    api_error(
        client.start_auth_intent(&imap_basic).await,
        ErrorType::ProviderInvalidCredentials,
        401,
    );
}

#[tokio::test]
async fn proxy_scenarios_and_undetectable_mailboxes() {
    let (_sandbox, client) = setup(fast()).await;
    let through = |host: &str, login: Option<(&str, &str)>| StartAuthIntent {
        config: Some(IntentConfig {
            custom_proxy: Some(CustomProxy {
                host: host.into(),
                port: 8080,
                protocol: Some(ProxyProtocol::Socks5),
                username: login.map(|(u, _)| u.to_owned()),
                password: login.map(|(_, p)| SecretString::from(p.to_owned())),
            }),
            ..IntentConfig::default()
        }),
        ..basic("linkedin", "user_good", "pass_good")
    };
    account(
        client
            .start_auth_intent(&through("proxy.example.com", None))
            .await,
    );
    account(
        client
            .start_auth_intent(&through("proxy.example.com", Some(("me", "pass_good"))))
            .await,
    );
    api_error(
        client
            .start_auth_intent(&through("broken-proxy.test", None))
            .await,
        ErrorType::ApiProxyError,
        502,
    );
    api_error(
        client
            .start_auth_intent(&through("slow-proxy.test", None))
            .await,
        ErrorType::ApiProxyTimeout,
        504,
    );
    let refused = client
        .start_auth_intent(&through("proxy.example.com", Some(("me", "wrong"))))
        .await;
    assert!(
        matches!(&refused, Err(UnipileError::Api(api)) if api.kind == ErrorType::ApiProxyAuthError),
        "{refused:?}"
    );

    // A mailbox of the manual domain is not detected; with explicit servers it links.
    let detect = StartAuthIntent {
        credentials: Credentials::ImapBasic {
            user: "user_good@manual-mail.test".into(),
            password: SecretString::from("pass_good".to_owned()),
        },
        ..basic("imap", "", "")
    };
    let undetected = api_error(
        client.start_auth_intent(&detect).await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    assert!(
        undetected
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("IMAP")),
        "{undetected:?}"
    );
    let server = |host: &str, port| MailServer {
        user: "user_good@manual-mail.test".into(),
        password: SecretString::from("pass_good".to_owned()),
        host: host.into(),
        port,
        encryption: None,
    };
    let full = StartAuthIntent {
        credentials: Credentials::ImapFull {
            imap: server("imap.manual-mail.test", 993),
            smtp: server("smtp.manual-mail.test", 587),
        },
        ..basic("imap", "", "")
    };
    assert_eq!(
        account(client.start_auth_intent(&full).await).provider,
        "imap"
    );
}

#[tokio::test]
async fn two_factor_on_every_platform() {
    let (_sandbox, client) = setup(fast()).await;
    for (user, platform) in [
        ("user_2fa_sms", TwoFactorPlatform::Sms),
        ("user_2fa_app", TwoFactorPlatform::App),
        ("user_2fa_whatsapp", TwoFactorPlatform::Whatsapp),
    ] {
        let (intent_id, step) = checkpoint(start(&client, user).await);
        assert_eq!(
            step,
            Checkpoint::TwoFactor {
                platform: platform.clone()
            }
        );
        if platform == TwoFactorPlatform::App {
            // An authenticator app has nothing to resend.
            api_error(
                client.resend_checkpoint(&intent_id).await,
                ErrorType::ApiInvalidParameters,
                400,
            );
        } else {
            client
                .resend_checkpoint(&intent_id)
                .await
                .expect("resend answers 204");
        }
        let linked = account(solve(&client, &intent_id, "123456").await);
        assert_eq!(linked.id, intent_id);
    }
}

#[tokio::test]
async fn wrong_code_keeps_the_checkpoint_and_finished_intents_are_gone() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, _) = checkpoint(start(&client, "user_otp").await);
    let wrong = api_error(
        solve(&client, &intent_id, "000000").await,
        ErrorType::ProviderInvalidCheckpointCode,
        401,
    );
    assert!(wrong.detail.is_some());
    account(solve(&client, &intent_id, "123456").await);
    api_error(
        solve(&client, &intent_id, "123456").await,
        ErrorType::ApiResourceNotFound,
        404,
    );
}

#[tokio::test]
async fn phone_register_then_otp_by_sms() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_phone").await);
    assert_eq!(step, Checkpoint::PhoneRegister);
    let bad = api_error(
        solve(&client, &intent_id, "0612345678").await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    assert!(bad.detail.is_some_and(|d| d.contains("`code`")));
    let (_, step) = checkpoint(solve(&client, &intent_id, "(+33)612345678").await);
    assert_eq!(
        step,
        Checkpoint::Otp {
            channel: Some(Channel::Sms)
        }
    );
    account(solve(&client, &intent_id, "123456").await);
}

#[tokio::test]
async fn captcha_with_hostile_data() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_captcha").await);
    let Checkpoint::Captcha { public_key, data } = step else {
        panic!("expected a captcha, got {step:?}");
    };
    assert_eq!(public_key.as_deref(), Some("sandbox-public-key"));
    let data = data.unwrap_or_default();
    assert!(
        data.contains('"') && data.contains('\'') && data.contains("</script>"),
        "{data}"
    );
    api_error(
        client.resend_checkpoint(&intent_id).await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    api_error(
        solve(&client, &intent_id, "sandbox-token:acc_other").await,
        ErrorType::ProviderInvalidCheckpointCode,
        401,
    );
    account(solve(&client, &intent_id, &format!("sandbox-token:{intent_id}")).await);
}

#[tokio::test]
async fn in_app_validation_is_held_until_approved() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_in_app").await);
    assert_eq!(step, Checkpoint::InAppValidation);
    let began = Instant::now();
    account(
        client
            .solve_checkpoint(&intent_id, "", Some(Duration::from_secs(5)))
            .await,
    );
    assert!(began.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn in_app_never_approved_times_out_then_expires() {
    let config = SandboxConfig {
        long_poll_max: Duration::from_millis(200),
        intent_ttl: Duration::from_millis(900),
        ..fast()
    };
    let (_sandbox, client) = setup(config).await;
    let (intent_id, step) = checkpoint(start(&client, "user_in_app_timeout").await);
    assert_eq!(step, Checkpoint::InAppValidation);
    api_error(
        solve(&client, &intent_id, "").await,
        ErrorType::ProviderTimeout,
        504,
    );
    // Keep waiting: the intent expires while held.
    let mut last = solve(&client, &intent_id, "").await;
    for _ in 0..10 {
        if !matches!(&last, Err(UnipileError::Api(api)) if api.kind == ErrorType::ProviderTimeout) {
            break;
        }
        last = solve(&client, &intent_id, "").await;
    }
    api_error(last, ErrorType::ApiResourceNotFound, 404);
}

/// `count` users waiting for an in-app approval at once; every wait must end in an account.
async fn wait_together(client: &Client, count: usize) -> Duration {
    let mut intents = Vec::new();
    for _ in 0..count {
        intents.push(checkpoint(start(client, "user_in_app").await).0);
    }
    let began = Instant::now();
    let waits = intents.iter().map(|intent_id| {
        let client = client.clone();
        let intent_id = intent_id.clone();
        tokio::spawn(async move {
            client
                .solve_checkpoint(&intent_id, "", Some(Duration::from_secs(5)))
                .await
        })
    });
    let waits: Vec<_> = waits.collect();
    for wait in waits {
        account(wait.await.expect("wait task"));
    }
    began.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_share_connections_up_to_the_set_number_of_calls() {
    let sandbox = unipile_sandbox::spawn(fast())
        .await
        .expect("sandbox starts");
    let client = Client::new(ClientConfig {
        calls_per_connection: 2,
        ..ClientConfig {
            cleartext_http2: true,
            ..ClientConfig::new(sandbox.base_url(), SecretString::from(KEY.to_owned()))
        }
    })
    .expect("valid client config");
    // Five waits, two per connection: three connections, and nobody waits behind another.
    let took = wait_together(&client, 5).await;
    assert!(took < Duration::from_secs(2), "the waits took {took:?}");
    assert_eq!(sandbox.connections_accepted(), 3);
    // Later calls reuse what is open.
    for _ in 0..4 {
        checkpoint(start(&client, "user_2fa_sms").await);
    }
    assert_eq!(sandbox.connections_accepted(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_http2_gets_a_connection_per_call() {
    let sandbox = unipile_sandbox::spawn(fast())
        .await
        .expect("sandbox starts");
    // An http:// base URL without cleartext HTTP/2: HTTP/1.1, one call per connection at a time.
    let client = Client::new(ClientConfig::new(
        sandbox.base_url(),
        SecretString::from(KEY.to_owned()),
    ))
    .expect("valid client config");
    let took = wait_together(&client, 3).await;
    assert!(took < Duration::from_secs(2), "the waits took {took:?}");
    // At least one connection per wait held at once. HTTP/1.1 hands a connection back to the pool
    // from its own task once an answer is read, so a call right after another may open one more.
    let accepted = sandbox.connections_accepted();
    assert!(
        accepted >= 3,
        "{accepted} connections for three waits at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_server_closed_is_replaced() {
    let first = unipile_sandbox::spawn(fast())
        .await
        .expect("sandbox starts");
    let addr = first.addr;
    let client = client_for(first.base_url(), KEY, Duration::from_secs(5));
    account(start(&client, "user_good").await);
    // The server goes away (closing its connections) and comes back on the same port.
    drop(first);
    let mut second = None;
    for _ in 0..100 {
        if let Ok(sandbox) = unipile_sandbox::spawn_on(addr, fast()).await {
            second = Some(sandbox);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = second.expect("the port is free again");
    tokio::time::sleep(Duration::from_millis(200)).await;
    account(start(&client, "user_good").await);
    assert_eq!(second.connections_accepted(), 1);
}

#[tokio::test]
async fn a_connection_unused_past_the_idle_timeout_is_replaced() {
    let sandbox = unipile_sandbox::spawn(fast())
        .await
        .expect("sandbox starts");
    let client = Client::new(ClientConfig {
        idle_timeout: Duration::from_millis(300),
        cleartext_http2: true,
        ..ClientConfig::new(sandbox.base_url(), SecretString::from(KEY.to_owned()))
    })
    .expect("valid client config");
    account(start(&client, "user_good").await);
    account(start(&client, "user_good").await);
    assert_eq!(sandbox.connections_accepted(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    account(start(&client, "user_good").await);
    assert_eq!(sandbox.connections_accepted(), 2);
}

/// The sandbox behind an HTTP/2 server (prior knowledge) that lets a connection open at most
/// `streams` streams at once; its base URL and a count of the connections it accepted.
async fn sandbox_allowing(streams: u32, config: SandboxConfig) -> (String, Arc<AtomicUsize>) {
    let router = unipile_sandbox::router(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let service = hyper_util::service::TowerToHyperService::new(router.clone());
            tokio::spawn(async move {
                let mut server =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new());
                server.max_concurrent_streams(streams);
                let _ = server
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_allowing_few_streams_gets_another_connection_not_a_queue() {
    let (base_url, accepted) = sandbox_allowing(2, fast()).await;
    let client = client_for(base_url, KEY, Duration::from_secs(10));
    // Two users wait for an approval that never comes: the server holds both calls (3 s here).
    let mut waits = Vec::new();
    for _ in 0..2 {
        let (intent_id, _) = checkpoint(start(&client, "user_in_app_timeout").await);
        let client = client.clone();
        waits.push(tokio::spawn(async move {
            client
                .solve_checkpoint(&intent_id, "", Some(Duration::from_secs(5)))
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third user signs in meanwhile, and is answered at once.
    let began = Instant::now();
    account(start(&client, "user_good").await);
    let took = began.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "the sign-in took {took:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    for wait in waits {
        wait.abort();
    }
}

#[tokio::test]
async fn per_call_timeout_overrides_the_default() {
    let config = SandboxConfig {
        in_app_approval_delay: Duration::from_secs(2),
        ..fast()
    };
    let (_sandbox, client) = setup(config).await;
    let (intent_id, _) = checkpoint(start(&client, "user_in_app").await);
    let short = client
        .solve_checkpoint(&intent_id, "", Some(Duration::from_millis(200)))
        .await;
    assert!(matches!(short, Err(UnipileError::Timeout)), "{short:?}");
}

#[tokio::test]
async fn over_http1_a_wait_may_outlast_the_default_timeout() {
    let config = SandboxConfig {
        in_app_approval_delay: Duration::from_millis(900),
        ..fast()
    };
    let sandbox = unipile_sandbox::spawn(config)
        .await
        .expect("sandbox starts");
    // An http:// base URL without cleartext HTTP/2: every call goes over HTTP/1.1.
    let client = Client::new(ClientConfig {
        request_timeout: Duration::from_millis(300),
        ..ClientConfig::new(sandbox.base_url(), SecretString::from(KEY.to_owned()))
    })
    .expect("valid client config");
    let (intent_id, _) = checkpoint(start(&client, "user_in_app").await);
    account(
        client
            .solve_checkpoint(&intent_id, "", Some(Duration::from_secs(5)))
            .await,
    );
    let (intent_id, _) = checkpoint(start(&client, "user_in_app").await);
    let default = solve(&client, &intent_id, "").await;
    assert!(matches!(default, Err(UnipileError::Timeout)), "{default:?}");
}

#[tokio::test]
async fn otp_or_in_app_both_ways() {
    let (_sandbox, client) = setup(fast()).await;
    let (by_code, step) = checkpoint(start(&client, "user_otp_or_in_app").await);
    assert_eq!(
        step,
        Checkpoint::OtpOrInAppValidation {
            channel: Some(Channel::Sms)
        }
    );
    client
        .resend_checkpoint(&by_code)
        .await
        .expect("resend answers 204");
    api_error(
        solve(&client, &by_code, "654321").await,
        ErrorType::ProviderInvalidCheckpointCode,
        401,
    );
    account(solve(&client, &by_code, "123456").await);

    let (by_app, _) = checkpoint(start(&client, "user_otp_or_in_app").await);
    account(solve(&client, &by_app, "").await);
}

#[tokio::test]
async fn challenge_selection_switches_the_otp_channel() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_challenge").await);
    let Checkpoint::ChallengeSelection { challenges } = step else {
        panic!("expected a challenge selection, got {step:?}");
    };
    let ids: Vec<_> = challenges.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["EMAIL", "SMS", "WHATSAPP"]);
    assert_eq!(challenges[1].label, "Text message");
    assert!(challenges.iter().all(|c| c.description.is_some()));

    api_error(
        solve(&client, &intent_id, "123456").await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    let bad = api_error(
        client.request_checkpoint(&intent_id, Some("PIGEON")).await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    assert!(bad.detail.is_some_and(|d| d.contains("`challenge`")));
    let (_, step) = checkpoint(
        client
            .request_checkpoint(&intent_id, Some("WHATSAPP"))
            .await,
    );
    assert_eq!(
        step,
        Checkpoint::Otp {
            channel: Some(Channel::Whatsapp)
        }
    );
    account(solve(&client, &intent_id, "123456").await);
}

#[tokio::test]
async fn try_another_way_offers_the_challenges() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, _) = checkpoint(start(&client, "user_2fa_sms").await);
    let (_, step) = checkpoint(client.request_checkpoint(&intent_id, None).await);
    assert_eq!(step.type_name(), "CHALLENGE_SELECTION");
    let (_, step) = checkpoint(client.request_checkpoint(&intent_id, Some("EMAIL")).await);
    assert_eq!(
        step,
        Checkpoint::Otp {
            channel: Some(Channel::Email)
        }
    );
    account(solve(&client, &intent_id, "123456").await);
}

#[tokio::test]
async fn contract_selection() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_contract").await);
    let Checkpoint::ContractSelection { contracts } = step else {
        panic!("expected a contract selection, got {step:?}");
    };
    assert_eq!(contracts.len(), 2);
    assert_eq!(contracts[0].name, "Acme Corp — Recruiter");
    api_error(
        solve(&client, &intent_id, "ctr_9").await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    account(solve(&client, &intent_id, &contracts[1].id).await);
}

#[tokio::test]
async fn consent_screen_links_with_any_non_empty_choice_of_the_products() {
    let (sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_consent").await);
    assert_eq!(step.type_name(), "CONSENT_SCREEN");
    let Checkpoint::ConsentScreen { products } = step else {
        panic!("expected a consent screen, got {step:?}");
    };
    let names: Vec<&str> = products.iter().map(|p| p.display_name.as_str()).collect();
    assert_eq!(names, ["LinkedIn", "Sales Navigator"]);
    for refused in ["", "recruiter", "classic,classic"] {
        api_error(
            solve(&client, &intent_id, refused).await,
            ErrorType::ApiInvalidParameters,
            400,
        );
    }
    let both = consent_code(products.iter().map(|p| p.id.as_str()));
    let linked = account(solve(&client, &intent_id, &both).await);
    assert_eq!(linked.name.as_deref(), Some("user_consent"));
    let sent = sandbox.requests();
    assert_eq!(
        sent.last().map(|r| r.body["code"].clone()),
        Some(serde_json::json!("classic,sales_navigator"))
    );

    let (intent_id, _) = checkpoint(start(&client, "user_consent").await);
    account(solve(&client, &intent_id, &consent_code(["sales_navigator"])).await);
}

#[tokio::test]
async fn pairing_code_is_shown_then_held_until_entered_in_the_app() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_pairing").await);
    let Checkpoint::PairingCode { code } = &step else {
        panic!("expected a pairing code, got {step:?}");
    };
    assert_eq!(code.expose().len(), 9, "{}", code.expose());
    assert_eq!(code.expose().as_bytes()[4], b'-');
    // Each intent has its own code.
    let (_, other) = checkpoint(start(&client, "user_pairing").await);
    assert_ne!(other, step);
    let began = Instant::now();
    account(
        client
            .solve_checkpoint(&intent_id, "", Some(Duration::from_secs(5)))
            .await,
    );
    assert!(began.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn loading_then_two_factor() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_loading").await);
    assert_eq!(step, Checkpoint::Loading);
    let (_, step) = checkpoint(solve(&client, &intent_id, "").await);
    assert_eq!(
        step,
        Checkpoint::TwoFactor {
            platform: TwoFactorPlatform::Sms
        }
    );
    account(solve(&client, &intent_id, "123456").await);
}

#[tokio::test]
async fn chained_checkpoints() {
    let (_sandbox, client) = setup(fast()).await;
    let (intent_id, step) = checkpoint(start(&client, "user_chain").await);
    assert_eq!(step.type_name(), "2FA");
    let (_, step) = checkpoint(solve(&client, &intent_id, "123456").await);
    assert_eq!(step.type_name(), "CAPTCHA");
    let (_, step) =
        checkpoint(solve(&client, &intent_id, &format!("sandbox-token:{intent_id}")).await);
    assert_eq!(step, Checkpoint::InAppValidation);
    account(solve(&client, &intent_id, "").await);
}

#[tokio::test]
async fn expired_intent_is_not_found() {
    let config = SandboxConfig {
        intent_ttl: Duration::from_millis(150),
        ..fast()
    };
    let (_sandbox, client) = setup(config).await;
    let (intent_id, _) = checkpoint(start(&client, "user_2fa_sms").await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let gone = api_error(
        solve(&client, &intent_id, "123456").await,
        ErrorType::ApiResourceNotFound,
        404,
    );
    assert!(gone.detail.is_some_and(|d| d.contains("expired")));
    api_error(
        client.resend_checkpoint(&intent_id).await,
        ErrorType::ApiResourceNotFound,
        404,
    );
}

#[tokio::test]
async fn error_usernames_answer_their_error() {
    let (_sandbox, client) = setup(fast()).await;
    for (user, kind, status) in [
        (
            "error_unknown_authentication_context",
            ErrorType::ProviderUnknownAuthenticationContext,
            403,
        ),
        (
            "error_account_restricted",
            ErrorType::ApiAccountRestricted,
            403,
        ),
        ("error_already_exists", ErrorType::ApiAlreadyExists, 409),
        ("error_proxy_error", ErrorType::ApiProxyError, 502),
        ("error_proxy_timeout", ErrorType::ApiProxyTimeout, 504),
        ("error_proxy_auth_error", ErrorType::ApiProxyAuthError, 407),
        (
            "error_invalid_parameters",
            ErrorType::ApiInvalidParameters,
            400,
        ),
        (
            "error_account_mismatch",
            ErrorType::ProviderAccountMismatch,
            401,
        ),
        ("error_server", ErrorType::ApiInternalError, 500),
        (
            "error_too_many_requests",
            ErrorType::ApiTooManyRequests,
            429,
        ),
        (
            "error_provider_server_error",
            ErrorType::ProviderServerError,
            500,
        ),
    ] {
        let error = start(&client, user).await;
        assert_eq!(
            error.as_ref().err().and_then(UnipileError::status),
            Some(status)
        );
        assert!(error
            .as_ref()
            .err()
            .and_then(UnipileError::req_id)
            .is_some());
        api_error(error, kind, status);
    }
    api_error(
        client
            .start_auth_intent(&basic("linkedin", "user_good", "wrong"))
            .await,
        ErrorType::ProviderInvalidCredentials,
        401,
    );
}

#[tokio::test]
async fn api_key_is_checked() {
    let (sandbox, _client) = setup(fast()).await;
    let wrong = client_for(sandbox.base_url(), "not-the-key", Duration::from_secs(5));
    api_error(
        start(&wrong, "user_good").await,
        ErrorType::ApiExpiredAuthorization,
        401,
    );

    // The client cannot send without a key, so speak raw HTTP.
    let response = reqwest::Client::new()
        .post(format!("{}/v2/auth/intent", sandbox.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"provider":"linkedin","credentials":{"username":"user_good","password":"pass_good"}}"#)
        .send()
        .await
        .expect("sandbox answers");
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.expect("JSON error body");
    assert_eq!(body["type"], "api/missing_authorization");
    assert_eq!(body["object"], "Error");

    let empty = Client::new(ClientConfig::new(
        sandbox.base_url(),
        SecretString::from(String::new()),
    ));
    assert!(matches!(empty, Err(UnipileError::InvalidConfig(_))));
    let relative = Client::new(ClientConfig::new(
        "api.unipile.com",
        SecretString::from("k".to_owned()),
    ));
    assert!(matches!(relative, Err(UnipileError::InvalidConfig(_))));
}

#[tokio::test]
async fn invalid_parameters_name_the_field() {
    let (_sandbox, client) = setup(fast()).await;
    let unknown = api_error(
        client
            .start_auth_intent(&basic("myspace", "user_good", "pass_good"))
            .await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    assert!(unknown.detail.is_some_and(|d| d.contains("`provider`")));

    let wrong_shape = StartAuthIntent {
        credentials: Credentials::InstagramCookie {
            sessionid: SecretString::from("cookie_good".to_owned()),
        },
        ..basic("linkedin", "", "")
    };
    let shape = api_error(
        client.start_auth_intent(&wrong_shape).await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    assert!(shape.detail.is_some_and(|d| d.contains("credentials.")));

    let bad_id = api_error(
        solve(&client, "intent_1", "123456").await,
        ErrorType::ApiInvalidParameters,
        400,
    );
    assert!(bad_id.detail.is_some_and(|d| d.contains("`intent_id`")));
}

#[tokio::test]
async fn slow_answer_is_a_timeout() {
    let (sandbox, _client) = setup(fast()).await;
    let impatient = client_for(sandbox.base_url(), KEY, Duration::from_millis(300));
    let slow = start(&impatient, "error_slow").await;
    assert!(matches!(slow, Err(UnipileError::Timeout)), "{slow:?}");
}

#[tokio::test]
async fn closed_port_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("local address").port()
    };
    let client = client_for(
        format!("http://127.0.0.1:{port}"),
        KEY,
        Duration::from_secs(2),
    );
    let refused = start(&client, "user_good").await;
    assert!(
        matches!(refused, Err(UnipileError::Connect(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn transport_faults_are_classified() {
    let (_sandbox, client) = setup(fast()).await;
    for (user, status) in [
        ("error_html", 502),
        ("error_truncated", 200),
        ("error_empty", 200),
    ] {
        match start(&client, user).await {
            Err(UnipileError::UnexpectedResponse {
                status: got,
                reason,
                ..
            }) => {
                assert_eq!(got, status, "{user}: {reason}");
            }
            other => panic!("{user}: expected UnexpectedResponse, got {other:?}"),
        }
    }
    let reset = start(&client, "error_reset").await;
    assert!(matches!(reset, Err(UnipileError::Connect(_))), "{reset:?}");
    // The client is still usable after a dropped connection.
    account(start(&client, "user_good").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_call_leaves_the_others_on_its_connection_alone() {
    let (sandbox, client) = setup(fast()).await;
    let (intent_id, _) = checkpoint(start(&client, "user_in_app").await);
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .solve_checkpoint(&intent_id, "", Some(Duration::from_secs(5)))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let reset = start(&client, "error_reset").await;
    assert!(matches!(reset, Err(UnipileError::Connect(_))), "{reset:?}");
    account(waiting.await.expect("wait task"));
    assert_eq!(sandbox.connections_accepted(), 1);
}

#[tokio::test]
async fn errors_never_reveal_secrets() {
    let (_sandbox, client) = setup(fast()).await;
    let secret = "pass_hunter2";
    let error = client
        .start_auth_intent(&basic("linkedin", "user_good", secret))
        .await
        .expect_err("wrong password");
    let text = format!("{error} {error:?}");
    assert!(!text.contains(secret) && !text.contains(KEY), "{text}");
    let debug = format!("{client:?}");
    assert!(!debug.contains(KEY), "{debug}");
}
