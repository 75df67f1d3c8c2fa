//! The security layer over real HTTP: the app on port 0 (sandbox mode, or live mode against a sandbox the
//! test starts with a known API key), a cookie-keeping client, and logs captured per test.
#![cfg(feature = "ssr")]

mod common;

use common::{
    browser,
    client::{decode, Answer, StepParts},
    logs::Logs,
    options, spawn_app, spawn_with, TestApp,
};
use credentials_flow::{
    error::{AppError, ErrorCode},
    model::{CheckpointKind, FlowStep},
    server::{
        settings::{Secrets, Settings},
        startup::{build, serve, StartupError},
    },
};
use proptest::prelude::*;
use std::{
    io::{Read as _, Write as _},
    net::SocketAddr,
    time::{Duration, Instant},
};
use unipile_sandbox::{RunningSandbox, SandboxConfig};

const SESSION_SECRET: &str = "0123456789abcdef-session-secret-for-tests-0123456789abcdef";
const METRICS_TOKEN: &str = "metrics-token-for-tests-0123456789";
/// Live mode requires signed start links, hence a key to check them with.
const LINK_SECRET: &str = "link-secret-for-security-tests-0123456789";

/// Live mode against a sandbox started here, so the test knows the API key the app holds.
async fn spawn_live(mut settings: Settings, api_key: &str) -> (TestApp, RunningSandbox) {
    let sandbox = unipile_sandbox::spawn(SandboxConfig {
        api_key: api_key.to_owned(),
        in_app_approval_delay: Duration::from_millis(200),
        loading_delay: Duration::from_millis(200),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    settings.unipile.base_url = sandbox.base_url();
    settings.unipile.allow_http = true;
    // Sign-ins are posted here as a page would post them; start links have their own tests
    // (tests/signed_links.rs), so these live-mode pages are open, as an operator may choose.
    if settings.access.signed_links.is_none() {
        settings.access.signed_links = Some(false);
    }
    let secrets = Secrets {
        api_key: Some(api_key.to_owned().into()),
        session_secret: Some(SESSION_SECRET.to_owned().into()),
        metrics_token: Some(METRICS_TOKEN.to_owned().into()),
        ..Secrets::default()
    };
    (spawn_with(settings, secrets).await, sandbox)
}

impl TestApp {
    /// Calls a checkpoint action with the current attempt's flow id added to `form`.
    async fn act(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> Answer {
        let flow = self.flow_id(client).await;
        let mut form = form.to_vec();
        form.push(("flow", &flow));
        self.call(client, endpoint, &form).await
    }

    async fn start(&self, client: &reqwest::Client, username: &str, password: &str) -> Answer {
        self.call(
            client,
            "start_auth_intent",
            &[
                ("provider", "linkedin"),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    async fn get(&self, client: &reqwest::Client, path: &str) -> Answer {
        Answer::from(
            client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("get"),
        )
        .await
    }

    async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let response = browser()
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .expect("post");
        Answer::from(response).await
    }
}

/// Whether `text` holds `word` other than inside a random hexadecimal id (a request id is 32 hex digits and
/// may happen to contain `123456`). A typed value run together with other digits, such as a phone number
/// after its country code, still counts.
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let start = text[..at]
            .rfind(|c: char| !c.is_ascii_alphanumeric())
            .map_or(0, |i| i + 1);
        let end = text[at..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(text.len(), |i| at + i);
        let run = &text[start..end];
        !(run.len() >= 24 && run.chars().all(|c| c.is_ascii_hexdigit()))
    })
}

fn random_hex(n: usize) -> String {
    use rand::Rng;
    (0..n)
        .map(|_| format!("{:x}", rand::rng().random_range(0..16u8)))
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// Secrets

#[tokio::test]
async fn live_mode_refuses_to_start_without_a_strong_session_secret() {
    let live = |secret: Option<&str>| Secrets {
        api_key: Some("key".to_owned().into()),
        session_secret: secret.map(|s| s.to_owned().into()),
        link_secret: Some(LINK_SECRET.to_owned().into()),
        ..Secrets::default()
    };
    let err = build(Settings::default(), live(None), options())
        .await
        .err()
        .expect("no SESSION_SECRET");
    assert!(matches!(err, StartupError::MissingSessionSecret), "{err}");
    assert!(
        err.to_string().contains("SESSION_SECRET is required")
            && err.to_string().contains("openssl rand"),
        "{err}"
    );
    let err = build(Settings::default(), live(Some("short-secret")), options())
        .await
        .err()
        .expect("weak");
    assert!(matches!(err, StartupError::WeakSessionSecret), "{err}");
    assert!(err.to_string().contains("at least 32 characters"), "{err}");
    assert!(
        build(Settings::default(), live(Some(SESSION_SECRET)), options())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn live_mode_refuses_a_plain_http_unipile_unless_allowed() {
    let live = || Secrets {
        api_key: Some("key".to_owned().into()),
        session_secret: Some(SESSION_SECRET.to_owned().into()),
        link_secret: Some(LINK_SECRET.to_owned().into()),
        ..Secrets::default()
    };
    let mut settings = Settings::default();
    settings.unipile.base_url = "http://127.0.0.1:9/v2".into();
    let err = build(settings.clone(), live(), options())
        .await
        .err()
        .expect("http refused");
    assert!(matches!(err, StartupError::PlainHttp), "{err}");
    assert!(
        err.to_string().contains("unipile.allow_http") && err.to_string().contains("https"),
        "{err}"
    );
    settings.unipile.allow_http = true;
    assert!(build(settings, live(), options()).await.is_ok());
    // Sandbox mode talks to its own emulator over loopback, whatever the setting.
    assert!(build(Settings::default(), Secrets::default(), options())
        .await
        .is_ok());
}

#[tokio::test]
async fn a_short_metrics_token_stops_start_up_with_the_reason() {
    let with_token = |token: &str| Secrets {
        metrics_token: Some(token.to_owned().into()),
        ..Secrets::default()
    };
    let err = build(Settings::default(), with_token("guessable-7"), options())
        .await
        .err()
        .expect("weak");
    assert!(matches!(err, StartupError::WeakMetricsToken), "{err}");
    assert!(
        err.to_string()
            .contains("METRICS_TOKEN must be at least 24 characters")
            && !err.to_string().contains("guessable-7"),
        "{err}"
    );
    let token = "a-metrics-token-long-enough-0123";
    assert!(build(Settings::default(), with_token(token), options())
        .await
        .is_ok());
}

#[tokio::test]
async fn extra_root_certificates_are_read_at_start_up_or_stop_it_with_the_reason() {
    use base64::Engine as _;
    let live = || Secrets {
        api_key: Some("key".to_owned().into()),
        session_secret: Some(SESSION_SECRET.to_owned().into()),
        link_secret: Some(LINK_SECRET.to_owned().into()),
        ..Secrets::default()
    };
    let with_file = |path: &std::path::Path| {
        let mut settings = Settings::default();
        settings.unipile.extra_root_certificates = Some(path.display().to_string());
        settings
    };
    let dir = std::env::temp_dir().join(format!("cf-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    let authority = base64::engine::general_purpose::STANDARD
        .encode(include_bytes!("../crates/unipile/tests/tls/ca.der"));
    let pem = dir.join("ca.pem");
    std::fs::write(
        &pem,
        format!("-----BEGIN CERTIFICATE-----\n{authority}\n-----END CERTIFICATE-----\n"),
    )
    .expect("write");
    assert!(build(with_file(&pem), live(), options()).await.is_ok());

    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "just some text\n").expect("write");
    let missing = dir.join("missing.pem");
    for (path, reason) in [
        (&not_pem, "no PEM certificate"),
        (&missing, "cannot be read"),
    ] {
        let err = build(with_file(path), live(), options())
            .await
            .err()
            .expect("refused");
        let text = err.to_string();
        assert!(matches!(err, StartupError::Client(_)), "{text}");
        assert!(
            text.contains("unipile.extra_root_certificates")
                && text.contains(&path.display().to_string())
                && text.contains(reason)
                && text.contains("leave the setting out"),
            "{text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sandbox_mode_generates_a_session_secret_and_says_so() {
    let (logs, _guard) = Logs::capture();
    let app = spawn_app(Settings::default()).await;
    assert!(
        logs.text()
            .contains("SESSION_SECRET not set, a random one is used"),
        "{}",
        logs.text()
    );
    // The generated secret works: a flow survives from one request to the next.
    let client = browser();
    app.start(&client, "user_2fa_sms", "pass_good").await;
    let step = app
        .act(
            &client,
            "solve_checkpoint",
            &[("provider", "linkedin"), ("code", "123456")],
        )
        .await;
    assert_eq!(
        step.step().linked_name(),
        Some("user_2fa_sms"),
        "{}",
        step.body
    );
}

/// Runs every kind of flow in live mode and checks that no secret (API key, SESSION_SECRET, passwords,
/// codes, cookie values, an intent id before its success) reaches a page, a response or a log line.
#[tokio::test]
async fn no_secret_reaches_the_browser_or_the_logs() {
    let (logs, _guard) = Logs::capture();
    let api_key = format!("sk_live_{}", random_hex(32));
    let mut settings = Settings::default();
    settings.unipile.request_timeout_ms = 1_000u64.try_into().expect("not 0");
    let (app, sandbox) = spawn_live(settings, &api_key).await;
    let mut seen = Vec::new();
    let mut cookies = Vec::new();
    let mut keep = |s: Answer, seen: &mut Vec<String>| {
        cookies.extend(s.flow_cookie());
        seen.push(s.text());
        s
    };
    let linkedin = |code: &'static str| [("provider", "linkedin"), ("code", code)];

    let client = browser();
    keep(app.get(&client, "/").await, &mut seen);
    keep(app.get(&client, "/connect/linkedin").await, &mut seen);
    keep(app.call(&client, "get_site_info", &[]).await, &mut seen);
    // Good credentials at once.
    keep(
        app.start(&client, "user_good", "pass_good").await,
        &mut seen,
    );
    // 2FA: a wrong code, then the right one.
    keep(
        app.start(&client, "user_2fa_sms", "pass_good").await,
        &mut seen,
    );
    keep(app.get(&client, "/connect/linkedin").await, &mut seen);
    keep(
        app.act(&client, "solve_checkpoint", &linkedin("000111"))
            .await,
        &mut seen,
    );
    let done = keep(
        app.act(&client, "solve_checkpoint", &linkedin("123456"))
            .await,
        &mut seen,
    );
    assert_eq!(
        done.step().linked_name(),
        Some("user_2fa_sms"),
        "{}",
        done.body
    );
    // Phone registration, then its SMS code.
    keep(
        app.start(&client, "user_phone", "pass_good").await,
        &mut seen,
    );
    let phone = [
        ("provider", "linkedin"),
        ("country_code", "+33"),
        ("phone_number", "612345678"),
    ];
    keep(app.act(&client, "register_phone", &phone).await, &mut seen);
    keep(
        app.act(&client, "solve_checkpoint", &linkedin("123456"))
            .await,
        &mut seen,
    );
    // A wrong password, upstream errors, and a 2FA left open after a wrong code.
    keep(
        app.start(&client, "user_good", "wrong_pw_4711").await,
        &mut seen,
    );
    keep(
        app.start(&client, "error_server", "pass_good").await,
        &mut seen,
    );
    keep(
        app.start(&client, "error_html", "pass_good").await,
        &mut seen,
    );
    keep(
        app.start(&client, "error_slow", "pass_good").await,
        &mut seen,
    );
    // A password handed over with the typing kept across a language switch (the page leaves it out),
    // posted as the browser does, then the page it is sent to.
    let typed = [
        ("provider", "linkedin"),
        ("to", "/connect/linkedin?lang=en"),
        ("username", "user_good"),
        ("password", "kept_pw_5150"),
    ];
    let handed_over = Answer::from(
        client
            .post(format!("{}/api/keep_typed", app.base))
            .header("accept", "text/html")
            .form(&typed)
            .send()
            .await
            .expect("post"),
    )
    .await;
    let next = handed_over.header("location").to_owned();
    keep(handed_over, &mut seen);
    keep(app.get(&client, &next).await, &mut seen);
    // The operator's scrape, and someone else's attempt at it.
    for bearer in [METRICS_TOKEN, "a-guess"] {
        let scraped = browser()
            .get(format!("{}/metrics", app.base))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("metrics");
        keep(Answer::from(scraped).await, &mut seen);
    }
    let abandoned = browser();
    keep(
        app.start(&abandoned, "user_2fa_app", "pass_good").await,
        &mut seen,
    );
    keep(
        app.act(&abandoned, "solve_checkpoint", &linkedin("222333"))
            .await,
        &mut seen,
    );
    keep(app.load(&abandoned).await, &mut seen);

    let seen = seen.join("\n");
    let logs = logs.text();
    // The capture works and requests are logged with their id.
    assert!(
        logs.contains("upstream failure") && logs.contains("request{id="),
        "{logs}"
    );
    assert!(cookies.len() >= 5, "{cookies:?}");
    assert!(
        seen.contains("credentials_flow_sign_ins_started_total{provider=\"linkedin\"}"),
        "the metrics were scraped"
    );
    for secret in [api_key.as_str(), SESSION_SECRET, METRICS_TOKEN] {
        assert!(
            !seen.contains(secret),
            "a server secret reached the browser"
        );
        assert!(!logs.contains(secret), "a server secret reached the logs");
    }
    assert!(
        mentions("code=\"000111\"", "000111")
            && mentions("+33612345678", "612345678")
            && !mentions("id=7f3a000111c4e9b2d8a1f06e5b3c7d92", "000111"),
        "the check finds a typed value, and not inside a request id"
    );
    assert!(
        seen.contains(r#"value="user_good""#) && !seen.contains("kept_pw_5150"),
        "the kept typing came back without its password"
    );
    for typed in [
        "pass_good",
        "wrong_pw_4711",
        "kept_pw_5150",
        "123456",
        "000111",
        "222333",
        "612345678",
    ] {
        assert!(!mentions(&logs, typed), "{typed} reached the logs:\n{logs}");
    }
    for cookie in &cookies {
        assert!(
            !logs.contains(cookie.as_str()),
            "a cookie value reached the logs"
        );
    }
    let intents: Vec<String> = sandbox
        .requests()
        .iter()
        .filter_map(|r| {
            r.body
                .get("intent_id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    assert!(intents.len() >= 3, "{intents:?}");
    for intent in &intents {
        // An intent id may be logged only as the id of the account it became.
        if let Some(line) = logs.lines().find(|l| l.contains(intent.as_str())) {
            assert!(
                line.contains("account linked"),
                "intent id logged before success: {line}"
            );
        }
        let before_success = seen
            .split(&format!("\"id\":\"{intent}\""))
            .next()
            .unwrap_or_default();
        assert!(
            !before_success.contains(intent.as_str()),
            "intent id reached the browser before success"
        );
    }
}

/// A pairing code is shown to the user, so it reaches their browser; it never reaches a log line, through the
/// whole step: shown, drawn again on a reload, waited on until the account is linked.
#[tokio::test]
async fn a_pairing_code_never_reaches_the_logs() {
    let (logs, _guard) = Logs::capture();
    let mut settings = Settings::default();
    settings.flow.wait_secs = 1u64.try_into().expect("not 0");
    let (app, _sandbox) = spawn_live(settings, &format!("sk_live_{}", random_hex(32))).await;
    let client = browser();
    let step = app.start(&client, "user_pairing", "pass_good").await.step();
    let CheckpointKind::PairingCode { code } = step.kind() else {
        panic!("expected a pairing code, got {step:?}");
    };
    let code = code.expose().to_owned();
    assert!(app
        .get(&client, "/connect/linkedin")
        .await
        .text()
        .contains(&code));
    let mut last = step;
    for _ in 0..10 {
        last = app
            .act(&client, "wait_checkpoint", &[("provider", "linkedin")])
            .await
            .step();
        if matches!(last, FlowStep::Connected(_)) {
            break;
        }
    }
    assert_eq!(last.linked_name(), Some("user_pairing"), "{last:?}");
    let logs = logs.text();
    assert!(
        logs.contains("checkpoint_type=\"PAIRING_CODE\"") && logs.contains("account linked"),
        "the step is logged, by its type: {logs}"
    );
    for shown in [code.clone(), code.replace('-', "")] {
        assert!(
            !logs.contains(&shown),
            "the pairing code reached the logs:\n{logs}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// Session cookie

#[tokio::test]
async fn the_flow_cookie_is_http_only_strict_secure_when_set_and_bound_to_the_secret() {
    let mut settings = Settings::default();
    settings.cookie.secure = Some(true);
    let (app, _sandbox) = spawn_live(settings.clone(), "key-a").await;
    let client = browser();
    let started = app.start(&client, "user_2fa_sms", "pass_good").await;
    let flow_id = started.step().checkpoint().flow_id.clone();
    let set_cookie = started.header("set-cookie").to_owned();
    assert!(
        set_cookie.starts_with("__Host-cf_flow_linkedin="),
        "{set_cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing: {set_cookie}"
        );
    }
    assert!(
        !set_cookie.contains("user_2fa_sms"),
        "the cookie is encrypted: {set_cookie}"
    );
    // A replica with another SESSION_SECRET cannot read it: the flow is not found there.
    let other = build(
        Settings::default(),
        Secrets {
            api_key: Some("key-a".to_owned().into()),
            session_secret: Some(format!("{SESSION_SECRET}-other").into()),
            link_secret: Some(LINK_SECRET.to_owned().into()),
            ..Secrets::default()
        },
        options(),
    )
    .await
    .expect("builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            other
                .router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let cookie = started.flow_cookie().expect("flow cookie");
    let replayed = reqwest::Client::new()
        .post(format!("http://{addr}/api/solve_checkpoint"))
        .header("accept", "application/json")
        .header("cookie", format!("__Host-cf_flow_linkedin={cookie}"))
        .form(&[
            ("provider", "linkedin"),
            ("code", "123456"),
            ("flow", &flow_id),
        ])
        .send()
        .await
        .expect("post");
    let replayed = Answer::from(replayed).await;
    assert_eq!(
        replayed.step().form_notice(),
        Some(ErrorCode::NoFlow),
        "{}",
        replayed.body
    );
}

// ---------------------------------------------------------------------------------------------------
// Cross-site requests

#[tokio::test]
async fn cross_site_posts_are_refused_and_there_is_no_cors() {
    let app = spawn_app(Settings::default()).await;
    let own = app.base.clone();
    let post = |headers: Vec<(&'static str, String)>| {
        let mut request = browser()
            .post(format!("{}/api/get_site_info", app.base))
            .header("accept", "application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        async move { Answer::from(request.send().await.expect("post")).await }
    };
    for refused in [
        vec![("origin", "https://evil.example".to_owned())],
        vec![("origin", "null".to_owned())],
        vec![
            ("origin", "null".to_owned()),
            ("sec-fetch-site", "cross-site".to_owned()),
        ],
        vec![("origin", own.replace("127.0.0.1", "localhost"))],
        vec![("sec-fetch-site", "cross-site".to_owned())],
        vec![("sec-fetch-site", "same-site".to_owned())],
        vec![
            ("sec-fetch-site", "same-origin".to_owned()),
            ("origin", "https://evil.example".to_owned()),
        ],
    ] {
        let seen = post(refused.clone()).await;
        assert_eq!(seen.status, 403, "{refused:?}");
        assert_eq!(seen.body.trim(), "Cross-site request refused.");
        assert!(seen.header("content-type").starts_with("text/plain"));
    }
    for allowed in [
        vec![],
        vec![
            ("origin", own.clone()),
            ("sec-fetch-site", "same-origin".to_owned()),
        ],
        vec![("sec-fetch-site", "none".to_owned())],
        // A form posted from our own page under `no-referrer`: Chromium sends `Origin: null`.
        vec![
            ("origin", "null".to_owned()),
            ("sec-fetch-site", "same-origin".to_owned()),
        ],
    ] {
        assert_eq!(post(allowed.clone()).await.status, 200, "{allowed:?}");
    }
    // No CORS: a preflight gets no permission, and no answer names another origin.
    let preflight = browser()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/get_site_info", app.base),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("options");
    assert!(
        preflight
            .headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-")),
        "{:?}",
        preflight.headers()
    );
    let page = app.get(&browser(), "/").await;
    assert!(page
        .headers
        .keys()
        .all(|k| !k.as_str().starts_with("access-control-")));
}

// ---------------------------------------------------------------------------------------------------
// Headers

fn nonce_of(csp: &str) -> String {
    let start = csp.find("'nonce-").expect("nonce in policy") + "'nonce-".len();
    csp[start..].split('\'').next().expect("nonce").to_owned()
}

#[tokio::test]
async fn pages_carry_a_strict_policy_whose_nonce_is_on_every_script() {
    let mut settings = Settings::default();
    settings.server.instance = "replica-a".into();
    let app = spawn_app(settings).await;
    let sandbox_origin = app.built.sandbox.as_ref().expect("sandbox").base_url();
    let client = browser();
    let mut nonces = Vec::new();
    for path in [
        "/",
        "/connect/linkedin",
        "/connect/myspace",
        "/no/such/page",
    ] {
        let page = app.get(&client, path).await;
        let csp = page.header("content-security-policy").to_owned();
        assert!(
            page.header("content-type").starts_with("text/html"),
            "{path}"
        );
        for part in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            // In sandbox mode the CAPTCHA script comes from the emulator's stand-in, so only its origin is allowed.
            sandbox_origin.as_str(),
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {part} missing from {csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains('*') && !csp.contains("arkoselabs.com"),
            "{csp}"
        );
        let nonce = nonce_of(&csp);
        let scripts: Vec<&str> = page
            .body
            .split("<script")
            .skip(1)
            .map(|s| s.split('>').next().unwrap_or_default())
            .collect();
        assert!(!scripts.is_empty(), "{path}: no script at all");
        for script in &scripts {
            assert!(
                script.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: script without the nonce: <script{script}>"
            );
        }
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "no-referrer");
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
        assert_eq!(page.header("x-served-by"), "replica-a");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce per response");

    let answer = app.call(&client, "get_site_info", &[]).await;
    assert_eq!(answer.header("cache-control"), "no-store");
    assert_eq!(answer.header("x-content-type-options"), "nosniff");
    let first = answer.header("x-request-id").to_owned();
    let second = app
        .call(&client, "get_site_info", &[])
        .await
        .header("x-request-id")
        .to_owned();
    assert!(first.len() >= 16 && first != second, "{first} {second}");
    // A proxy's well-formed id is kept; anything else is replaced.
    let kept = client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "lb-1234abcd")
        .send()
        .await
        .expect("get");
    assert_eq!(kept.headers()["x-request-id"], "lb-1234abcd");
    let replaced = client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "a b\tc")
        .send()
        .await
        .expect("get");
    assert_ne!(replaced.headers()["x-request-id"], "a b\tc");
}

#[tokio::test]
async fn frame_ancestors_follow_the_setting() {
    let mut settings = Settings::default();
    settings.embed.allowed_origins = vec!["https://app.example.com".into()];
    let app = spawn_app(settings).await;
    let page = app.get(&browser(), "/").await;
    assert!(page
        .header("content-security-policy")
        .ends_with("frame-ancestors https://app.example.com"));
}

// ---------------------------------------------------------------------------------------------------
// Bad input

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_never_a_5xx() {
    let app = spawn_app(Settings::default()).await;
    let form = "application/x-www-form-urlencoded";
    let too_big = format!(
        "provider=linkedin&username=user_good&password={}",
        "x".repeat(20_000)
    );
    let big = app
        .post_raw("/api/start_auth_intent", form, too_big.clone().into_bytes())
        .await;
    assert_eq!(big.status, 413);
    assert!(
        matches!(
            serde_json::from_str::<AppError>(&big.body),
            Ok(AppError::BadRequest(_))
        ),
        "{}",
        big.body
    );

    // The same body without a Content-Length (chunked) is cut off too.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let mut request = format!(
            "POST /api/start_auth_intent HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {form}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        .into_bytes();
        for chunk in too_big.as_bytes().chunks(4096) {
            write!(request, "{:x}\r\n", chunk.len()).expect("write");
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        // The server may answer and close before reading everything: a failed write is fine.
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("join");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    for (body, why) in [
        (
            b"username=user_good&password=b".to_vec(),
            "missing provider",
        ),
        (
            b"provider=linkedin&account_id=acc_1%2F..&username=a&password=b".to_vec(),
            "malformed reconnect account",
        ),
        (
            b"provider=linkedin&username=a&password=b&password[x]=c".to_vec(),
            "wrong type",
        ),
        (
            b"provider[0]=linkedin&username=a&password=b".to_vec(),
            "sequence for a string",
        ),
        (
            b"provider=myspace&username=a&password=b".to_vec(),
            "unknown provider",
        ),
        (
            b"provider=linkedin&username=\xff\xfe&password=b".to_vec(),
            "invalid UTF-8",
        ),
        (b"%%%%".to_vec(), "not a form"),
    ] {
        let seen = app.post_raw("/api/start_auth_intent", form, body).await;
        assert_eq!(seen.status, 400, "{why}: {}", seen.body);
        let err: AppError = serde_json::from_str(&seen.body)
            .unwrap_or_else(|e| panic!("{why}: {e}: {}", seen.body));
        assert!(matches!(err, AppError::BadRequest(_)), "{why}: {err:?}");
    }
    let unknown = app
        .post_raw("/api/no_such_function", form, b"a=b".to_vec())
        .await;
    assert!((400..500).contains(&unknown.status), "{}", unknown.status);
    // A plain form post with bad input goes back to a page, not to an error.
    let plain = browser()
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "text/html")
        .form(&[
            ("provider", "myspace"),
            ("username", "a"),
            ("password", "b"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(plain.status().as_u16(), 302);
    assert_eq!(plain.headers()["location"], "/");
}

/// The server functions answered through leptos_axum give a failure its own status (server_fn sends every
/// error as 500): a call that cannot be read, or names a provider not offered, is 400 with the error's JSON;
/// the same, posted by a browser without JavaScript, is sent back to the page it came from.
#[tokio::test]
async fn the_other_server_functions_answer_a_failure_with_its_own_status() {
    let app = spawn_app(Settings::default()).await;
    let form = "application/x-www-form-urlencoded";
    for (endpoint, body, why) in [
        (
            "/api/solve_checkpoint",
            "provider=linkedin",
            "missing flow and code",
        ),
        ("/api/solve_checkpoint", "%%%%", "not a form"),
        (
            "/api/solve_checkpoint",
            "provider=myspace&flow=abc&code=123456",
            "unknown provider",
        ),
        (
            "/api/resend_code",
            "provider=myspace&flow=abc",
            "unknown provider",
        ),
        (
            "/api/load_flow_step",
            "provider=linkedin&wait=maybe",
            "not a boolean",
        ),
    ] {
        let seen = app.post_raw(endpoint, form, body.as_bytes().to_vec()).await;
        assert_eq!(seen.status, 400, "{endpoint} {why}: {}", seen.body);
        let err: AppError = serde_json::from_str(&seen.body)
            .unwrap_or_else(|e| panic!("{endpoint} {why}: {e}: {}", seen.body));
        assert!(matches!(err, AppError::BadRequest(_)), "{why}: {err:?}");
    }
    let plain = browser()
        .post(format!("{}/api/solve_checkpoint", app.base))
        .header("content-type", form)
        .header("accept", "text/html")
        .header("referer", format!("{}/connect/linkedin", app.base))
        .header("origin", app.base.as_str())
        .body("provider=myspace&flow=abc&code=123456")
        .send()
        .await
        .expect("post");
    assert_eq!(plain.status().as_u16(), 302);
    let location = plain.headers()["location"].to_str().expect("ascii");
    assert!(
        location.starts_with(&format!("{}/connect/linkedin?", app.base)),
        "{location}"
    );
}

/// The wait (thousands of browsers hold one open at once) refuses bad input and answers plain posts as every
/// server function does.
#[tokio::test]
async fn the_wait_endpoint_refuses_bad_input_and_answers_plain_posts_like_every_server_function() {
    let app = spawn_app(Settings::default()).await;
    let form = "application/x-www-form-urlencoded";
    for (body, why) in [
        (b"provider=linkedin".to_vec(), "missing flow"),
        (b"flow=abc".to_vec(), "missing provider"),
        (
            b"provider[0]=linkedin&flow=abc".to_vec(),
            "sequence for a string",
        ),
        (b"provider=myspace&flow=abc".to_vec(), "unknown provider"),
        (b"%%%%".to_vec(), "not a form"),
    ] {
        let seen = app.post_raw("/api/wait_checkpoint", form, body).await;
        assert_eq!(seen.status, 400, "{why}: {}", seen.body);
        let err: AppError = serde_json::from_str(&seen.body)
            .unwrap_or_else(|e| panic!("{why}: {e}: {}", seen.body));
        assert!(matches!(err, AppError::BadRequest(_)), "{why}: {err:?}");
        assert_eq!(seen.header("x-content-type-options"), "nosniff", "{why}");
    }
    let big = app
        .post_raw(
            "/api/wait_checkpoint",
            form,
            format!("provider=linkedin&flow={}", "x".repeat(20_000)).into_bytes(),
        )
        .await;
    assert_eq!(big.status, 413, "{}", big.body);

    // No flow in this browser: the sign-in form, as JSON for the page's script…
    let none = app
        .post_raw(
            "/api/wait_checkpoint",
            form,
            b"provider=linkedin&flow=abc".to_vec(),
        )
        .await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert!(none.header("content-type").starts_with("application/json"));
    let step: FlowStep = decode(&none.body);
    assert!(matches!(step, FlowStep::Form(_)), "{step:?}");
    // …and a redirect to the flow page for a form posted without JavaScript.
    let plain = browser()
        .post(format!("{}/api/wait_checkpoint", app.base))
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[("provider", "linkedin"), ("flow", "abc")])
        .send()
        .await
        .expect("post");
    assert_eq!(plain.status().as_u16(), 302);
    assert_eq!(plain.headers()["location"], "/connect/linkedin");
    let refused = browser()
        .post(format!("{}/api/wait_checkpoint", app.base))
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[("provider", "myspace"), ("flow", "abc")])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status().as_u16(), 302);
    assert_eq!(refused.headers()["location"], "/");
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "provider",
            "username",
            "password",
            "code",
            "country_code",
            "phone_number"
        ])
        .prop_map(str::to_owned),
        "[a-z_\\[\\]0-9]{0,12}",
        any::<String>(),
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "linkedin",
            "imap",
            "user_2fa_sms",
            "user_good",
            "pass_good",
            "123456",
            "+33",
            ""
        ])
        .prop_map(str::to_owned),
        any::<String>(),
        "[0-9+() -]{0,20}",
    ]
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A request body: form pairs (url-encoded or with raw, unescaped bytes), or arbitrary bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec((field_name(), field_value()), 0..8).prop_map(|pairs| pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()),
        prop::collection::vec((field_name(), field_value()), 0..8).prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..512),
    ]
}

#[test]
fn generated_bodies_never_get_a_5xx_from_any_server_function() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut settings = Settings::default();
    settings.unipile.request_timeout_ms = 2_000u64.try_into().expect("not 0");
    let app = runtime.block_on(spawn_app(settings));
    let mut endpoints: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    endpoints.sort();
    for expected in [
        "get_site_info",
        "load_flow_step",
        "start_auth_intent",
        "solve_checkpoint",
        "register_phone",
        "restart_flow",
        "keep_typed",
    ] {
        assert!(
            endpoints.iter().any(|e| e == &format!("/api/{expected}")),
            "{expected} not in {endpoints:?}"
        );
    }
    let content_types = [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "multipart/form-data",
    ];
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(endpoint in prop::sample::select(endpoints.clone()), body in body(),
                        content_type in prop::sample::select(content_types.to_vec()))| {
        let seen = runtime.block_on(app.post_raw(&endpoint, content_type, body));
        prop_assert!(seen.status < 500, "{endpoint}: {} {}", seen.status, seen.body);
    });
    let health = runtime.block_on(app.get(&browser(), "/healthz"));
    assert_eq!(health.status, 200, "the server is still up");
}

// ---------------------------------------------------------------------------------------------------
// Rate limits

#[tokio::test]
async fn too_many_starts_from_one_address_get_429_with_retry_after_and_the_notice() {
    let mut settings = Settings::default();
    settings.limits.start_per_ip_per_minute = 3u32.try_into().expect("not 0");
    let app = spawn_app(settings).await;
    let client = browser();
    for user in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(app.start(&client, user, "wrong").await.status, 200);
    }
    // Neither another username nor a forged X-Forwarded-For (not trusted by default) gets round it.
    let limited = Answer::from(
        client
            .post(format!("{}/api/start_auth_intent", app.base))
            .header("accept", "application/json")
            .header("x-forwarded-for", "203.0.113.9")
            .form(&[
                ("provider", "linkedin"),
                ("username", "d@example.com"),
                ("password", "wrong"),
            ])
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    let retry_after: u64 = limited
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let err: AppError = serde_json::from_str(&limited.body).expect("the page can decode the error");
    assert!(matches!(err, AppError::RateLimited { .. }), "{err:?}");
    assert_eq!(
        err.notice()
            .code
            .remedy(credentials_flow::i18n::Locale::en, "LinkedIn"),
        "Wait a few minutes, then try again."
    );
    // The form, reloaded, shows the notice with the username kept.
    let step = app.load(&client).await.step();
    assert_eq!(step.form_notice(), Some(ErrorCode::RateLimited), "{step:?}");
    assert_eq!(step.form().form.get("username"), "d@example.com");
}

#[tokio::test]
async fn too_many_starts_for_one_username_are_refused_whatever_the_address() {
    let mut settings = Settings::default();
    settings.limits.start_per_username_per_minute = 2u32.try_into().expect("not 0");
    settings.limits.trust_forwarded_for = true;
    let app = spawn_app(settings).await;
    let from = |ip: &'static str, user: &'static str| {
        browser()
            .post(format!("{}/api/start_auth_intent", app.base))
            .header("accept", "application/json")
            .header("x-forwarded-for", ip)
            .form(&[
                ("provider", "linkedin"),
                ("username", user),
                ("password", "wrong"),
            ])
            .send()
    };
    assert_eq!(
        from("198.51.100.1", "victim@example.com")
            .await
            .expect("post")
            .status(),
        200
    );
    assert_eq!(
        from("198.51.100.2", "Victim@Example.com")
            .await
            .expect("post")
            .status(),
        200
    );
    assert_eq!(
        from("198.51.100.3", "victim@example.com")
            .await
            .expect("post")
            .status(),
        429
    );
    assert_eq!(
        from("198.51.100.3", "someone.else@example.com")
            .await
            .expect("post")
            .status(),
        200
    );
}

#[tokio::test]
async fn the_address_comes_from_the_last_forwarded_entry_only_when_trusted() {
    let mut settings = Settings::default();
    settings.limits.start_per_ip_per_minute = 1u32.try_into().expect("not 0");
    settings.limits.trust_forwarded_for = true;
    let app = spawn_app(settings).await;
    let from = |xff: &'static str, user: &'static str| {
        browser()
            .post(format!("{}/api/start_auth_intent", app.base))
            .header("accept", "application/json")
            .header("x-forwarded-for", xff)
            .form(&[
                ("provider", "linkedin"),
                ("username", user),
                ("password", "wrong"),
            ])
            .send()
    };
    assert_eq!(from("192.0.2.1", "u1").await.expect("post").status(), 200);
    assert_eq!(from("192.0.2.1", "u2").await.expect("post").status(), 429);
    // The client may prepend anything; the proxy's entry (the last) counts.
    assert_eq!(
        from("192.0.2.77, 192.0.2.1", "u3")
            .await
            .expect("post")
            .status(),
        429
    );
    assert_eq!(from("192.0.2.2", "u4").await.expect("post").status(), 200);
}

#[tokio::test]
async fn without_javascript_a_refused_start_lands_on_the_form_with_the_notice() {
    let mut settings = Settings::default();
    settings.limits.start_per_ip_per_minute = 1u32.try_into().expect("not 0");
    let app = spawn_app(settings).await;
    let client = browser();
    let post = || {
        client
            .post(format!("{}/api/start_auth_intent", app.base))
            .header("accept", "text/html,application/xhtml+xml")
            .form(&[
                ("provider", "linkedin"),
                ("username", "user_good"),
                ("password", "wrong"),
            ])
            .send()
    };
    assert_eq!(post().await.expect("post").status().as_u16(), 302);
    let refused = post().await.expect("post");
    assert_eq!(refused.status().as_u16(), 302);
    let back = refused.headers()["location"].to_str().expect("ascii");
    assert!(back.starts_with("/connect/linkedin?flow="), "{back}");
    assert!(refused.headers().contains_key("retry-after"));
    let page = app.get(&client, back).await;
    assert!(
        page.body.contains("Too many attempts in a short time."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Wait a few minutes, then try again."));
    assert!(page.body.contains(r#"value="user_good""#), "username kept");
}

// ---------------------------------------------------------------------------------------------------
// Upstream faults

#[tokio::test]
async fn upstream_faults_give_a_support_reference_once_without_retrying() {
    let (logs, _guard) = Logs::capture();
    let mut settings = Settings::default();
    settings.unipile.connect_timeout_ms = 1_000u64.try_into().expect("not 0");
    settings.unipile.request_timeout_ms = 1_500u64.try_into().expect("not 0");
    let app = spawn_app(settings).await;
    let sandbox = app.built.sandbox.as_ref().expect("sandbox");
    for user in [
        "error_html",
        "error_truncated",
        "error_empty",
        "error_reset",
        "error_server",
        "error_slow",
    ] {
        let client = browser();
        let started = Instant::now();
        let seen = app.start(&client, user, "pass_good").await;
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{user} took {:?}",
            started.elapsed()
        );
        assert_eq!(seen.status, 200, "{user}: {}", seen.body);
        let step = seen.step();
        let notice = step.form().notice.as_ref();
        assert_eq!(
            notice.map(|n| n.code),
            Some(ErrorCode::ServiceUnavailable),
            "{user}: {}",
            seen.body
        );
        let reference = notice
            .and_then(|n| n.support_ref.clone())
            .unwrap_or_default();
        assert!(!reference.is_empty(), "{user}: no support reference");
        let sent = sandbox
            .requests()
            .iter()
            .filter(|r| r.path == "/v2/auth/intent" && r.body.to_string().contains(user))
            .count();
        assert_eq!(sent, 1, "{user}: the intent was sent {sent} times");
        let logs = logs.text();
        let line = logs
            .lines()
            .find(|l| l.contains("upstream failure") && l.contains(&reference));
        assert!(
            line.is_some_and(|l| l.contains("cause=")),
            "{user}: no log line with the cause and {reference}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// Operations

#[tokio::test]
async fn readiness_follows_the_sandbox_and_health_does_not() {
    let mut app = spawn_app(Settings::default()).await;
    let client = browser();
    // Probes after the first reuse what it set up and still ask the sandbox each time.
    for _ in 0..3 {
        assert_eq!(app.get(&client, "/readyz").await.status, 200);
    }
    drop(app.built.sandbox.take());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.get(&client, "/readyz").await.status, 503);
    assert_eq!(app.get(&client, "/healthz").await.status, 200);

    let (live, _sandbox) = spawn_live(Settings::default(), "key").await;
    assert_eq!(live.get(&client, "/readyz").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight_within_the_deadline() {
    /// Serves a handler taking `handler_ms`, signals shutdown while a request is in it, and returns whether
    /// the server finished cleanly, how long it took after the signal, and the request.
    async fn serve_slow(
        deadline: Duration,
        handler_ms: u64,
    ) -> (bool, Duration, tokio::task::JoinHandle<Option<u16>>) {
        let router = axum::Router::new().route(
            "/work",
            axum::routing::get(move || async move {
                tokio::time::sleep(Duration::from_millis(handler_ms)).await;
                "done"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            router,
            async move {
                let _ = stopped.await;
            },
            deadline,
        ));
        let request = tokio::spawn(async move {
            reqwest::get(format!("http://{addr}/work"))
                .await
                .ok()
                .map(|r| r.status().as_u16())
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let signalled = Instant::now();
        stop.send(()).expect("server waiting");
        let finished = server.await.expect("join").expect("serve");
        (finished, signalled.elapsed(), request)
    }
    // A request in flight at the signal completes, then the server stops.
    let (finished, _, request) = serve_slow(Duration::from_secs(10), 800).await;
    assert!(finished);
    assert_eq!(request.await.expect("join"), Some(200));
    // One that outlives the deadline does not hold the server: it stops after the deadline (and the
    // process, in main, exits with it).
    let (finished, took, request) = serve_slow(Duration::from_millis(300), 60_000).await;
    assert!(!finished);
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(10),
        "{took:?}"
    );
    request.abort();
}

// ---------------------------------------------------------------------------------------------------
// Cookie and transport hardening

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The `Set-Cookie` values of an answer.
fn set_cookies(seen: &Answer) -> Vec<String> {
    seen.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

impl TestApp {
    /// The step `load_flow_step` answers to a client sending exactly `cookie` (and no cookie store).
    async fn step_with_cookie(&self, cookie: &str) -> FlowStep {
        let response = reqwest::Client::new()
            .post(format!("{}/api/load_flow_step", self.base))
            .header("accept", "application/json")
            .header("cookie", cookie)
            .form(&[("provider", "linkedin"), ("wait", "false")])
            .send()
            .await
            .expect("post");
        Answer::from(response).await.step()
    }
}

#[tokio::test]
async fn in_live_mode_flow_cookies_are_secure_and_host_prefixed_and_carry_the_flow() {
    let (app, _sandbox) = spawn_live(Settings::default(), "key").await;
    let client = browser();
    // A state long enough for two cookies: every part is Secure and prefixed, and is read back whole.
    let captcha = app.start(&client, "user_captcha_large", "pass_good").await;
    let set = set_cookies(&captcha);
    assert!(
        set.iter()
            .any(|c| c.starts_with("__Host-cf_flow_linkedin_1=")),
        "{set:?}"
    );
    for cookie in &set {
        // What a browser requires before it keeps a `__Host-` cookie.
        assert!(
            cookie.starts_with("__Host-cf_flow_linkedin")
                && cookie.contains("; Secure")
                && cookie.contains("; Path=/")
                && !cookie.to_ascii_lowercase().contains("domain="),
            "{cookie}"
        );
    }
    let step = app.load(&client).await.step();
    assert!(
        matches!(step.kind(), CheckpointKind::Captcha { data, .. } if data.len() > 4_000),
        "{step:?}"
    );

    // A 2FA sign-in carried to its end by the prefixed cookie.
    let started = app.start(&client, "user_2fa_sms", "pass_good").await;
    assert!(
        started
            .header("set-cookie")
            .starts_with("__Host-cf_flow_linkedin="),
        "{:?}",
        set_cookies(&started)
    );
    let done = app
        .act(
            &client,
            "solve_checkpoint",
            &[("provider", "linkedin"), ("code", "123456")],
        )
        .await;
    assert_eq!(
        done.step().linked_name(),
        Some("user_2fa_sms"),
        "{}",
        done.body
    );
}

#[tokio::test]
async fn in_live_mode_a_flow_cookie_without_the_host_prefix_is_not_even_read() {
    let (logs, _guard) = Logs::capture();
    let (app, _sandbox) = spawn_live(Settings::default(), "key").await;
    let value = app
        .start(&browser(), "user_2fa_sms", "pass_good")
        .await
        .flow_cookie()
        .expect("flow cookie");
    // The same value under the plain name, as a sibling subdomain could plant it: no sign-in here.
    let planted = app
        .step_with_cookie(&format!("cf_flow_linkedin={value}"))
        .await;
    assert!(matches!(planted, FlowStep::Form(_)), "{planted:?}");
    // The prefixed cookie goes on, whatever is planted beside it.
    let own = app
        .step_with_cookie(&format!(
            "cf_flow_linkedin=planted; __Host-cf_flow_linkedin={value}"
        ))
        .await;
    assert!(matches!(own, FlowStep::Checkpoint(_)), "{own:?}");
    // A cookie read and refused would be logged: the plain names were never looked at.
    let logs = logs.text();
    assert!(!logs.contains("flow cookie refused"), "{logs}");
}

#[tokio::test]
async fn hsts_and_secure_cookies_follow_the_mode_unless_the_setting_says_otherwise() {
    let client = browser();
    let header_on = |app: &TestApp, path: &'static str| {
        let (client, base) = (client.clone(), app.base.clone());
        async move {
            let seen = Answer::from(
                client
                    .get(format!("{base}{path}"))
                    .send()
                    .await
                    .expect("get"),
            )
            .await;
            seen.header("strict-transport-security").to_owned()
        }
    };
    let paths = ["/", "/connect/linkedin", "/healthz", "/no-such-page"];

    // Live mode: the site is https unless said otherwise.
    let (live, _sandbox) = spawn_live(Settings::default(), "key").await;
    for path in paths {
        assert_eq!(header_on(&live, path).await, HSTS, "{path}");
    }
    let answer = live.call(&client, "get_site_info", &[]).await;
    assert_eq!(answer.header("strict-transport-security"), HSTS);

    // Sandbox mode is served over plain http on this machine: no HSTS, plain cookie names, no Secure.
    let sandbox = spawn_app(Settings::default()).await;
    for path in paths {
        assert_eq!(header_on(&sandbox, path).await, "", "{path}");
    }
    let started = sandbox.start(&browser(), "user_2fa_sms", "pass_good").await;
    let set = started.header("set-cookie");
    assert!(
        set.starts_with("cf_flow_linkedin=") && !set.contains("Secure"),
        "{set}"
    );
    assert_eq!(started.header("strict-transport-security"), "");

    // Live mode served over plain http (cookie.secure = false): the same as sandbox mode.
    let mut http = Settings::default();
    http.cookie.secure = Some(false);
    let (plain, _plain_sandbox) = spawn_live(http, "key").await;
    assert_eq!(header_on(&plain, "/").await, "");
    let started = plain.start(&browser(), "user_2fa_sms", "pass_good").await;
    let set = started.header("set-cookie");
    assert!(
        set.starts_with("cf_flow_linkedin=") && !set.contains("Secure"),
        "{set}"
    );

    // Sandbox mode declared https: HSTS and prefixed Secure cookies.
    let mut https = Settings::default();
    https.cookie.secure = Some(true);
    let declared = spawn_app(https).await;
    assert_eq!(header_on(&declared, "/").await, HSTS);
    let started = declared
        .start(&browser(), "user_2fa_sms", "pass_good")
        .await;
    assert!(
        started
            .header("set-cookie")
            .starts_with("__Host-cf_flow_linkedin="),
        "{}",
        started.header("set-cookie")
    );
}

#[tokio::test]
async fn the_metrics_token_is_refused_when_its_length_or_any_character_differs() {
    let (app, _sandbox) = spawn_live(Settings::default(), "key").await;
    let scrape = |token: String| {
        let base = app.base.clone();
        async move {
            let response = reqwest::Client::new()
                .get(format!("{base}/metrics"))
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .expect("get");
            Answer::from(response).await
        }
    };
    let ok = scrape(METRICS_TOKEN.to_owned()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("credentials_flow_"), "{}", ok.body);

    let n = METRICS_TOKEN.len();
    let with_char_at = |i: usize| {
        let mut bytes = METRICS_TOKEN.as_bytes().to_vec();
        bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
        String::from_utf8(bytes).expect("ascii")
    };
    let wrong = [
        // Another length: shorter, a prefix, longer, empty.
        METRICS_TOKEN[..n - 1].to_owned(),
        METRICS_TOKEN[..n / 2].to_owned(),
        format!("{METRICS_TOKEN}0"),
        String::new(),
        // The right length, one character off: first, middle, last.
        with_char_at(0),
        with_char_at(n / 2),
        with_char_at(n - 1),
    ];
    for token in wrong {
        let refused = scrape(token.clone()).await;
        assert_eq!(refused.status, 401, "{token:?}: {}", refused.body);
        assert_eq!(refused.header("www-authenticate"), "Bearer", "{token:?}");
        assert!(!refused.body.contains("credentials_flow_"), "{token:?}");
    }
}

#[tokio::test]
async fn a_tampered_flow_cookie_is_logged_once_per_request_without_its_value() {
    let (logs, _guard) = Logs::capture();
    let (app, _sandbox) = spawn_live(Settings::default(), "key").await;
    let value = app
        .start(&browser(), "user_2fa_sms", "pass_good")
        .await
        .flow_cookie()
        .expect("flow cookie");
    // One base64 character changed in the middle of the sealed state.
    let mid = value.len() / 2;
    let swapped = if &value[mid..=mid] == "A" { "B" } else { "A" };
    let tampered = format!("{}{swapped}{}", &value[..mid], &value[mid + 1..]);
    let cookie = format!("__Host-cf_flow_linkedin={tampered}");
    let warnings = || -> Vec<String> {
        logs.text()
            .lines()
            .filter(|l| l.contains("flow cookie refused"))
            .map(str::to_owned)
            .collect()
    };

    // The page: the sign-in is not found, the form shows, one warning.
    let page = Answer::from(
        reqwest::Client::new()
            .get(format!("{}/connect/linkedin", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(page.status, 200);
    let after_page = warnings();
    assert_eq!(after_page.len(), 1, "{}", logs.text());
    let line = &after_page[0];
    assert!(
        line.contains("WARN") && line.contains("not authentic") && line.contains("linkedin"),
        "{line}"
    );
    // A server function called with it: the form, and one warning more.
    let step = app.step_with_cookie(&cookie).await;
    assert!(matches!(step, FlowStep::Form(_)), "{step:?}");
    assert_eq!(warnings().len(), 2, "{}", logs.text());

    // No part of the value reaches the logs.
    let text = logs.text();
    for chunk in tampered.as_bytes().chunks(16).filter(|c| c.len() == 16) {
        let chunk = std::str::from_utf8(chunk).expect("ascii");
        assert!(!text.contains(chunk), "{chunk} logged:\n{text}");
    }
}
