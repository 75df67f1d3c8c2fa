//! The host's backend learns of every linked account, over real HTTP: the app on port 0 (sandbox mode) and
//! a receiver of the test's own on port 0 that answers as each test scripts it and records every request.
//! Signatures are checked by a verifier written from the README's description, not with the app's code.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    Router,
};
use common::{browser, client::StepParts, logs::Logs, redis_server::Redis, spawn_with, TestApp};
use credentials_flow::{
    model::FlowStep,
    server::settings::{Secrets, Settings},
};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

const NOTIFY_SECRET: &str = "notify-secret-for-tests-0123456789abcdef";
const METRICS_TOKEN: &str = "metrics-token-for-tests-0123456789";
/// The README's advice: refuse a signature more than five minutes from the receiver's clock.
const TOLERANCE_SECS: u64 = 300;

// ---------------------------------------------------------------------------------------------------
// The host's side: a verifier as the README describes it, and a receiver

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    (text.len() % 2 == 0).then_some(())?;
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// README, "Verify a notification": split the header at `,` into `t=` and `v1=`; refuse a `t` more than
/// the tolerance away from now; HMAC-SHA256 of `<t>.<payload>` with the secret, compared in constant time.
fn verify(header: &str, payload: &str, secret: &str) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<u64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if unix_now().abs_diff(t) > TOLERANCE_SECS {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{payload}").as_bytes());
    signatures.iter().any(|signature| {
        hex_decode(signature).is_some_and(|bytes| mac.clone().verify_slice(&bytes).is_ok())
    })
}

/// README, "Signed return links": the added parameters present, in their order, `name=value` with the
/// values decoded, joined by `&`.
fn verify_return_link(url: &str, names: &[&str], secret: &str) -> bool {
    let parsed = reqwest::Url::parse(url).expect("absolute URL");
    let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let payload = names
        .iter()
        .filter_map(|name| get(name).map(|v| format!("{name}={v}")))
        .collect::<Vec<_>>()
        .join("&");
    get("signature").is_some_and(|signature| verify(&signature, &payload, secret))
}

#[derive(Clone, Copy, Debug)]
enum Answer {
    Status(u16),
    /// 307 to another path of the receiver, which must never be reached.
    Redirect,
    /// Accepts the request and never answers.
    Hang,
}

#[derive(Clone, Debug)]
struct Hit {
    at: Instant,
    path: String,
    signature: Option<String>,
    content_type: Option<String>,
    body: String,
}

#[derive(Clone)]
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    /// Once the script is used up.
    otherwise: Arc<Mutex<Answer>>,
}

impl Receiver {
    async fn start(script: &[Answer], otherwise: Answer) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let receiver = Receiver {
            url: format!("http://{addr}/hooks/accounts?token=receiver-own-token-4242"),
            hits: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            otherwise: Arc::new(Mutex::new(otherwise)),
        };
        let router = Router::new().fallback(receive).with_state(receiver.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        receiver
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }

    fn answer_from_now_on(&self, answer: Answer) {
        *self.otherwise.lock().expect("otherwise") = answer;
    }

