//! Every provider form of the catalogue over real HTTP: it renders, it checks its fields, and what it sends
//! to Unipile (the sandbox records it) is exactly the contract's body for that method.
#![cfg(feature = "ssr")]

mod common;

use common::{
    browser,
    client::{Answer, StepParts},
    spawn_app, TestApp,
};
use credentials_flow::{
    catalogue::PROVIDERS,
    error::{AppError, ErrorCode},
    model::{FieldProblem, FlowStep},
    server::settings::Settings,
};
use serde_json::{json, Value};

/// What a browser posts for a form left as drawn: every non-secret field's default (ports, protocol,
/// the ticked "classic" box…), then `fields`.
fn as_posted<'a>(
    provider: &'a str,
    method: &'a str,
    fields: &[(&'a str, &'a str)],
) -> Vec<(String, String)> {
    let p = credentials_flow::catalogue::find(provider).expect("provider");
    let m = p.method(method);
    let mut form: Vec<(String, String)> = vec![
        ("provider".into(), provider.into()),
        ("method".into(), method.into()),
    ];
    for f in p.fields(m) {
        if !f.default.is_empty() && !fields.iter().any(|(k, _)| *k == f.name) {
            form.push((f.name.into(), f.default.into()));
        }
    }
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    form
}

impl TestApp {
    /// Where the server's exit sends the browser (303).
    async fn exit_to(&self, client: &reqwest::Client, path: &str) -> String {
        let response = client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("exit");
        assert_eq!(response.status().as_u16(), 303, "{path}");
        response.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    /// Posts the sign-in form as the hydrated page does.
    async fn post_start(&self, client: &reqwest::Client, form: &[(String, String)]) -> Answer {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.call(client, "start_auth_intent", &form).await
    }

    /// The step the sign-in answers; any status but 200 fails the test.
    async fn start(&self, client: &reqwest::Client, form: &[(String, String)]) -> FlowStep {
        self.post_start(client, form).await.step()
    }

    async fn page(&self, client: &reqwest::Client, path: &str) -> String {
        let response = client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("user-agent", "FormTestAgent/1.0 (X11)")
            .send()
            .await
            .expect("page");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.text().await.expect("html")
    }

    /// The last Start Auth Intent body the sandbox received.
    fn last_intent(&self) -> Value {
        let sandbox = self.built.sandbox.as_ref().expect("sandbox mode");
        sandbox
            .requests()
            .iter()
            .rev()
            .find(|r| r.path == "/v2/auth/intent")
            .map(|r| r.body.clone())
            .expect("an intent was sent")
    }
}

/// The opening tag of the element with `id="{id}"`.
fn tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = at + html[at..].find('>').expect("tag end");
    &html[start..=end]
}

/// Whether the `<details>` section whose summary is `summary` is drawn open.
fn section_open(html: &str, summary: &str) -> bool {
    let at = html
        .find(summary)
        .unwrap_or_else(|| panic!("no section {summary}"));
    let start = html[..at].rfind("<details").expect("a details element");
    let end = start + html[start..].find('>').expect("tag end");
    html[start..end].contains(" open")
}

