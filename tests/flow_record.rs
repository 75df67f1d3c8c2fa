//! The flow record on the server, over real HTTP: a copy of the flow cookie cannot be replayed, the limits
//! hold whatever cookie is sent, replicas sharing Redis share every count, and without its store the server
//! sends nothing and says so. Live mode against a sandbox started here, which records what reached it.
//!
//! The Redis tests start their own `redis-server` (Debian's package, which `scripts/setup.sh` installs) on a
//! free loopback port, without persistence.
#![cfg(feature = "ssr")]

mod common;

use common::{
    client::{Answer, StepParts},
    redis_server::Redis,
    spawn_with, TestApp,
};
use credentials_flow::{
    error::{AppError, ErrorCode},
    model::FlowStep,
    server::settings::{Secrets, Settings},
};
use std::time::Duration;
use unipile_sandbox::{RunningSandbox, SandboxConfig};

const API_KEY: &str = "flow-record-test-key";
const SESSION_SECRET: &str = "0123456789abcdef-session-secret-for-flow-record-tests";

async fn sandbox() -> RunningSandbox {
    unipile_sandbox::spawn(SandboxConfig {
        api_key: API_KEY.to_owned(),
        in_app_approval_delay: Duration::from_millis(200),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox")
}

fn settings(sandbox: &RunningSandbox) -> Settings {
    let mut settings = Settings::default();
    settings.unipile.base_url = sandbox.base_url();
    settings.unipile.allow_http = true;
    // The flow record is under test: sign-ins are posted as a page would post them. Start links, which
    // live mode requires by default, have their own tests (tests/signed_links.rs).
    settings.access.signed_links = Some(false);
    settings
}

fn secrets(redis_url: Option<String>) -> Secrets {
    Secrets {
        api_key: Some(API_KEY.to_owned().into()),
        session_secret: Some(SESSION_SECRET.to_owned().into()),
        metrics_token: None,
        redis_url: redis_url.map(Into::into),
        notify_secret: None,
        link_secret: None,
    }
}

/// The cookies a browser holds: `name=value` pairs, updated from each answer's `Set-Cookie`.
#[derive(Clone, Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn update(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("ascii cookie");
            let pair = text.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            let removed = text.contains("Max-Age=0");
            self.0.retain(|(n, _)| n != name);
            if !removed {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }
}

/// A server-function call as the page's script makes it, with the cookies of `jar`; the jar takes the
/// answer's cookies.
async fn call(app: &TestApp, jar: &mut Jar, endpoint: &str, form: &[(&str, &str)]) -> Answer {
    let response = reqwest::Client::new()
        .post(format!("{}/api/{endpoint}", app.base))
        .header("accept", "application/json")
        .header("cookie", jar.header())
        .form(form)
        .send()
        .await
        .expect("request");
    jar.update(&response);
    Answer::from(response).await
}

async fn start(app: &TestApp, jar: &mut Jar, username: &str) -> Answer {
    call(
        app,
        jar,
        "start_auth_intent",
        &[
            ("provider", "linkedin"),
            ("username", username),
            ("password", "pass_good"),
        ],
    )
    .await
}

fn flow_id(step: &FlowStep) -> String {
    step.checkpoint().flow_id.clone()
}

async fn solve(app: &TestApp, jar: &mut Jar, flow: &str, code: &str) -> Answer {
    call(
        app,
        jar,
        "solve_checkpoint",
        &[("provider", "linkedin"), ("flow", flow), ("code", code)],
    )
    .await
}

fn solves(sandbox: &RunningSandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/auth/checkpoint")
        .count()
}

async fn resend(app: &TestApp, jar: &mut Jar, flow: &str) -> Answer {
    call(
        app,
        jar,
        "resend_code",
        &[("provider", "linkedin"), ("flow", flow)],
    )
    .await
}

fn resends(sandbox: &RunningSandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/auth/checkpoint/resend")
        .count()
}

/// The code of the notice shown with the step, on a checkpoint or on the form.
fn notice(step: &FlowStep) -> Option<ErrorCode> {
    step.notice().map(|n| n.code)
}

#[tokio::test]
async fn a_replayed_cookie_is_refused_without_calling_unipile_and_cannot_reset_the_wrong_codes() {
    let sandbox = sandbox().await;
    let mut s = settings(&sandbox);
    s.flow.max_code_attempts = 3;
    let app = spawn_with(s, secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);
    // Someone who got hold of the cookie keeps this copy and sends it with every guess.
    let stolen = browser.clone();

    let step = solve(&app, &mut stolen.clone(), &flow, "000001")
        .await
        .step();
    assert_eq!(notice(&step), Some(ErrorCode::InvalidCode), "{step:?}");
    assert_eq!(step.checkpoint().attempts_left, 2, "{step:?}");
    for guess in ["000002", "000003", "000004", "123456"] {
        let answer = solve(&app, &mut stolen.clone(), &flow, guess).await;
        assert_eq!(answer.status, 200);
        let step = answer.step();
        assert_eq!(
            notice(&step),
            Some(ErrorCode::OutOfDate),
            "{guess}: {step:?}"
        );
    }
    assert_eq!(solves(&sandbox), 1, "only the first guess reached Unipile");
    assert!(
        !sandbox
            .requests()
            .iter()
            .any(|r| r.body["code"] == "123456"),
        "the right code, replayed, never reached Unipile"
    );
}

#[tokio::test]
async fn wrong_codes_are_counted_on_the_record_not_in_the_cookie() {
    let sandbox = sandbox().await;
    let mut s = settings(&sandbox);
    s.flow.max_code_attempts = 3;
    let app = spawn_with(s, secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);
    for left in [2, 1] {
        let step = solve(&app, &mut browser, &flow, "000000").await.step();
        assert_eq!(step.checkpoint().attempts_left, left, "{step:?}");
    }
    let step = solve(&app, &mut browser, &flow, "000000").await.step();
    assert_eq!(
        notice(&step),
        Some(ErrorCode::TooManyWrongCodes),
        "{step:?}"
    );
    assert_eq!(step.form().form.get("username"), "user_2fa_sms");
}

#[tokio::test]
async fn each_step_is_single_use_and_a_finished_flow_refuses_every_replay() {
    let sandbox = sandbox().await;
    let app = spawn_with(settings(&sandbox), secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);
    let at_code_step = browser.clone();

    let step = solve(&app, &mut browser, &flow, "000000").await.step();
    assert_eq!(notice(&step), Some(ErrorCode::InvalidCode), "{step:?}");
    let after_wrong_code = browser.clone();
    let step = solve(&app, &mut browser, &flow, "123456").await.step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
    let linked = solves(&sandbox);

    for (name, jar) in [
        ("code step", at_code_step),
        ("after a wrong code", after_wrong_code),
    ] {
        let step = solve(&app, &mut jar.clone(), &flow, "123456").await.step();
        assert_eq!(
            notice(&step),
            Some(ErrorCode::OutOfDate),
            "{name}: {step:?}"
        );
        let step = resend(&app, &mut jar.clone(), &flow).await.step();
        assert_eq!(
            notice(&step),
            Some(ErrorCode::OutOfDate),
            "{name}: {step:?}"
        );
    }
    assert_eq!(solves(&sandbox), linked, "no replay reached Unipile");
    assert_eq!(resends(&sandbox), 0, "no resend reached Unipile");
}

#[tokio::test]
async fn the_resend_cooldown_is_kept_on_the_record() {
    let sandbox = sandbox().await;
    let mut s = settings(&sandbox);
    s.flow.resend_cooldown_secs = 3600;
    let app = spawn_with(s, secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);
    for _ in 0..3 {
        let step = resend(&app, &mut browser, &flow).await.step();
        assert_eq!(notice(&step), Some(ErrorCode::ResendTooSoon), "{step:?}");
    }
    assert_eq!(resends(&sandbox), 0, "no resend reached Unipile");
}

#[tokio::test]
async fn calls_on_one_sign_in_have_a_ceiling() {
    let sandbox = sandbox().await;
    let mut s = settings(&sandbox);
    s.limits.actions_per_flow_per_minute = 3u32.try_into().expect("not 0");
    s.flow.max_code_attempts = 20;
    let app = spawn_with(s, secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);
    for _ in 0..3 {
        let answer = solve(&app, &mut browser, &flow, "000000").await;
        assert_eq!(answer.status, 200);
    }
    let answer = solve(&app, &mut browser, &flow, "000000").await;
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert!(
        matches!(answer.failure(), AppError::RateLimited { .. }),
        "{}",
        answer.body
    );
    assert_eq!(solves(&sandbox), 3);
}

// ---------------------------------------------------------------------------------------------------------
// Redis, shared by replicas

#[tokio::test]
async fn replicas_sharing_redis_share_the_record_and_the_limits() {
    let sandbox = sandbox().await;
    let redis = Redis::spawn().await;
    let mut s = settings(&sandbox);
    s.limits.start_per_username_per_minute = 3u32.try_into().expect("not 0");
    let a = spawn_with(s.clone(), secrets(Some(redis.url()))).await;
    let b = spawn_with(s, secrets(Some(redis.url()))).await;

    // A cookie from replica a, replayed on replica b: refused there too.
    let mut browser = Jar::default();
    let step = start(&a, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);
    let copy = browser.clone();
    let step = solve(&b, &mut browser, &flow, "000000").await.step();
    assert_eq!(notice(&step), Some(ErrorCode::InvalidCode), "{step:?}");
    let step = solve(&a, &mut copy.clone(), &flow, "123456").await.step();
    assert_eq!(notice(&step), Some(ErrorCode::OutOfDate), "{step:?}");
    let step = solve(&a, &mut browser, &flow, "123456").await.step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");

    // Three sign-ins for one username, spread over both replicas, then a fourth is refused on either.
    for (app, name) in [(&a, "user_good"), (&b, "user_good"), (&a, "USER_GOOD")] {
        let answer = start(app, &mut Jar::default(), name).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    for app in [&b, &a] {
        let answer = start(app, &mut Jar::default(), "user_good").await;
        assert_eq!(answer.status, 429, "{}", answer.body);
    }
}

/// The flow records Redis holds: each flow id with its generation and when its code was sent.
async fn records_in(redis: &Redis) -> Vec<(String, u64, u64)> {
    let client = redis::Client::open(redis.url()).expect("redis url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("cf:flow:*")
        .query_async(&mut connection)
        .await
        .expect("keys");
    let mut records = Vec::new();
    for key in keys {
        let (generation, sent): (u64, u64) = redis::cmd("HMGET")
            .arg(&key)
            .arg("gen")
            .arg("sent")
            .query_async(&mut connection)
            .await
            .expect("record");
        records.push((key["cf:flow:".len()..].to_owned(), generation, sent));
    }
    records
}

#[tokio::test]
async fn only_a_sign_in_that_reaches_a_checkpoint_leaves_a_record() {
    let sandbox = sandbox().await;
    let redis = Redis::spawn().await;
    let app = spawn_with(settings(&sandbox), secrets(Some(redis.url()))).await;
    let step = start(&app, &mut Jar::default(), "user_good").await.step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
    let form = [
        ("provider", "linkedin"),
        ("username", "user_good"),
        ("password", "not_the_password"),
    ];
    let step = call(&app, &mut Jar::default(), "start_auth_intent", &form)
        .await
        .step();
    assert!(matches!(step, FlowStep::Form(_)), "refused: {step:?}");
    assert_eq!(
        records_in(&redis).await,
        vec![],
        "linked or refused at once"
    );

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);
    let records = records_in(&redis).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let (id, generation, sent) = &records[0];
    assert_eq!((id, *generation), (&flow, 1));
    assert!(
        *sent >= before,
        "the code's sending is on the record from the first step: {sent}"
    );
    // The record is the one the cookie points at: the code links the account.
    let step = solve(&app, &mut browser, &flow, "123456").await.step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
}

#[tokio::test]
async fn without_its_store_nothing_is_sent_and_the_user_is_told_then_it_continues_when_redis_is_back(
) {
    let sandbox = sandbox().await;
    let mut redis = Redis::spawn().await;
    let app = spawn_with(settings(&sandbox), secrets(Some(redis.url()))).await;
    let ready = |app: &TestApp| {
        let url = format!("{}/readyz", app.base);
        async move {
            let response = reqwest::get(url).await.expect("readyz");
            (
                response.status().as_u16(),
                response.text().await.unwrap_or_default(),
            )
        }
    };
    assert_eq!(ready(&app).await.0, 200);
    let mut pending = Jar::default();
    let step = start(&app, &mut pending, "user_2fa_sms").await.step();
    let flow = flow_id(&step);

    redis.stop();
    let before = sandbox.requests().len();
    let answer = start(&app, &mut Jar::default(), "user_good").await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    let answer = solve(&app, &mut pending.clone(), &flow, "123456").await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(
        answer.failure(),
        AppError::StoreUnavailable,
        "the page shows this failure's notice"
    );
    assert_eq!(
        sandbox.requests().len(),
        before,
        "nothing was sent to Unipile"
    );
    let (status, text) = ready(&app).await;
    assert_eq!(status, 503);
    assert!(text.contains("flow store"), "{text}");

    // A plain form post keeps what was typed for the form drawn next.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "text/html")
        .form(&[
            ("provider", "linkedin"),
            ("username", "user_good"),
            ("password", "pass_good"),
        ])
        .send()
        .await
        .expect("post");
    let back = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let mut jar = Jar::default();
    jar.update(&response);
    let page = reqwest::Client::new()
        .get(format!("{}{back}", app.base))
        .header("cookie", jar.header())
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("value=\"user_good\""), "username kept");
    assert!(!page.contains("pass_good"), "never the password");
    assert!(page.contains("Nothing was sent"), "the page says so");

    redis.start().await;
    let mut linked = false;
    for _ in 0..40 {
        let answer = start(&app, &mut Jar::default(), "user_good").await;
        if answer.status == 200 && matches!(answer.step(), FlowStep::Connected(_)) {
            linked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        linked,
        "a sign-in links again once Redis is back, without a restart"
    );
    assert_eq!(ready(&app).await.0, 200);
}

// ---------------------------------------------------------------------------------------------------------
// One upstream wait per approval

async fn sandbox_approving_after(delay: Duration) -> RunningSandbox {
    unipile_sandbox::spawn(SandboxConfig {
        api_key: API_KEY.to_owned(),
        in_app_approval_delay: delay,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox")
}

async fn wait(app: &TestApp, jar: &mut Jar, flow: &str) -> Answer {
    call(
        app,
        jar,
        "wait_checkpoint",
        &[("provider", "linkedin"), ("flow", flow)],
    )
    .await
}

#[tokio::test]
async fn an_approval_made_while_the_page_was_closed_is_there_when_the_user_comes_back() {
    let sandbox = sandbox_approving_after(Duration::from_millis(600)).await;
    let mut s = settings(&sandbox);
    s.flow.wait_secs = 1u64.try_into().expect("not 0");
    let app = spawn_with(s, secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_in_app").await.step();
    let flow = flow_id(&step);

    // The page asks once, then goes away (closed, asleep) long before the approval.
    let gone = reqwest::Client::new()
        .post(format!("{}/api/wait_checkpoint", app.base))
        .header("accept", "application/json")
        .header("cookie", browser.header())
        .form(&[("provider", "linkedin"), ("flow", flow.as_str())])
        .timeout(Duration::from_millis(150))
        .send()
        .await;
    assert!(gone.is_err(), "the browser left before an answer");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(solves(&sandbox), 1, "the wait went on without the browser");

    // Back: the outcome is waiting, and nothing more is asked of Unipile.
    let asked = std::time::Instant::now();
    let step = wait(&app, &mut browser, &flow).await.step();
    assert_eq!(step.linked_name(), Some("user_in_app"), "{step:?}");
    assert!(
        asked.elapsed() < Duration::from_millis(900),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(solves(&sandbox), 1);
    // The browser keeps it: the step it reads next is the linked account.
    let step = call(
        &app,
        &mut browser,
        "load_flow_step",
        &[("provider", "linkedin"), ("wait", "false")],
    )
    .await
    .step();
    assert_eq!(step.linked_name(), Some("user_in_app"), "{step:?}");
}

#[tokio::test]
async fn many_waits_of_one_sign_in_share_one_upstream_call() {
    let sandbox = sandbox_approving_after(Duration::from_millis(1500)).await;
    let mut s = settings(&sandbox);
    s.flow.wait_secs = 3u64.try_into().expect("not 0");
    let app = spawn_with(s, secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_in_app").await.step();
    let flow = flow_id(&step);
    // Three tabs of the same browser, waiting at once.
    let tabs = (0..3).map(|_| {
        let (app, mut jar, flow) = (&app, browser.clone(), flow.clone());
        async move { wait(app, &mut jar, &flow).await }
    });
    let answers = futures::future::join_all(tabs).await;
    let connected = answers
        .iter()
        .filter(|answer| answer.status == 200 && matches!(answer.step(), FlowStep::Connected(_)))
        .count();
    assert!(connected >= 1, "{answers:?}");
    assert_eq!(solves(&sandbox), 1, "{answers:?}");
}

#[tokio::test]
async fn a_wait_whose_holder_died_is_taken_over_when_its_lease_runs_out() {
    let sandbox = sandbox_approving_after(Duration::from_millis(300)).await;
    let redis = Redis::spawn().await;
    let mut s = settings(&sandbox);
    s.flow.wait_secs = 15u64.try_into().expect("not 0");
    let app = spawn_with(s, secrets(Some(redis.url()))).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_in_app").await.step();
    let flow = flow_id(&step);

    // A replica that took the lease and died without a word: nobody holds the call to Unipile.
    use credentials_flow::server::store::{FlowRecords, RedisStore};
    let store = RedisStore::new(&redis.url()).expect("store");
    let taken = store
        .lease(&flow, "replica-that-died", Duration::from_secs(3))
        .await
        .expect("redis");
    assert!(taken);

    let asked = std::time::Instant::now();
    let step = wait(&app, &mut browser, &flow).await.step();
    assert_eq!(step.linked_name(), Some("user_in_app"), "{step:?}");
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_millis(2500) && took < Duration::from_secs(12),
        "taken over once the lease ran out, not before: {took:?}"
    );
    assert_eq!(solves(&sandbox), 1);
}

/// Waits up to `within` for this replica to hold `n` upstream waits.
async fn holding(app: &TestApp, n: usize, within: Duration) -> bool {
    let until = std::time::Instant::now() + within;
    while app.built.state.holders.count() != n {
        if std::time::Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

#[tokio::test]
async fn a_replica_whose_lease_was_taken_over_drops_its_upstream_call_and_one_that_finished_forgets_it(
) {
    let sandbox = sandbox_approving_after(Duration::from_secs(60)).await;
    let redis = Redis::spawn().await;
    let mut s = settings(&sandbox);
    s.flow.wait_secs = 1u64.try_into().expect("not 0");
    let app = spawn_with(s, secrets(Some(redis.url()))).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_in_app").await.step();
    let flow = flow_id(&step);
    let step = wait(&app, &mut browser, &flow).await.step();
    assert!(
        matches!(step, FlowStep::Checkpoint(_)),
        "still waiting: {step:?}"
    );
    assert!(
        holding(&app, 1, Duration::from_secs(2)).await,
        "the wait is held here"
    );

    // Another replica holds the lease now (this one was paused past its lease, say): the call here goes.
    use credentials_flow::server::store::{FlowRecords, RedisStore};
    let store = RedisStore::new(&redis.url()).expect("store");
    store
        .release(&flow, &app.built.state.replica)
        .await
        .expect("redis");
    assert!(store
        .lease(&flow, "another-replica", Duration::from_secs(60))
        .await
        .expect("redis"));
    assert!(
        holding(&app, 0, Duration::from_secs(8)).await,
        "the call is dropped once the lease is found lost"
    );

    // A wait that comes to an end forgets its holder by itself.
    let quick = sandbox_approving_after(Duration::from_millis(300)).await;
    let mut s = settings(&quick);
    s.flow.wait_secs = 5u64.try_into().expect("not 0");
    let app = spawn_with(s, secrets(None)).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_in_app").await.step();
    let flow = flow_id(&step);
    let step = wait(&app, &mut browser, &flow).await.step();
    assert_eq!(step.linked_name(), Some("user_in_app"), "{step:?}");
    assert!(holding(&app, 0, Duration::from_secs(2)).await);
}

#[tokio::test]
async fn an_outcome_planted_in_redis_is_not_believed() {
    let sandbox = sandbox_approving_after(Duration::from_secs(30)).await;
    let redis = Redis::spawn().await;
    let mut s = settings(&sandbox);
    s.flow.wait_secs = 1u64.try_into().expect("not 0");
    let app = spawn_with(s, secrets(Some(redis.url()))).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_in_app").await.step();
    let flow = flow_id(&step);

    // Whoever can write to Redis writes "linked" for this very flow and step.
    use credentials_flow::server::store::{FlowRecords, RedisStore};
    let store = RedisStore::new(&redis.url()).expect("store");
    let forged = r#"{"Account":{"id":"acc_forged","provider":"linkedin","status":"running","name":"mallory"}}"#;
    store.put_outcome(&flow, 1, forged).await.expect("redis");

    let answer = wait(&app, &mut browser, &flow).await;
    let step = answer.step();
    assert!(
        matches!(step, FlowStep::Checkpoint(_)),
        "still waiting: {step:?}"
    );
    assert!(!answer.body.contains("acc_forged"), "{}", answer.body);
}

#[tokio::test]
async fn a_pending_sign_in_continues_once_redis_answers_again() {
    let sandbox = sandbox().await;
    let redis = Redis::spawn().await;
    let app = spawn_with(settings(&sandbox), secrets(Some(redis.url()))).await;
    let mut browser = Jar::default();
    let step = start(&app, &mut browser, "user_2fa_sms").await.step();
    let flow = flow_id(&step);

    // Redis stops answering for a while (a failover, a network cut), its data intact.
    let client = redis::Client::open(redis.url()).expect("redis url");
    let mut admin = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(4000)
        .arg("ALL")
        .query_async::<()>(&mut admin)
        .await
        .expect("pause");
    let answer = solve(&app, &mut browser, &flow, "123456").await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(
        solves(&sandbox),
        0,
        "nothing sent while the limits cannot be checked"
    );

    let mut linked = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let answer = solve(&app, &mut browser, &flow, "123456").await;
        if answer.status == 200 {
            linked = Some(answer.step());
            break;
        }
    }
    let linked = linked.expect("a sign-in answered once Redis is back");
    assert_eq!(linked.linked_name(), Some("user_2fa_sms"), "{linked:?}");
}

#[tokio::test]
async fn behind_a_proxy_a_missing_forwarded_address_still_counts_against_the_socket_address() {
    let sandbox = sandbox().await;
    let mut s = settings(&sandbox);
    s.limits.trust_forwarded_for = true;
    s.limits.start_per_ip_per_minute = 2u32.try_into().expect("not 0");
    let app = spawn_with(s, secrets(None)).await;
    for username in ["user_good", "user_2fa_sms"] {
        let answer = start(&app, &mut Jar::default(), username).await;
        assert_eq!(answer.status, 200);
    }
    // No X-Forwarded-For at all: not a way around the limit.
    let answer = start(&app, &mut Jar::default(), "user_otp").await;
    assert_eq!(answer.status, 429);
    let response = reqwest::Client::new()
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "application/json")
        .header("x-forwarded-for", "not an address")
        .form(&[
            ("provider", "linkedin"),
            ("username", "user_phone"),
            ("password", "pass_good"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.status().as_u16(),
        429,
        "an unreadable entry is no way around it either"
    );
}