    async fn until_hits(&self, n: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        loop {
            let hits = self.hits();
            if hits.len() >= n || Instant::now() > deadline {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    receiver.hits.lock().expect("hits").push(Hit {
        at: Instant::now(),
        path: uri.path().to_owned(),
        signature: header("x-credentials-flow-signature"),
        content_type: header("content-type"),
        body,
    });
    let scripted = receiver.script.lock().expect("script").pop_front();
    let answer = scripted.unwrap_or_else(|| *receiver.otherwise.lock().expect("otherwise"));
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::OK)
            .into_response(),
        Answer::Redirect => {
            (StatusCode::TEMPORARY_REDIRECT, [("location", "/elsewhere")]).into_response()
        }
        Answer::Hang => std::future::pending().await,
    }
}

// ---------------------------------------------------------------------------------------------------
// The app

fn settings(receiver: &Receiver) -> Settings {
    let mut settings = Settings::default();
    settings.notify.url = Some(receiver.url.clone());
    settings.notify.timeout_ms = 300u64.try_into().expect("not 0");
    settings.notify.retry_initial_ms = 150u64.try_into().expect("not 0");
    settings.notify.retry_max_ms = 5_000;
    settings.notify.give_up_after_secs = 60u64.try_into().expect("not 0");
    settings
}

fn secrets() -> Secrets {
    Secrets {
        notify_secret: Some(NOTIFY_SECRET.to_owned().into()),
        metrics_token: Some(METRICS_TOKEN.to_owned().into()),
        ..Secrets::default()
    }
}

fn linked_id(step: &FlowStep) -> String {
    step.connected().id.clone()
}

async fn metrics(app: &TestApp) -> String {
    reqwest::Client::new()
        .get(format!("{}/metrics", app.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in\n{text}"))
}

// ---------------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn a_linked_account_is_posted_once_signed_as_the_readme_says() {
    let receiver = Receiver::start(&[], Answer::Status(200)).await;
    let app = spawn_with(settings(&receiver), secrets()).await;
    let client = browser();
    let linked = app
        .sign_in(&client, "user_good", &[("state", "host-7")])
        .await
        .step();
    let account = linked_id(&linked);

    let hits = receiver.until_hits(1, Duration::from_secs(5)).await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hit = &hits[0];
    assert_eq!(hit.path, "/hooks/accounts");
    assert_eq!(hit.content_type.as_deref(), Some("application/json"));
    let signature = hit.signature.as_deref().expect("signature header");
    assert!(verify(signature, &hit.body, NOTIFY_SECRET), "{signature}");
    // The verifier refuses what it should: another body, another key, a time outside the tolerance.
    assert!(!verify(
        signature,
        &hit.body.replace("host-7", "host-8"),
        NOTIFY_SECRET
    ));
    assert!(!verify(
        signature,
        &hit.body,
        "another-secret-of-the-same-length-0123456"
    ));
    let old = unix_now() - TOLERANCE_SECS - 10;
    let mut mac = Hmac::<Sha256>::new_from_slice(NOTIFY_SECRET.as_bytes()).expect("key");
    mac.update(format!("{old}.{}", hit.body).as_bytes());
    let stale: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!verify(
        &format!("t={old},v1={stale}"),
        &hit.body,
        NOTIFY_SECRET
    ));

    let body: Value = serde_json::from_str(&hit.body).expect("JSON");
    let fields: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        ["account_id", "at", "event", "id", "provider", "state"]
    );
    assert_eq!(body["event"], "account.linked");
    assert_eq!(body["account_id"], account.as_str());
    assert_eq!(body["provider"], "linkedin");
    assert_eq!(body["state"], "host-7");
    let id = body["id"].as_str().expect("id");
    assert!(id.starts_with("evt_") && id.len() > 12, "{id}");
    let at = body["at"].as_str().expect("at");
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );
    for absent in ["user_good", "pass_good", "intent"] {
        assert!(!hit.body.contains(absent), "{absent} in {}", hit.body);
    }

    // A reconnection is reported as such, under an event id of its own.
    let reconnected = app
        .sign_in(
            &browser(),
            "user_good",
            &[("account_id", "acc_reconnect-1")],
        )
        .await
        .step();
    linked_id(&reconnected);
    let hits = receiver.until_hits(2, Duration::from_secs(5)).await;
    let second: Value = serde_json::from_str(&hits[1].body).expect("JSON");
    assert_eq!(second["event"], "account.reconnected");
    assert_eq!(second["state"], Value::Null);
    assert_ne!(second["id"], body["id"]);

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.hits().len(), 2, "each link is posted once");
    let text = metrics(&app).await;
    assert_eq!(
        metric(&text, "credentials_flow_notifications_sent_total"),
        2.0
    );
    assert_eq!(
        metric(&text, "credentials_flow_notifications_retried_total"),
        0.0
    );
    assert_eq!(
        metric(
            &text,
            "credentials_flow_notifications_oldest_pending_seconds"
        ),
        0.0
    );
}