#[tokio::test]
async fn every_method_renders_checks_and_sends_exactly_its_body() {
    let app = spawn_app(Settings::default()).await;
    // provider, method, fields typed, the exact body Unipile must receive
    type Case = (
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
        Value,
    );
    let cases: Vec<Case> = vec![
        (
            "linkedin",
            "password",
            vec![("username", "user_good"), ("password", "pass_good")],
            json!({"provider": "linkedin", "credentials": {"username": "user_good", "password": "pass_good"},
                   "config": {"products": ["classic"]}}),
        ),
        (
            "linkedin",
            "cookie",
            vec![
                ("li_at", "cookie_good"),
                ("li_a", "premium_cookie"),
                ("user_agent", "Agent/2"),
            ],
            json!({"provider": "linkedin",
                   "credentials": {"access_token": "cookie_good", "premium_access_token": "premium_cookie", "user_agent": "Agent/2"},
                   "config": {"products": ["classic"]}}),
        ),
        (
            "instagram",
            "password",
            vec![("username", "user_good"), ("password", "pass_good")],
            json!({"provider": "instagram", "credentials": {"username": "user_good", "password": "pass_good"}}),
        ),
        (
            "instagram",
            "cookie",
            vec![("sessionid", "cookie_good")],
            json!({"provider": "instagram", "credentials": {"sessionid": "cookie_good"}}),
        ),
        (
            "messenger",
            "password",
            vec![("username", "user_good"), ("password", "pass_good")],
            json!({"provider": "messenger", "credentials": {"username": "user_good", "password": "pass_good"}}),
        ),
        (
            "x",
            "password",
            vec![("username", "user_good"), ("password", "pass_good")],
            json!({"provider": "twitter", "credentials": {"username": "user_good", "password": "pass_good"}}),
        ),
        (
            "imap",
            "password",
            vec![
                ("username", "user_good@example.com"),
                ("password", "pass_good"),
            ],
            json!({"provider": "imap", "credentials": {"user": "user_good@example.com", "password": "pass_good"}}),
        ),
    ];
    let methods: usize = PROVIDERS.iter().map(|p| p.methods.len()).sum();
    assert_eq!(cases.len(), methods, "one case per method of the catalogue");
    for (provider, method, fields, expected) in cases {
        let client = browser();
        // Renders: every field of the method with its label.
        let html = app
            .page(&client, &format!("/connect/{provider}?method={method}"))
            .await;
        let p = credentials_flow::catalogue::find(provider).expect("provider");
        for f in p.fields(p.method(method)) {
            assert!(
                html.contains(&format!("name=\"{}\"", f.name)),
                "{provider} {method}: {}",
                f.name
            );
            assert!(
                html.contains(f.label.en()),
                "{provider} {method}: label {}",
                f.label.en()
            );
        }
        // Checks: the form posted empty names each required field.
        let empty = app.start(&client, &as_posted(provider, method, &[])).await;
        let errors = &empty.form().errors;
        for f in p.method(method).fields.iter().filter(|f| f.required) {
            assert!(
                errors
                    .iter()
                    .any(|e| e.field == f.name && e.problem == FieldProblem::Required),
                "{provider} {method}: {} not reported in {empty:?}",
                f.name
            );
        }
        // Sends exactly the contract's body, and links.
        let step = app
            .start(&client, &as_posted(provider, method, &fields))
            .await;
        assert!(
            matches!(step, FlowStep::Connected(_)),
            "{provider} {method}: {step:?}"
        );
        assert_eq!(app.last_intent(), expected, "{provider} {method}");
    }
}

#[tokio::test]
async fn the_cookie_form_starts_with_the_browsers_user_agent() {
    let app = spawn_app(Settings::default()).await;
    let html = app
        .page(&browser(), "/connect/linkedin?method=cookie")
        .await;
    assert!(
        !section_open(&html, "Use my own proxy"),
        "a fresh form keeps the proxy closed"
    );
    let input = tag(&html, "user_agent");
    assert!(
        input.contains("value=\"FormTestAgent/1.0 (X11)\""),
        "{input}"
    );
    // The secret cookie fields are password inputs that start empty.
    let li_at = tag(&html, "li_at");
    assert!(
        li_at.contains("type=\"password\"") && !li_at.contains("value="),
        "{li_at}"
    );
}

#[tokio::test]
async fn imap_autodetect_failure_opens_the_server_settings_and_they_link() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let address = "user_good@manual-mail.test";
    let refused = app
        .start(
            &client,
            &as_posted(
                "imap",
                "password",
                &[("username", address), ("password", "pass_good")],
            ),
        )
        .await;
    assert_eq!(
        refused.form_notice(),
        Some(ErrorCode::ImapAutodetectFailed),
        "{refused:?}"
    );
    assert_eq!(refused.form().form.get("username"), address);
    let html = app.page(&client, &refused.page_of("/connect/imap")).await;
    assert!(section_open(&html, "Advanced settings: mail servers"));
    assert!(tag(&html, "imap_host").contains("aria-invalid=\"true\""));
    assert!(tag(&html, "username").contains(&format!("value=\"{address}\"")));
    assert!(
        !tag(&html, "password").contains("value="),
        "the password is not kept"
    );

    let step = app
        .start(
            &client,
            &as_posted(
                "imap",
                "password",
                &[
                    ("username", address),
                    ("password", "pass_good"),
                    ("imap_host", "imap.manual-mail.test"),
                    ("imap_encryption", "ssl"),
                    ("smtp_host", "smtp.manual-mail.test"),
                    ("smtp_port", "465"),
                ],
            ),
        )
        .await;
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
    assert_eq!(
        app.last_intent()["credentials"],
        json!({
            "imap": {"user": address, "password": "pass_good", "host": "imap.manual-mail.test", "port": 993, "encryption": "ssl"},
            "smtp": {"user": address, "password": "pass_good", "host": "smtp.manual-mail.test", "port": 465}
        })
    );
}

