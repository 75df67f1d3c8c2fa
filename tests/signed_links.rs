//! Signed start links over real HTTP: the app on port 0 in sandbox mode with `access.signed_links` on. Links
//! are built by the README's own Rust function (compiled here from the same text the README shows) and by
//! its Node.js function (run with `node`); the page and the sign-in endpoint must both refuse every link
//! that is missing, altered, signed with another key, expired, too long-lived, badly nonced or used, and
//! a link used in one browser (or on one replica sharing Redis) must be refused everywhere else.
#![cfg(feature = "ssr")]

mod common;

use common::{browser, client::StepParts, logs::Logs, redis_server::Redis, spawn_with, TestApp};
use credentials_flow::{
    error::ErrorCode,
    model::FlowStep,
    server::settings::{Secrets, Settings},
};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// The README's function, as it is written there (`the_readme_shows_the_functions_tested_here` checks that
/// the text is the same).
mod readme {
    include!("signed_links/readme_link.rs");
}

const LINK_SECRET: &str = "link-secret-for-tests-0123456789abcdef";
const METRICS_TOKEN: &str = "metrics-token-for-tests-0123456789";
const HOST: &str = "https://host.example";
const REFUSAL: &str =
    "This link is not valid or has expired — return to the application to get a new one.";

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn settings() -> Settings {
    let mut settings = Settings::default();
    settings.access.signed_links = Some(true);
    settings.embed.allowed_origins = vec![HOST.to_owned()];
    settings
}

fn secrets() -> Secrets {
    Secrets {
        link_secret: Some(LINK_SECRET.to_owned().into()),
        metrics_token: Some(METRICS_TOKEN.to_owned().into()),
        ..Secrets::default()
    }
}

async fn spawn() -> TestApp {
    spawn_with(settings(), secrets()).await
}

fn nonce() -> String {
    use rand::Rng;
    format!("{:032x}", rand::rng().random::<u128>())
}

/// A link to `provider` with `params`, valid for ten minutes, with a fresh nonce, built as the README says.
fn link(app: &TestApp, provider: &str, params: &[(&str, &str)]) -> String {
    readme::start_link(
        &app.base,
        provider,
        params,
        unix_now() + 600,
        &nonce(),
        LINK_SECRET.as_bytes(),
    )
}

struct Page {
    status: u16,
    html: String,
}

impl Page {
    fn has_form(&self) -> bool {
        self.html.contains("type=\"password\"") || self.html.contains("name=\"password\"")
    }

    fn refused(&self) -> bool {
        self.html.contains(REFUSAL) && !self.has_form() && self.status == 403
    }

    /// The value of the hidden input `name` of the form, if the page has one.
    fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self.html.find(&marker)? + marker.len();
        let rest = &self.html[at..];
        let value = &rest[..rest.find('"')?];
        Some(
            value
                .replace("&#x27;", "'")
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    }
}

async fn open(client: &reqwest::Client, url: &str) -> Page {
    let response = client
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .expect("page");
    let status = response.status().as_u16();
    let html = response.text().await.expect("html");
    Page { status, html }
}