#[tokio::test]
async fn a_failing_receiver_gets_attempts_with_growing_gaps_under_one_event_id() {
    // A redirect is not followed, then an error; the third attempt is acknowledged.
    let receiver = Receiver::start(
        &[Answer::Redirect, Answer::Status(500)],
        Answer::Status(200),
    )
    .await;
    let mut settings = settings(&receiver);
    settings.notify.retry_initial_ms = 300u64.try_into().expect("not 0");
    let app = spawn_with(settings, secrets()).await;
    let account = linked_id(&app.sign_in(&browser(), "user_good", &[]).await.step());

    let hits = receiver.until_hits(3, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert!(
        hits.iter().all(|h| h.path == "/hooks/accounts"),
        "the redirect was followed: {hits:?}"
    );
    assert!(
        hits.iter().all(|h| h.body == hits[0].body),
        "one event, sent as it was"
    );
    assert!(hits[0].body.contains(&account));
    for hit in &hits {
        assert!(verify(
            hit.signature.as_deref().unwrap_or(""),
            &hit.body,
            NOTIFY_SECRET
        ));
    }
    let first_gap = hits[1].at - hits[0].at;
    let second_gap = hits[2].at - hits[1].at;
    // retry_initial_ms = 300, then twice that.
    assert!(first_gap >= Duration::from_millis(300), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(600), "{second_gap:?}");
    assert!(second_gap > first_gap, "{first_gap:?} then {second_gap:?}");

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.hits().len(),
        3,
        "nothing is sent after the acknowledgement"
    );
    let text = metrics(&app).await;
    assert_eq!(
        metric(&text, "credentials_flow_notifications_sent_total"),
        1.0
    );
    assert_eq!(
        metric(&text, "credentials_flow_notifications_retried_total"),
        2.0
    );
    assert_eq!(
        metric(&text, "credentials_flow_notifications_failed_total"),
        0.0
    );
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_given_up_after_the_configured_time_and_counted() {
    let (logs, _capturing) = Logs::capture();
    let receiver = Receiver::start(&[], Answer::Hang).await;
    let mut settings = settings(&receiver);
    settings.notify.timeout_ms = 200u64.try_into().expect("not 0");
    settings.notify.retry_initial_ms = 100u64.try_into().expect("not 0");
    settings.notify.give_up_after_secs = 2u64.try_into().expect("not 0");
    let app = spawn_with(settings, secrets()).await;
    let started = Instant::now();
    linked_id(&app.sign_in(&browser(), "user_good", &[]).await.step());

    tokio::time::sleep(Duration::from_millis(800)).await;
    let text = metrics(&app).await;
    assert!(
        metric(
            &text,
            "credentials_flow_notifications_oldest_pending_seconds"
        ) > 0.3,
        "{text}"
    );
    assert_eq!(
        metric(&text, "credentials_flow_notifications_failed_total"),
        0.0
    );
    // A failing receiver is none of the load balancer's business.
    let ready = reqwest::get(format!("{}/readyz", app.base))
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);

    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = metrics(&app).await;
        if metric(&text, "credentials_flow_notifications_failed_total") >= 1.0
            || Instant::now() > deadline
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = started.elapsed();
    assert_eq!(
        metric(&text, "credentials_flow_notifications_failed_total"),
        1.0,
        "{text}"
    );
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "given up after {took:?}"
    );
    assert_eq!(
        metric(
            &text,
            "credentials_flow_notifications_oldest_pending_seconds"
        ),
        0.0
    );
    assert!(
        metric(&text, "credentials_flow_notifications_retried_total") >= 3.0,
        "{text}"
    );
    let attempts = receiver.hits().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.hits().len(),
        attempts,
        "nothing is sent once given up"
    );
    let text = logs.text();
    assert!(text.contains("notification given up"), "{text}");
    assert!(
        text.contains("no answer within notify.timeout_ms"),
        "{text}"
    );
}