#[tokio::test]
async fn proxy_errors_point_at_the_proxy_fields() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let with_proxy = |host: &'static str, login: &'static [(&'static str, &'static str)]| {
        let mut fields = vec![
            ("username", "user_good"),
            ("password", "pass_good"),
            ("proxy_host", host),
            ("proxy_port", "8080"),
            ("proxy_protocol", "socks5"),
        ];
        fields.extend_from_slice(login);
        as_posted("linkedin", "password", &fields)
    };
    let broken = app
        .start(&client, &with_proxy("broken-proxy.test", &[]))
        .await;
    assert_eq!(
        broken.form_notice(),
        Some(ErrorCode::ProxyError),
        "{broken:?}"
    );
    let html = app
        .page(&client, &broken.page_of("/connect/linkedin"))
        .await;
    assert!(section_open(&html, "Use my own proxy"));
    assert!(tag(&html, "proxy_host").contains("aria-invalid=\"true\""));
    assert!(tag(&html, "proxy_host").contains("value=\"broken-proxy.test\""));
    assert!(html.contains("Check the proxy host, port and protocol"));

    let slow = app
        .start(&client, &with_proxy("slow-proxy.test", &[]))
        .await;
    assert_eq!(
        slow.form_notice(),
        Some(ErrorCode::ProxyTimeout),
        "{slow:?}"
    );

    let refused = app
        .start(
            &client,
            &with_proxy(
                "proxy.example.com",
                &[
                    ("proxy_username", "me"),
                    ("proxy_password", "wr0ng-proxy-pw"),
                ],
            ),
        )
        .await;
    assert_eq!(
        refused.form_notice(),
        Some(ErrorCode::ProxyAuth),
        "{refused:?}"
    );
    let html = app
        .page(&client, &refused.page_of("/connect/linkedin"))
        .await;
    assert!(tag(&html, "proxy_password").contains("aria-invalid=\"true\""));
    assert!(
        !html.contains("wr0ng-proxy-pw"),
        "the proxy password is not kept"
    );

    let linked = app
        .start(
            &client,
            &with_proxy(
                "proxy.example.com",
                &[("proxy_username", "me"), ("proxy_password", "pass_good")],
            ),
        )
        .await;
    assert!(matches!(linked, FlowStep::Connected(_)), "{linked:?}");
    assert_eq!(
        app.last_intent()["config"]["custom_proxy"],
        json!({"host": "proxy.example.com", "port": 8080, "protocol": "socks5", "username": "me", "password": "pass_good"})
    );
}

#[tokio::test]
async fn reconnect_sends_the_account_and_state_and_explains_a_mismatch() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let html = app
        .page(
            &client,
            "/connect/linkedin?account_id=acc_abc123&state=host%2042",
        )
        .await;
    assert!(html.contains("Reconnect your LinkedIn account"), "title");
    assert!(tag(&html, "username").contains("autocomplete=\"username\""));
    assert!(html.contains("name=\"account_id\" value=\"acc_abc123\""));
    assert!(html.contains("name=\"state\" value=\"host 42\""));

    let mut form = as_posted(
        "linkedin",
        "password",
        &[
            ("username", "error_account_mismatch"),
            ("password", "pass_good"),
        ],
    );
    form.push(("account_id".into(), "acc_abc123".into()));
    form.push(("state".into(), "host 42".into()));
    let mismatch = app.start(&client, &form).await;
    assert_eq!(
        mismatch.form_notice(),
        Some(ErrorCode::AccountMismatch),
        "{mismatch:?}"
    );
    assert_eq!(
        mismatch.form().form.account_id.as_deref(),
        Some("acc_abc123")
    );
    // Shown again without the reconnect's parameters, it is still a reconnection.
    let html = app
        .page(&client, &mismatch.page_of("/connect/linkedin"))
        .await;
    assert!(html.contains("Reconnect your LinkedIn account"));
    assert!(html.contains("belong to a different LinkedIn account"));

    let mut form = as_posted(
        "linkedin",
        "password",
        &[("username", "user_good"), ("password", "pass_good")],
    );
    form.push(("account_id".into(), "acc_abc123".into()));
    form.push(("state".into(), "host 42".into()));
    let linked = app.start(&client, &form).await;
    assert_eq!(linked.connected().id, "acc_abc123", "{linked:?}");
    let sent = app.last_intent();
    assert_eq!(
        (&sent["account_id"], &sent["state"]),
        (&json!("acc_abc123"), &json!("host 42"))
    );

    // Without JavaScript the post is answered with a redirect that keeps the parameters.
    let plain = browser()
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(plain.status().as_u16(), 302);
    let back = plain.headers()["location"].to_str().expect("ascii");
    assert!(
        back.starts_with("/connect/linkedin?account_id=acc_abc123&state=host%2042&flow="),
        "{back}"
    );

    // A malformed reconnect link shows no form, and says what to do.
    let html = app
        .page(&browser(), "/connect/linkedin?account_id=12345")
        .await;
    assert!(html.contains("This link is not valid"));
    assert!(!html.contains("name=\"password\""));
    let long_state = format!("/connect/linkedin?state={}", "s".repeat(300));
    assert!(app
        .page(&browser(), &long_state)
        .await
        .contains("This link is not valid"));
}