fn sign_ins_sent(app: &TestApp) -> usize {
    app.built
        .sandbox
        .as_ref()
        .expect("sandbox mode")
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/auth/intent")
        .count()
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

fn refusals(text: &str, reason: &str) -> u64 {
    let line = format!("credentials_flow_link_refusals_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line)?.parse().ok())
        .unwrap_or_else(|| panic!("{reason} not counted in\n{text}"))
}

// ---------------------------------------------------------------------------------------------------
// A valid link

#[tokio::test]
async fn a_valid_link_opens_the_form_and_its_sign_in_links_the_account() {
    let app = spawn().await;
    let client = browser();
    let url = link(
        &app,
        "linkedin",
        &[
            ("state", "user 42&x"),
            ("success_url", "https://host.example/linked?from=cf"),
            ("failure_url", "https://host.example/failed"),
        ],
    );
    let page = open(&client, &url).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.has_form(), "{}", page.html);
    assert_eq!(page.hidden("state").as_deref(), Some("user 42&x"));
    assert_eq!(
        page.hidden("success_url").as_deref(),
        Some("https://host.example/linked?from=cf")
    );
    // The way out is the link's own.
    assert!(
        page.html
            .contains("/connect/linkedin/exit?failure_url=https%3A%2F%2Fhost.example%2Ffailed"),
        "{}",
        page.html
    );
    // The language switch leaves the link's own parameters behind (its signature covers `lang`); the pass
    // this browser now holds opens the page in French.
    let french = page
        .html
        .split("<a href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .find(|(_, tail)| tail.contains("hreflang=\"fr\""))
        .map(|(href, _)| href.replace("&amp;", "&"))
        .unwrap_or_else(|| panic!("no French link in {}", page.html));
    assert!(
        french.contains("lang=fr") && !french.contains("sig=") && !french.contains("nonce="),
        "{french}"
    );
    let page = open(&client, &format!("{}{french}", app.base)).await;
    assert!(page.has_form(), "{}", page.html);
    assert!(page.html.contains("lang=\"fr\""), "{}", page.html);
    assert_eq!(page.hidden("state").as_deref(), Some("user 42&x"));

    let step = app
        .sign_in(
            &client,
            "user_good",
            &[
                ("state", "user 42&x"),
                ("success_url", "https://host.example/linked?from=cf"),
                ("failure_url", "https://host.example/failed"),
            ],
        )
        .await
        .step();
    let back = step.continue_url();
    assert!(
        back.starts_with("https://host.example/linked?from=cf&account_id=acc_"),
        "{back}"
    );
    assert_eq!(sign_ins_sent(&app), 1);
    let text = metrics(&app).await;
    for reason in ["missing", "bad_signature", "expired", "reused"] {
        assert_eq!(refusals(&text, reason), 0, "{reason}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Each refusal of the page

/// Opens `url` in a new browser: the page must be refused, counted under `reason`, and offer no form.
async fn refused_page(app: &TestApp, url: &str, reason: &str) -> Page {
    let (before, sent) = (refusals(&metrics(app).await, reason), sign_ins_sent(app));
    let page = open(&browser(), url).await;
    assert!(page.refused(), "{url}: {} {}", page.status, page.html);
    assert_eq!(refusals(&metrics(app).await, reason), before + 1, "{url}");
    assert_eq!(sign_ins_sent(app), sent);
    page
}

#[tokio::test]
async fn a_page_without_a_link_is_refused_without_a_way_back() {
    let app = spawn().await;
    let page = refused_page(&app, &format!("{}/connect/linkedin", app.base), "missing").await;
    assert!(!page.html.contains("/exit?"), "{}", page.html);
    // Unsigned parameters give no way back either.
    let page = refused_page(
        &app,
        &format!(
            "{}/connect/imap?failure_url=https%3A%2F%2Fhost.example%2Ffailed&state=s",
            app.base
        ),
        "missing",
    )
    .await;
    assert!(!page.html.contains("/exit?"), "{}", page.html);
    // In French too.
    let page = open(
        &browser(),
        &format!("{}/connect/linkedin?lang=fr", app.base),
    )
    .await;
    assert!(
        page.html.contains("Ce lien n’est pas valide ou a expiré"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn a_tampered_parameter_is_refused() {
    let app = spawn().await;
    let url = link(
        &app,
        "linkedin",
        &[
            ("state", "user-1"),
            ("failure_url", "https://host.example/failed"),
        ],
    );
    assert!(url.contains("state=user-1"));
    let page = refused_page(
        &app,
        &url.replace("state=user-1", "state=user-2"),
        "bad_signature",
    )
    .await;
    // Not authentic: its failure_url is not trusted.
    assert!(!page.html.contains("/exit?"), "{}", page.html);
    // Another provider, a parameter added, the signature altered: refused the same way.
    refused_page(
        &app,
        &url.replace("/connect/linkedin", "/connect/instagram"),
        "bad_signature",
    )
    .await;
    refused_page(
        &app,
        &format!("{url}&account_id=acc_someone"),
        "bad_signature",
    )
    .await;
    let sig_at = url.find("&sig=").expect("sig") + 5;
    let mut flipped = url.clone();
    let last = flipped.pop().expect("a digit");
    flipped.push(if last == '0' { '1' } else { '0' });
    assert_ne!(flipped[sig_at..], url[sig_at..]);
    refused_page(&app, &flipped, "bad_signature").await;
    // The link as it was still opens.
    assert!(open(&browser(), &url).await.has_form());
}

#[tokio::test]
async fn a_link_signed_with_another_secret_is_refused() {
    let app = spawn().await;
    let url = readme::start_link(
        &app.base,
        "linkedin",
        &[("state", "s")],
        unix_now() + 600,
        &nonce(),
        b"another-secret-of-the-same-length-0123456",
    );
    refused_page(&app, &url, "bad_signature").await;
}

#[tokio::test]
async fn an_expired_link_is_refused_with_the_way_back_it_signed() {
    let app = spawn().await;
    let url = readme::start_link(
        &app.base,
        "linkedin",
        &[
            ("state", "user-3"),
            ("failure_url", "https://host.example/failed"),
        ],
        unix_now() - 1,
        &nonce(),
        LINK_SECRET.as_bytes(),
    );
    let page = refused_page(&app, &url, "expired").await;
    let exit = "/connect/linkedin/exit?failure_url=https%3A%2F%2Fhost.example%2Ffailed&amp;state=user-3&amp;error=link_expired";
    assert!(page.html.contains(exit), "{}", page.html);
    assert!(page.html.contains("Return to the application"));
    let response = browser()
        .get(format!("{}{}", app.base, exit.replace("&amp;", "&")))
        .send()
        .await
        .expect("exit");
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "https://host.example/failed?error=link_expired&provider=linkedin&state=user-3"
    );
}

#[tokio::test]
async fn a_link_that_would_live_longer_than_allowed_is_refused() {
    let app = spawn().await;
    let build = |lifetime: u64| {
        readme::start_link(
            &app.base,
            "linkedin",
            &[("failure_url", "https://host.example/failed")],
            unix_now() + lifetime,
            &nonce(),
            LINK_SECRET.as_bytes(),
        )
    };
    let page = refused_page(&app, &build(3_600 + 60), "lifetime_too_long").await;
    assert!(page.html.contains("error=link_invalid"), "{}", page.html);
    assert!(open(&browser(), &build(3_500)).await.has_form());
}

#[tokio::test]
async fn a_bad_nonce_is_refused() {
    let app = spawn().await;
    for bad in [
        "short",
        "has space in it",
        "é-accented-nonce",
        &"n".repeat(65),
    ] {
        let url = readme::start_link(
            &app.base,
            "linkedin",
            &[],
            unix_now() + 600,
            bad,
            LINK_SECRET.as_bytes(),
        );
        refused_page(&app, &url, "bad_nonce").await;
    }
    // Signed without any nonce (the README's function always adds one: this message is signed by hand).
    use hmac::Mac;
    let message = format!("/connect/linkedin?expires={}", unix_now() + 600);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(LINK_SECRET.as_bytes()).expect("key");
    mac.update(message.as_bytes());
    let sig: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    refused_page(
        &app,
        &format!("{}{message}&sig={sig}", app.base),
        "bad_nonce",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------------
// Single use, and the sign-in endpoint

#[tokio::test]
async fn a_used_link_is_refused_in_any_other_browser_and_once_its_account_is_linked() {
    let app = spawn().await;
    let url = link(
        &app,
        "linkedin",
        &[
            ("state", "once"),
            ("failure_url", "https://host.example/failed"),
        ],
    );
    let (first, second) = (browser(), browser());
    assert!(open(&first, &url).await.has_form());
    // Opened in a second browser before any sign-in: the form shows, but only one sign-in may start.
    assert!(open(&second, &url).await.has_form());
    let params = [
        ("state", "once"),
        ("failure_url", "https://host.example/failed"),
    ];
    let linked = app.sign_in(&first, "user_good", &params).await.step();
    assert!(matches!(linked, FlowStep::Connected(_)), "{linked:?}");
    assert_eq!(sign_ins_sent(&app), 1);

    let before = refusals(&metrics(&app).await, "reused");
    let step = app
        .sign_in(&second, "user_good", &params)
        .await
        .step_with(403);
    assert_eq!(step.form_notice(), Some(ErrorCode::LinkExpired), "{step:?}");
    assert_eq!(sign_ins_sent(&app), 1, "nothing more was sent to Unipile");
    assert_eq!(refusals(&metrics(&app).await, "reused"), before + 1);

    // A third browser, and the first one again now its account is linked: refused, with the way back.
    let page = refused_page(&app, &url, "reused").await;
    assert!(page.html.contains("error=link_expired"), "{}", page.html);
    // The first browser reloading its page (the address naming its linked account) sees it again; the
    // link itself opens nothing more.
    let linked = linked.page_of(&url);
    for _ in 0..2 {
        let reload = open(&first, &linked).await;
        assert!(
            reload.status == 200 && reload.html.contains("is connected") && !reload.has_form(),
            "{}",
            reload.html
        );
        // Another account starts from the application too: no button that would only be refused.
        assert!(
            reload.html.contains("start again from the application")
                && !reload.html.contains("Connect another account"),
            "{}",
            reload.html
        );
    }
    let again = open(&first, &url).await;
    assert!(again.refused(), "{}", again.html);
    let answer = app.sign_in(&first, "user_good", &params).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(sign_ins_sent(&app), 1);
}

#[tokio::test]
async fn a_sign_in_posted_without_a_valid_link_is_refused() {
    let app = spawn().await;
    // By hand or by script: no pass at all.
    let client = browser();
    let step = app.sign_in(&client, "user_good", &[]).await.step_with(403);
    assert_eq!(step.form_notice(), Some(ErrorCode::LinkInvalid), "{step:?}");
    // The page the script re-reads says so, with no form.
    let shown = app.load(&client).await.step();
    assert_eq!(
        shown.form_notice(),
        Some(ErrorCode::LinkInvalid),
        "{shown:?}"
    );

    // A form posted without JavaScript goes back to the page, which shows the refusal.
    let plain = browser();
    let response = plain
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
    assert_eq!(response.status().as_u16(), 302);
    let back = response.headers()["location"].to_str().expect("ascii");
    assert!(back.starts_with("/connect/linkedin?flow="), "{back}");
    let page = open(&plain, &format!("{}{back}", app.base)).await;
    assert!(page.refused(), "{}", page.html);

    // The refused browser then given a valid link: the form, the refusal over.
    let url = link(&app, "linkedin", &[("state", "given")]);
    let page = open(&client, &url).await;
    assert!(
        page.has_form() && !page.html.contains(REFUSAL),
        "{}",
        page.html
    );

    // A page opened with a valid link, then a sign-in posted with other parameters than the link's.
    let url = link(&app, "linkedin", &[("state", "mine")]);
    let holder = browser();
    assert!(open(&holder, &url).await.has_form());
    for other in [
        vec![("state", "someone-else")],
        vec![("state", "mine"), ("account_id", "acc_someone")],
        vec![
            ("state", "mine"),
            ("success_url", "https://host.example/elsewhere"),
        ],
        vec![],
    ] {
        let step = app
            .sign_in(&holder, "user_good", &other)
            .await
            .step_with(403);
        assert_eq!(
            step.form_notice(),
            Some(ErrorCode::LinkInvalid),
            "{other:?}: {step:?}"
        );
    }
    assert_eq!(sign_ins_sent(&app), 0, "nothing was sent to Unipile");
    let text = metrics(&app).await;
    assert!(refusals(&text, "missing") >= 2, "{text}");
    assert_eq!(refusals(&text, "not_from_link"), 4, "{text}");
    // Reloaded with its link after those refusals (with JavaScript the page keeps the link's address): the form.
    let page = open(&holder, &url).await;
    assert!(
        page.has_form() && !page.html.contains(REFUSAL),
        "{}",
        page.html
    );
    // The link itself was not spent by those: its own parameters still sign in.
    let step = app
        .sign_in(&holder, "user_good", &[("state", "mine")])
        .await
        .step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
}

#[tokio::test]
async fn the_page_in_progress_keeps_working_on_reload_and_after_a_refused_password() {
    let app = spawn().await;
    let client = browser();
    let url = link(&app, "linkedin", &[("state", "reload")]);
    assert!(open(&client, &url).await.has_form());
    // A wrong password: the same browser tries again with the same link.
    let mut form = vec![
        ("provider", "linkedin"),
        ("username", "user_2fa_sms"),
        ("password", "pass_wrong"),
        ("state", "reload"),
    ];
    let step = app.call(&client, "start_auth_intent", &form).await.step();
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::InvalidCredentials),
        "{step:?}"
    );
    assert!(
        open(&client, &url).await.has_form(),
        "the link again, same browser"
    );
    form[2] = ("password", "pass_good");
    let step = app.call(&client, "start_auth_intent", &form).await.step();
    let flow = step.checkpoint().flow_id.clone();

    // Reloads: the link's address (with JavaScript the page keeps it), the page's own (without, the
    // sign-in comes back to it), another language.
    for address in [
        url.clone(),
        format!("{}/connect/linkedin?state=reload", app.base),
        format!("{}/connect/linkedin?state=reload&lang=fr", app.base),
    ] {
        let page = open(&client, &address).await;
        assert_eq!(page.status, 200, "{address}: {}", page.html);
        assert!(
            page.html.contains("name=\"code\""),
            "{address}: the checkpoint is not shown: {}",
            page.html
        );
    }
    let step = app.solve_code(&client, &flow, "123456").await.step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
    let text = metrics(&app).await;
    for reason in ["missing", "bad_signature", "reused"] {
        assert_eq!(refusals(&text, reason), 0, "{reason}: {text}");
    }
}

#[tokio::test]
async fn a_reconnect_and_the_return_urls_come_only_from_the_signed_link() {
    let app = spawn().await;
    let client = browser();
    let url = link(
        &app,
        "linkedin",
        &[
            ("account_id", "acc_reconnect-7"),
            ("success_url", "https://host.example/linked"),
        ],
    );
    assert!(open(&client, &url).await.has_form());
    // The page's address, changed by hand (the pass this browser holds opens the form): the link's values.
    let page = open(
        &client,
        &format!(
            "{}/connect/linkedin?account_id=acc_other&success_url=https%3A%2F%2Fhost.example%2Fevil&state=forged",
            app.base
        ),
    )
    .await;
    assert!(page.has_form(), "{}", page.html);
    assert_eq!(
        page.hidden("account_id").as_deref(),
        Some("acc_reconnect-7")
    );
    assert_eq!(
        page.hidden("success_url").as_deref(),
        Some("https://host.example/linked")
    );
    assert_eq!(page.hidden("state"), None, "{}", page.html);
    // The ways on (another sign-in method) carry the link's values too.
    assert!(
        !page.html.contains("method=cookie&amp;account_id=acc_other"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("method=cookie&amp;account_id=acc_reconnect-7"),
        "{}",
        page.html
    );

    let answer = app
        .sign_in(
            &client,
            "user_good",
            &[
                ("account_id", "acc_other"),
                ("success_url", "https://host.example/linked"),
            ],
        )
        .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let step = app
        .sign_in(
            &client,
            "user_good",
            &[
                ("account_id", "acc_reconnect-7"),
                ("success_url", "https://host.example/linked"),
            ],
        )
        .await
        .step();
    let back = step.continue_url();
    assert!(
        back.starts_with("https://host.example/linked?account_id="),
        "{back}"
    );
    let intent = app
        .built
        .sandbox
        .as_ref()
        .expect("sandbox")
        .requests()
        .into_iter()
        .find(|r| r.path == "/v2/auth/intent")
        .expect("one sign-in sent");
    assert_eq!(
        intent.body["account_id"], "acc_reconnect-7",
        "{}",
        intent.body
    );
}

#[tokio::test]
async fn refusals_are_logged_without_the_signature() {
    let (logs, _capturing) = Logs::capture();
    let app = spawn().await;
    let url = link(&app, "linkedin", &[("state", "logged-state")]);
    let sig = url.split("&sig=").nth(1).expect("sig").to_owned();
    let tampered = url.replace("logged-state", "other-state");
    assert!(!open(&browser(), &tampered).await.has_form());
    let client = browser();
    assert!(open(&client, &url).await.has_form());
    app.sign_in(&client, "user_good", &[("state", "logged-state")])
        .await;
    assert!(!open(&browser(), &url).await.has_form());
    let text = logs.text();
    assert!(
        text.contains("start link refused")
            && text.contains("bad_signature")
            && text.contains("reused"),
        "{text}"
    );
    for secret in [sig.as_str(), &sig[..16], LINK_SECRET, "pass_good"] {
        assert!(!text.contains(secret), "{secret} in the logs:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------------
// The README's functions

/// The fenced block of `lang` in the README that contains `marker`.
fn readme_block(lang: &str, marker: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let fence = format!("```{lang}\n");
    readme
        .split(&fence)
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block.to_owned()))
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("no ```{lang} block with {marker} in README.md"))
}

#[tokio::test]
async fn the_readme_shows_the_functions_tested_here_and_they_build_links_the_server_takes() {
    // Rust: the README's text is the one compiled into this test.
    let ours = include_str!("signed_links/readme_link.rs");
    assert_eq!(
        readme_block("rust", "fn start_link").trim_end(),
        ours.trim_end(),
        "README.md's start_link is not tests/signed_links/readme_link.rs"
    );

    let app = spawn().await;
    let rust_built = readme::start_link(
        &app.base,
        "linkedin",
        &[("state", "ré sumé/1"), ("lang", "fr")],
        unix_now() + 600,
        &nonce(),
        LINK_SECRET.as_bytes(),
    );
    let page = open(&browser(), &rust_built).await;
    assert!(page.has_form(), "{}", page.html);
    assert_eq!(page.hidden("state").as_deref(), Some("ré sumé/1"));

    // Node.js: the README's block, run as it is.
    let script = format!(
        "{}\nconst [base, provider, params, secret] = process.argv.slice(2);\nprocess.stdout.write(startLink(base, provider, JSON.parse(params), secret));\n",
        readme_block("js", "function startLink")
    );
    let dir = std::env::temp_dir().join(format!("cf-signed-links-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("start-link.js");
    std::fs::write(&file, script).expect("script");
    let params = serde_json::json!({
        "state": "node state ~*'()!",
        "success_url": "https://host.example/linked?a=1&b=2",
        "lang": "en",
    });
    let output = std::process::Command::new("node")
        .arg(&file)
        .args([app.base.as_str(), "imap", &params.to_string(), LINK_SECRET])
        .output()
        .expect("node (Node.js is needed by the end-to-end tests too)");
    assert!(output.status.success(), "{output:?}");
    let node_built = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        node_built.starts_with(&format!("{}/connect/imap?", app.base)),
        "{node_built}"
    );
    let client = browser();
    let page = open(&client, &node_built).await;
    assert!(page.has_form(), "{node_built}: {}", page.html);
    assert_eq!(page.hidden("state").as_deref(), Some("node state ~*'()!"));
    let step = app
        .call(
            &client,
            "start_auth_intent",
            &[
                ("provider", "imap"),
                ("username", "user_good@mail.test"),
                ("password", "pass_good"),
                ("state", "node state ~*'()!"),
                ("success_url", "https://host.example/linked?a=1&b=2"),
            ],
        )
        .await
        .step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
    // Each of them, altered, is refused.
    for url in [rust_built, node_built] {
        let altered = url.replacen("state=", "state=x", 1);
        assert!(!open(&browser(), &altered).await.has_form(), "{altered}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Start-up

#[tokio::test]
async fn start_up_needs_a_strong_link_secret_when_links_are_on_and_warns_when_live_mode_is_open() {
    async fn error(settings: Settings, secrets: Secrets) -> String {
        match credentials_flow::server::startup::build(settings, secrets, common::options()).await {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }
    let live = |link_secret: Option<&str>| Secrets {
        api_key: Some("live-key".to_owned().into()),
        session_secret: Some(
            "0123456789abcdef-session-secret-for-links"
                .to_owned()
                .into(),
        ),
        link_secret: link_secret.map(|s| s.to_owned().into()),
        ..Secrets::default()
    };
    let mut live_settings = Settings::default();
    live_settings.unipile.base_url = "https://api.unipile.test".into();

    // Live mode: on by default, so LINK_SECRET is needed, and a strong one.
    let missing = error(live_settings.clone(), live(None)).await;
    assert!(
        missing.contains("LINK_SECRET") && missing.contains("access.signed_links"),
        "{missing}"
    );
    let weak = error(live_settings.clone(), live(Some("short-link-secret"))).await;
    assert!(
        weak.contains("LINK_SECRET must be at least 32 characters"),
        "{weak}"
    );
    assert!(!weak.contains("short-link-secret"), "{weak}");
    let built = credentials_flow::server::startup::build(
        live_settings.clone(),
        live(Some(LINK_SECRET)),
        common::options(),
    )
    .await
    .map_err(|e| e.to_string())
    .expect("live mode with LINK_SECRET");
    assert!(
        built.state.links.is_some(),
        "live mode requires signed links"
    );
    // The demo's backend, which signs for whoever asks, is no part of live mode.
    let live_app = spawn_with(live_settings.clone(), live(Some(LINK_SECRET))).await;
    let demo = reqwest::get(format!("{}/demo/link?provider=linkedin", live_app.base))
        .await
        .expect("demo link");
    assert_eq!(demo.status().as_u16(), 404);

    // Open pages in live mode only when the operator says so, with a warning.
    let (logs, _capturing) = Logs::capture();
    let mut open_settings = live_settings.clone();
    open_settings.access.signed_links = Some(false);
    let built =
        credentials_flow::server::startup::build(open_settings, live(None), common::options())
            .await
            .map_err(|e| e.to_string())
            .expect("live mode, links off");
    assert!(built.state.links.is_none());
    let text = logs.text();
    assert!(
        text.contains("WARN")
            && text.contains("anyone who can reach this server can link accounts"),
        "{text}"
    );

    // Sandbox mode: off by default, nothing needed.
    let sandbox = credentials_flow::server::startup::build(
        Settings::default(),
        Secrets::default(),
        common::options(),
    )
    .await
    .map_err(|e| e.to_string())
    .expect("sandbox mode");
    assert!(sandbox.state.links.is_none());
    let page = {
        let app = common::spawn_app(Settings::default()).await;
        open(&browser(), &format!("{}/connect/linkedin", app.base)).await
    };
    assert!(page.has_form(), "the sandbox stays open: {}", page.html);
}

// ---------------------------------------------------------------------------------------------------
// Redis, shared by replicas

#[tokio::test]
async fn a_link_used_on_one_replica_is_refused_on_the_other() {
    let redis = Redis::spawn().await;
    let with_redis = || Secrets {
        redis_url: Some(redis.url().into()),
        session_secret: Some(
            "0123456789abcdef-session-secret-shared-by-both"
                .to_owned()
                .into(),
        ),
        ..secrets()
    };
    let a = spawn_with(settings(), with_redis()).await;
    let b = spawn_with(settings(), with_redis()).await;
    let url = link(&a, "linkedin", &[("state", "replicas")]);
    let on_b = url.replace(&a.base, &b.base);
    let (first, second) = (browser(), browser());
    assert!(open(&first, &url).await.has_form());
    assert!(open(&second, &on_b).await.has_form());
    let step = a
        .sign_in(&first, "user_good", &[("state", "replicas")])
        .await
        .step();
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
    // On the other replica: the page and the sign-in are refused.
    let step = b
        .sign_in(&second, "user_good", &[("state", "replicas")])
        .await
        .step_with(403);
    assert_eq!(step.form_notice(), Some(ErrorCode::LinkExpired), "{step:?}");
    assert!(open(&browser(), &on_b).await.refused());
    assert_eq!(sign_ins_sent(&b), 0);
    assert_eq!(refusals(&metrics(&b).await, "reused"), 2);
}

// ---------------------------------------------------------------------------------------------------
// The sandbox's demo host

#[tokio::test]
async fn the_demo_host_builds_a_signed_link_when_links_are_on_and_a_plain_one_otherwise() {
    let app = spawn().await;
    let built: Value = reqwest::get(format!(
        "{}/demo/link?provider=instagram&state=demo%201",
        app.base
    ))
    .await
    .expect("demo link")
    .json()
    .await
    .expect("JSON");
    assert_eq!(built["signed"], true, "{built}");
    let url = built["url"].as_str().expect("url");
    assert!(
        url.starts_with("/connect/instagram?expires=") && url.contains("&sig="),
        "{url}"
    );
    let page = open(&browser(), &format!("{}{url}", app.base)).await;
    assert!(page.has_form(), "{}", page.html);
    assert_eq!(page.hidden("state").as_deref(), Some("demo 1"));
    let embed = reqwest::get(format!("{}/demo/embed", app.base))
        .await
        .expect("demo page")
        .text()
        .await
        .expect("html");
    assert!(embed.contains("id=\"link\""), "{embed}");

    // Sandbox mode as shipped: links are off, the demo's link is the plain page.
    let open_app = common::spawn_app(Settings::default()).await;
    let built: Value = reqwest::get(format!("{}/demo/link?provider=x&state=s", open_app.base))
        .await
        .expect("demo link")
        .json()
        .await
        .expect("JSON");
    assert_eq!(built["signed"], false, "{built}");
    assert_eq!(built["url"], "/connect/x?state=s");
}