#[tokio::test]
async fn nothing_secret_in_a_notification_or_a_log_line() {
    let (logs, _capturing) = Logs::capture();
    let receiver = Receiver::start(&[Answer::Status(503)], Answer::Status(204)).await;
    let mut settings = settings(&receiver);
    settings.sandbox.in_app_delay_ms = 200;
    let app = spawn_with(settings, secrets()).await;
    let client = browser();
    let step = app
        .sign_in(&client, "user_2fa_sms", &[("state", "host-9")])
        .await
        .step();
    let flow = step.checkpoint().flow_id.clone();
    let linked = app.solve_code(&client, &flow, "123456").await.step();
    linked_id(&linked);
    let hits = receiver.until_hits(2, Duration::from_secs(5)).await;
    assert_eq!(hits.len(), 2, "{hits:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;

    let text = logs.text();
    assert!(
        text.contains("notification delivered"),
        "the capture works: {text}"
    );
    for hit in &hits {
        let seen = format!("{}\n{:?}", hit.body, hit.signature);
        for secret in [
            NOTIFY_SECRET,
            "pass_good",
            "123456",
            "user_2fa_sms",
            METRICS_TOKEN,
        ] {
            assert!(
                !seen.contains(secret),
                "{secret} sent to the receiver: {seen}"
            );
        }
    }
    for secret in [
        NOTIFY_SECRET,
        "pass_good",
        "123456",
        "receiver-own-token-4242",
        METRICS_TOKEN,
    ] {
        assert!(!text.contains(secret), "{secret} in the logs:\n{text}");
    }
}

#[tokio::test]
async fn return_links_carry_a_signature_over_the_added_parameters() {
    let receiver = Receiver::start(&[], Answer::Status(200)).await;
    let mut settings = settings(&receiver);
    settings.embed.allowed_origins = vec!["https://host.example".into()];
    let app = spawn_with(settings.clone(), secrets()).await;
    let client = browser();
    let redirect = [
        ("success_url", "https://host.example/done?x=1"),
        ("failure_url", "https://host.example/failed"),
        ("state", "s 1&a=b"),
    ];

    let linked = app.sign_in(&client, "user_good", &redirect).await.step();
    let account = linked_id(&linked);
    let back = linked.continue_url();
    let prefix = format!("https://host.example/done?x=1&account_id={account}&provider=linkedin&state=s%201%26a%3Db&signature=t%3D");
    assert!(back.starts_with(&prefix), "{back}");
    assert!(
        verify_return_link(back, &["account_id", "provider", "state"], NOTIFY_SECRET),
        "{back}"
    );
    // Another account id under the same signature does not verify.
    let forged = back.replace(&account, "acc_someone-else");
    assert!(!verify_return_link(
        &forged,
        &["account_id", "provider", "state"],
        NOTIFY_SECRET
    ));

    // The way out goes through the server, which signs where the user is sent at the moment they leave.
    let page = page_text(
        &app,
        &browser(),
        "/connect/imap?failure_url=https%3A%2F%2Fhost.example%2Ffailed&state=s%201",
    )
    .await;
    let exit = "/connect/imap/exit?failure_url=https%3A%2F%2Fhost.example%2Ffailed&amp;state=s%201&amp;error=cancelled";
    assert!(page.contains(&format!("href=\"{exit}\"")), "{page}");
    let left = exit_to(&app, &browser(), &exit.replace("&amp;", "&")).await;
    assert!(
        left.starts_with(
            "https://host.example/failed?error=cancelled&provider=imap&state=s%201&signature="
        ),
        "{left}"
    );
    assert!(
        verify_return_link(&left, &["error", "provider", "state"], NOTIFY_SECRET),
        "{left}"
    );

    // After an error that ends the flow, its code; any other code is no reason to leave but cancelling.
    let left = exit_to(
        &app,
        &browser(),
        "/connect/linkedin/exit?failure_url=https%3A%2F%2Fhost.example%2Ffailed&state=s&error=account_restricted",
    )
    .await;
    assert!(
        left.starts_with("https://host.example/failed?error=account_restricted&provider=linkedin&state=s&signature="),
        "{left}"
    );
    assert!(
        verify_return_link(&left, &["error", "provider", "state"], NOTIFY_SECRET),
        "{left}"
    );
    for error in ["invalid_credentials", "%3Cscript%3E", ""] {
        let left = exit_to(
            &app,
            &browser(),
            &format!("/connect/linkedin/exit?failure_url=https%3A%2F%2Fhost.example%2Ffailed&error={error}"),
        )
        .await;
        assert!(
            left.starts_with(
                "https://host.example/failed?error=cancelled&provider=linkedin&signature="
            ),
            "{error}: {left}"
        );
    }

    // The exit refuses a return address outside the allow-list, as the form does.
    for query in [
        "failure_url=https%3A%2F%2Fevil.example%2F",
        "failure_url=https%3A%2F%2Fhost.example.evil.test%2F",
        "state=s",
    ] {
        let response = browser()
            .get(format!("{}/connect/linkedin/exit?{query}", app.base))
            .send()
            .await
            .expect("exit");
        assert_eq!(response.status().as_u16(), 400, "{query}");
        assert!(response.headers().get("location").is_none());
        let text = response.text().await.expect("text");
        assert!(
            text.contains("not allowed for this application") && text.contains("Go back"),
            "{text}"
        );
    }

    // Without NOTIFY_SECRET the links are as before, unsigned.
    settings.notify.url = None;
    let unsigned = spawn_with(settings, Secrets::default()).await;
    let linked = unsigned
        .sign_in(&browser(), "user_good", &redirect)
        .await
        .step();
    let back = linked.continue_url();
    assert!(!back.contains("signature"), "{back}");
    let left = exit_to(
        &unsigned,
        &browser(),
        "/connect/linkedin/exit?failure_url=https%3A%2F%2Fhost.example%2Ffailed",
    )
    .await;
    assert_eq!(
        left,
        "https://host.example/failed?error=cancelled&provider=linkedin"
    );
}

/// Follows a way out of the flow: the address the server sends the browser on to (303).
async fn exit_to(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let response = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("exit");
    assert_eq!(response.status().as_u16(), 303, "{path}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

async fn page_text(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    client
        .get(format!("{}{path}", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

#[tokio::test]
async fn at_shutdown_pending_notifications_get_the_deadline_and_what_is_left_is_logged() {
    let (logs, _capturing) = Logs::capture();
    let receiver = Receiver::start(&[Answer::Status(500)], Answer::Status(500)).await;
    let app = spawn_with(settings(&receiver), secrets()).await;
    linked_id(&app.sign_in(&browser(), "user_good", &[]).await.step());
    receiver.until_hits(1, Duration::from_secs(5)).await;

    // The receiver recovers within the deadline: the drain waits for the delivery.
    receiver.answer_from_now_on(Answer::Status(200));
    let started = Instant::now();
    let lost = app.built.state.notifier.drain(Duration::from_secs(5)).await;
    assert!(lost.is_empty(), "{lost:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        receiver.hits().last().map(|h| h.path.as_str()),
        Some("/hooks/accounts")
    );

    // It does not within the deadline: the drain ends on time and names what is lost.
    receiver.answer_from_now_on(Answer::Status(500));
    let linked = app.sign_in(&browser(), "user_good", &[]).await.step();
    linked_id(&linked);
    let started = Instant::now();
    let lost = app
        .built
        .state
        .notifier
        .drain(Duration::from_millis(400))
        .await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(lost.len(), 1, "{lost:?}");
    let text = logs.text();
    assert!(
        text.contains("notification not sent before shutdown") && text.contains(&lost[0]),
        "{text}"
    );
}

#[tokio::test]
async fn start_up_needs_a_strong_notify_secret_with_a_url() {
    async fn error(url: &str, secrets: Secrets) -> String {
        let mut settings = Settings::default();
        settings.notify.url = Some(url.to_owned());
        match credentials_flow::server::startup::build(settings, secrets, common::options()).await {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }
    let url = "https://app.example.com/hooks";
    let missing = error(url, Secrets::default()).await;
    assert!(
        missing.contains("NOTIFY_SECRET") && missing.contains("notify.url"),
        "{missing}"
    );
    let weak = error(
        url,
        Secrets {
            notify_secret: Some("short-secret".to_owned().into()),
            ..Secrets::default()
        },
    )
    .await;
    assert!(
        weak.contains("NOTIFY_SECRET must be at least 32 characters"),
        "{weak}"
    );
    assert!(!weak.contains("short-secret"), "{weak}");
    let plain = error("http://app.example.com/hooks", secrets()).await;
    assert!(
        plain.contains("notify.url") && plain.contains("https"),
        "{plain}"
    );
    assert_eq!(error(url, secrets()).await, "");
}

// ---------------------------------------------------------------------------------------------------
// Redis, shared by replicas

#[tokio::test]
async fn replicas_sharing_redis_send_each_notification_once_and_take_over_a_dead_ones_claim() {
    use credentials_flow::server::outbox::{Outbox, RedisOutbox};
    let redis = Redis::spawn().await;
    let receiver = Receiver::start(
        &[Answer::Status(500), Answer::Status(500)],
        Answer::Status(200),
    )
    .await;
    let with_redis = || Secrets {
        redis_url: Some(redis.url().into()),
        ..secrets()
    };
    let a = spawn_with(settings(&receiver), with_redis()).await;
    let _b = spawn_with(settings(&receiver), with_redis()).await;
    linked_id(
        &a.sign_in(&browser(), "user_good", &[("state", "r-1")])
            .await
            .step(),
    );
    let hits = receiver.until_hits(3, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert!(hits.iter().all(|h| h.body == hits[0].body));
    // Both replicas look at the queue at least once a second: neither sends it again.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.hits().len(), 3, "sent again by the other replica");

    // A replica claims a notification and dies before its attempt ends: when the claim runs out, one of
    // the living replicas sends it, once.
    let outbox = RedisOutbox::new(&redis.url(), Duration::from_secs(3_600)).expect("outbox");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let body = r#"{"event":"account.linked","id":"evt_left-behind"}"#;
    let added = outbox
        .add("evt_left-behind", body, now, Duration::from_secs(60))
        .await;
    assert_eq!(added.ok(), Some(true));
    let claimed = outbox.claim("a-dead-replica", now, 2_000, 10).await;
    assert_eq!(claimed.map(|c| c.len()).ok(), Some(1));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        receiver.hits().len(),
        3,
        "sent while another replica held it"
    );
    let hits = receiver.until_hits(4, Duration::from_secs(5)).await;
    assert_eq!(hits.len(), 4, "{hits:?}");
    assert_eq!(hits[3].body, body);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.hits().len(), 4);
    assert_eq!(outbox.queue().await.ok().map(|q| q.count), Some(0));
    // Reported again once delivered (a tab still waiting on that sign-in): remembered, not queued again.
    let again = outbox
        .add("evt_left-behind", body, now, Duration::from_secs(60))
        .await;
    assert_eq!(again.ok(), Some(false));
}

#[tokio::test]
async fn an_approval_in_the_app_waited_on_by_two_tabs_is_notified_once() {
    let receiver = Receiver::start(&[], Answer::Status(200)).await;
    let mut settings = settings(&receiver);
    settings.sandbox.in_app_delay_ms = 300;
    let app = spawn_with(settings, secrets()).await;
    let client = browser();
    let step = app
        .sign_in(&client, "user_in_app", &[("state", "tabs")])
        .await
        .step();
    let flow = step.checkpoint().flow_id.clone();
    let form = [("provider", "linkedin"), ("flow", flow.as_str())];
    let wait = || app.call(&client, "wait_checkpoint", &form);
    let (first, second) = tokio::join!(wait(), wait());
    let (first, second) = (first.step(), second.step());
    let account = linked_id(&first);
    assert_eq!(linked_id(&second), account);

    let hits = receiver.until_hits(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.hits().len(), 1, "{:?}", receiver.hits());
    let body: Value = serde_json::from_str(&hits[0].body).expect("JSON");
    assert_eq!(body["account_id"], account.as_str());
    assert_eq!(body["state"], "tabs");
}