#[tokio::test]
async fn field_errors_say_what_to_fix_and_keep_no_secret() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let answer = app
        .post_start(
            &client,
            &as_posted(
                "imap",
                "password",
                &[
                    ("username", "not-an-address"),
                    ("password", "s3cret-pass"),
                    ("imap_host", "imap.example.com"),
                    ("proxy_host", "proxy.example.com"),
                    ("proxy_port", "99999"),
                ],
            ),
        )
        .await;
    let step = answer.step();
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::InvalidInput),
        "{step:?}"
    );
    let errors: Vec<(&str, FieldProblem)> = step
        .form()
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.problem))
        .collect();
    for expected in [
        ("username", FieldProblem::NotEmail),
        ("smtp_host", FieldProblem::NeededWithOthers),
        ("proxy_port", FieldProblem::NotPort),
    ] {
        assert!(errors.contains(&expected), "{expected:?} in {errors:?}");
    }
    assert!(!answer.body.contains("s3cret-pass"));
    let sandbox = app.built.sandbox.as_ref().expect("sandbox");
    assert!(sandbox.requests().is_empty(), "nothing was sent upstream");

    let html = app.page(&client, &step.page_of("/connect/imap")).await;
    let username = tag(&html, "username");
    assert!(
        username.contains("aria-invalid=\"true\"") && username.contains("username-error"),
        "{username}"
    );
    assert!(html.contains("enter it as name@example.com"));
    assert!(html.contains("Enter a port number between 1 and 65535."));
    assert!(!html.contains("s3cret-pass"));
}

#[tokio::test]
async fn sections_the_settings_turn_off_are_neither_shown_nor_sent() {
    let mut settings = Settings::default();
    settings.forms.custom_proxy = false;
    settings.forms.linkedin_products = false;
    let app = spawn_app(settings).await;
    let client = browser();
    let html = app.page(&client, "/connect/linkedin").await;
    assert!(!html.contains("name=\"proxy_host\"") && !html.contains("name=\"premium\""));
    let step = app
        .start(
            &client,
            &as_posted(
                "linkedin",
                "password",
                &[
                    ("username", "user_good"),
                    ("password", "pass_good"),
                    ("proxy_host", "proxy.example.com"),
                    ("proxy_port", "8080"),
                    ("premium", "recruiter"),
                ],
            ),
        )
        .await;
    assert!(matches!(step, FlowStep::Connected(_)), "{step:?}");
    assert_eq!(app.last_intent().get("config"), None);
}

#[tokio::test]
async fn redirect_mode_sends_the_outcome_to_allowed_urls_only() {
    let mut settings = Settings::default();
    settings.embed.allowed_origins = vec!["https://host.example".into()];
    let app = spawn_app(settings).await;
    let client = browser();
    let query = "success_url=https%3A%2F%2Fhost.example%2Fdone%3Fx%3D1&failure_url=https%3A%2F%2Fhost.example%2Ffailed&state=s%201";
    let html = app
        .page(&client, &format!("/connect/linkedin?{query}"))
        .await;
    assert!(html.contains("name=\"success_url\" value=\"https://host.example/done?x=1\""));
    let exit = "/connect/linkedin/exit?failure_url=https%3A%2F%2Fhost.example%2Ffailed&state=s%201&error=cancelled";
    assert!(
        html.contains(&format!("href=\"{}\"", exit.replace('&', "&amp;"))),
        "the way out goes through the server's exit"
    );
    assert_eq!(
        app.exit_to(&client, exit).await,
        "https://host.example/failed?error=cancelled&provider=linkedin&state=s%201",
        "the way out tells the host the user cancelled"
    );

    // A refusal that the user cannot fix here hands back its code.
    let mut form = as_posted(
        "linkedin",
        "password",
        &[
            ("username", "error_account_restricted"),
            ("password", "pass_good"),
        ],
    );
    form.extend([
        (
            "success_url".to_owned(),
            "https://host.example/done?x=1".to_owned(),
        ),
        (
            "failure_url".to_owned(),
            "https://host.example/failed".to_owned(),
        ),
        ("state".to_owned(), "s 1".to_owned()),
    ]);
    let restricted = app.start(&client, &form).await;
    assert_eq!(restricted.form_notice(), Some(ErrorCode::AccountRestricted));
    let html = app
        .page(
            &client,
            &restricted.page_of(
                "/connect/linkedin?failure_url=https%3A%2F%2Fhost.example%2Ffailed&state=s%201",
            ),
        )
        .await;
    let exit = exit.replace("cancelled", "account_restricted");
    assert!(html.contains(&format!("href=\"{}\"", exit.replace('&', "&amp;"))));
    assert_eq!(
        app.exit_to(&client, &exit).await,
        "https://host.example/failed?error=account_restricted&provider=linkedin&state=s%201"
    );

    let good = form
        .iter()
        .map(|(k, v)| match k.as_str() {
            "username" => (k.clone(), "user_good".to_owned()),
            _ => (k.clone(), v.clone()),
        })
        .collect::<Vec<_>>();
    let linked = app.start(&client, &good).await;
    let account = linked.connected();
    let id = &account.id;
    let back =
        format!("https://host.example/done?x=1&account_id={id}&provider=linkedin&state=s%201");
    assert_eq!(account.continue_url.as_ref(), Some(&back));
    // Without JavaScript, the success page moves on by itself.
    let html = app
        .page(&client, &linked.page_of("/connect/linkedin"))
        .await;
    assert!(html.contains("http-equiv=\"refresh\""), "{html}");
    assert!(html.contains("Continue to the application"));

    // URLs of other origins are refused, on the page and in a post; the page says it is the return address.
    for param in ["success_url", "failure_url"] {
        let html = app
            .page(
                &browser(),
                &format!("/connect/linkedin?{param}=https%3A%2F%2Fevil.example%2F"),
            )
            .await;
        assert!(
            html.contains("This return address is not allowed for this application.")
                && !html.contains("name=\"password\""),
            "{param}: {html}"
        );
        assert!(!html.contains("account reference or state is malformed"));
    }
    let html = app
        .page(&browser(), "/connect/linkedin?account_id=nope")
        .await;
    assert!(html.contains("This link is not valid: its account reference or state is malformed."));
    assert!(!html.contains("return address"));
    let mut evil = good.clone();
    evil.retain(|(k, _)| k != "success_url");
    evil.push((
        "success_url".into(),
        "https://host.example.evil.test/".into(),
    ));
    let refused = app.post_start(&browser(), &evil).await;
    assert_eq!(refused.status, 400);
    assert!(
        matches!(refused.failure(), AppError::BadRequest(_)),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn the_demo_host_page_has_its_own_policy() {
    let app = spawn_app(Settings::default()).await;
    let response = browser()
        .get(format!("{}/demo/embed", app.base))
        .send()
        .await
        .expect("demo");
    assert_eq!(response.status().as_u16(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("frame-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let page = browser()
        .get(format!(
            "{}/demo/return?account_id=acc_1&state=%3Cscript%3E",
            app.base
        ))
        .send()
        .await
        .expect("return")
        .text()
        .await
        .expect("html");
    assert!(page.contains("<dd data-param=\"account_id\">acc_1</dd>"));
    assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
}
