//! The server functions over real HTTP: the app on port 0 in sandbox mode, a cookie-keeping client.
#![cfg(feature = "ssr")]

mod common;

use common::{browser, client::StepParts, spawn_app, spawn_with, TestApp};
use credentials_flow::{
    api::SiteInfo,
    error::ErrorCode,
    model::{CheckpointKind, CodeSource, Confirmation, FlowStep},
    server::settings::{Secrets, Settings},
};
use serde_json::Value;

impl TestApp {
    /// The step a server function answers; any status but 200 fails the test.
    async fn step(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> FlowStep {
        let answer = self.call(client, endpoint, form).await;
        assert_eq!(answer.status, 200, "{endpoint}: {}", answer.body);
        answer.step()
    }

    async fn start(&self, client: &reqwest::Client, username: &str, password: &str) -> FlowStep {
        self.step(
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

    async fn solve(&self, client: &reqwest::Client, code: &str) -> FlowStep {
        let flow = self.flow_id(client).await;
        self.solve_code(client, &flow, code).await.step()
    }

    /// Calls a checkpoint action with the current attempt's flow id, plus `extra` fields.
    async fn act(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        extra: &[(&str, &str)],
    ) -> FlowStep {
        let flow = self.flow_id(client).await;
        let mut form = vec![("provider", "linkedin"), ("flow", flow.as_str())];
        form.extend_from_slice(extra);
        self.step(client, endpoint, &form).await
    }

    /// Waits as the page does (one bounded `wait_checkpoint` after another, at most `polls`) until `done`.
    async fn poll_wait(
        &self,
        client: &reqwest::Client,
        polls: usize,
        done: impl Fn(&FlowStep) -> bool,
    ) -> FlowStep {
        let mut step = self.act(client, "wait_checkpoint", &[]).await;
        for _ in 1..polls {
            if done(&step) {
                break;
            }
            step = self.act(client, "wait_checkpoint", &[]).await;
        }
        step
    }

    /// Every intent id the sandbox handed out, from the requests it received.
    fn intent_ids(&self) -> Vec<String> {
        let sandbox = self.built.sandbox.as_ref().expect("sandbox mode");
        sandbox
            .requests()
            .iter()
            .filter_map(|r| {
                r.body
                    .get("intent_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect()
    }
}

/// Where the code of a code checkpoint comes from; any other step fails the test.
fn code_source(step: &FlowStep) -> CodeSource {
    match step.kind() {
        CheckpointKind::Code { source } => *source,
        other => panic!("expected a code checkpoint, got {other:?}"),
    }
}

#[tokio::test]
async fn good_credentials_link_the_account_at_once() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let step = app.start(&client, "user_good", "pass_good").await;
    let account = step.connected();
    assert!(account.id.starts_with("acc_"), "{step:?}");
    assert_eq!(account.name.as_deref(), Some("user_good"));
    // The page of a new visit starts afresh (a host opening it for another account), and drawing it
    // changes nothing: the browser's flow is still the linked account (tests/page_renders.rs has the rest).
    assert_eq!(app.load(&client).await.step(), step);
    let shown = client
        .get(format!("{}/connect/linkedin", app.base))
        .send()
        .await
        .expect("get");
    assert!(shown.headers().get("set-cookie").is_none(), "{shown:?}");
    let shown = shown.text().await.expect("html");
    assert!(
        shown.contains("Connect your LinkedIn account") && !shown.contains("is connected"),
        "{shown}"
    );
    assert_eq!(app.load(&client).await.step(), step);
}

#[tokio::test]
async fn two_factor_checkpoints_say_where_the_code_comes_from_and_survive_a_wrong_code() {
    let app = spawn_app(Settings::default()).await;
    for (user, source) in [
        ("user_2fa_sms", CodeSource::Sms),
        ("user_2fa_app", CodeSource::AuthenticatorApp),
        ("user_2fa_whatsapp", CodeSource::WhatsApp),
        ("user_otp", CodeSource::Email),
    ] {
        let client = browser();
        let step = app.start(&client, user, "pass_good").await;
        assert_eq!(code_source(&step), source, "{user}: {step:?}");

        let wrong = app.solve(&client, "000000").await;
        assert_eq!(
            code_source(&wrong),
            source,
            "{user} keeps the checkpoint: {wrong:?}"
        );
        assert_eq!(wrong.checkpoint_notice(), Some(ErrorCode::InvalidCode));
        assert_eq!(wrong.checkpoint().attempts_left, 4);

        // A reload shows the same checkpoint.
        assert_eq!(code_source(&app.load(&client).await.step()), source);

        // Pasted as the message shows it, grouped: accepted as the same code.
        let done = app.solve(&client, " 123 456 ").await;
        assert_eq!(done.linked_name(), Some(user), "{done:?}");
    }
}

#[tokio::test]
async fn the_browser_never_sees_the_intent_id_or_a_secret() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let mut seen = String::new();
    for (endpoint, form) in [
        (
            "start_auth_intent",
            vec![
                ("provider", "linkedin"),
                ("username", "user_2fa_sms"),
                ("password", "pass_good"),
            ],
        ),
        (
            "load_flow_step",
            vec![("provider", "linkedin"), ("wait", "false")],
        ),
        (
            "solve_checkpoint",
            vec![("provider", "linkedin"), ("code", "999999")],
        ),
        (
            "solve_checkpoint",
            vec![("provider", "linkedin"), ("code", "123456")],
        ),
    ] {
        let flow = app.flow_id(&client).await;
        let mut form = form;
        if endpoint == "solve_checkpoint" {
            form.push(("flow", &flow));
        }
        let answer = app.call(&client, endpoint, &form).await;
        seen.push_str(&answer.body);
        seen.push_str(&answer.cookies().join("\n"));
    }
    let intents = app.intent_ids();
    assert!(!intents.is_empty());
    for secret in intents
        .iter()
        .map(String::as_str)
        .chain(["pass_good", "999999", "123456"])
    {
        // The account id equals the intent id once linked; before that, no intent id may leak.
        let before_success = seen.split("\"Connected\"").next().expect("prefix");
        assert!(
            !before_success.contains(secret),
            "{secret} reached the browser"
        );
    }
    assert!(
        seen.contains("HttpOnly") && seen.contains("SameSite=Strict"),
        "{seen}"
    );
}

#[tokio::test]
async fn a_checkpoint_can_only_be_solved_from_the_browser_that_started_it() {
    let app = spawn_app(Settings::default()).await;
    let owner = browser();
    app.start(&owner, "user_2fa_sms", "pass_good").await;
    let stranger = browser();
    let flow = app.flow_id(&owner).await;
    let step = app
        .step(
            &stranger,
            "solve_checkpoint",
            &[
                ("provider", "linkedin"),
                ("flow", &flow),
                ("code", "123456"),
            ],
        )
        .await;
    assert_eq!(step.form_notice(), Some(ErrorCode::NoFlow), "{step:?}");
    assert_eq!(code_source(&app.load(&owner).await.step()), CodeSource::Sms);
}

#[tokio::test]
async fn refusals_keep_the_username_and_say_what_to_do() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let step = app.start(&client, "user_good", "wrong").await;
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::InvalidCredentials),
        "{step:?}"
    );
    assert_eq!(step.form().form.get("username"), "user_good");

    let step = app
        .start(&client, "error_unknown_authentication_context", "pass_good")
        .await;
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::UnknownAuthenticationContext),
        "{step:?}"
    );
    assert_eq!(
        step.form().form.get("username"),
        "error_unknown_authentication_context"
    );

    let step = app.start(&client, "error_server", "pass_good").await;
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::ServiceUnavailable),
        "{step:?}"
    );
    assert!(
        step.form()
            .notice
            .as_ref()
            .and_then(|n| n.support_ref.as_deref())
            .is_some_and(|r| !r.is_empty()),
        "{step:?}"
    );

    let step = app.start(&client, "user_good", "").await;
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::InvalidInput),
        "{step:?}"
    );
}

#[tokio::test]
async fn too_many_wrong_codes_end_the_attempt() {
    let mut settings = Settings::default();
    settings.flow.max_code_attempts = 3;
    let app = spawn_app(settings).await;
    let client = browser();
    app.start(&client, "user_2fa_app", "pass_good").await;
    assert_eq!(
        app.solve(&client, "000001")
            .await
            .checkpoint()
            .attempts_left,
        2
    );
    assert_eq!(
        app.solve(&client, "000002")
            .await
            .checkpoint()
            .attempts_left,
        1
    );
    let step = app.solve(&client, "000003").await;
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::TooManyWrongCodes),
        "{step:?}"
    );
    assert_eq!(step.form().form.get("username"), "user_2fa_app");
}

#[tokio::test]
async fn phone_registration_sends_the_number_without_its_trunk_prefix_then_asks_for_the_sms_code() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let step = app.start(&client, "user_phone", "pass_good").await;
    assert_eq!(step.kind(), &CheckpointKind::PhoneRegister, "{step:?}");

    let phone = |cc: &'static str, n: &'static str| [("country_code", cc), ("phone_number", n)];
    let sandbox = app.built.sandbox.as_ref().expect("sandbox");
    let sent_codes = || {
        sandbox
            .requests()
            .iter()
            .filter_map(|r| {
                r.body
                    .get("code")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect::<Vec<_>>()
    };
    // Letters, and a UK mobile under the French code: refused here, nothing sent.
    for (cc, number) in [("+33", "12ab"), ("+33", "07700 900123")] {
        let refused = app.act(&client, "register_phone", &phone(cc, number)).await;
        assert_eq!(
            refused.checkpoint_notice(),
            Some(ErrorCode::InvalidPhone),
            "{refused:?}"
        );
        assert_eq!(refused.kind(), &CheckpointKind::PhoneRegister);
    }
    assert_eq!(sent_codes(), Vec::<String>::new());

    // Without JavaScript the page shows the checkpoint again: how to write the number, and the number to correct.
    let page = client
        .get(format!("{}/connect/linkedin", app.base))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("not valid for the country code you entered"),
        "{page}"
    );
    assert!(page.contains("as you dial it in that country"));
    assert!(page.contains(r#"value="+33""#) && page.contains(r#"value="07700 900123""#));
    assert!(page.contains(r#"aria-invalid="true""#));

    let otp = app
        .act(&client, "register_phone", &phone("+44", "07700 900123"))
        .await;
    assert_eq!(code_source(&otp), CodeSource::Sms, "{otp:?}");
    assert_eq!(sent_codes(), ["(+44)7700900123"]);

    assert_eq!(
        app.solve(&client, "123456").await.linked_name(),
        Some("user_phone")
    );
}

#[tokio::test]
async fn a_form_posted_without_javascript_returns_to_the_flow_page_which_shows_the_step() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let response = client
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[
            ("provider", "linkedin"),
            ("username", "user_2fa_whatsapp"),
            ("password", "pass_good"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 302);
    assert_eq!(response.headers()["location"], "/connect/linkedin");

    let page = client
        .get(format!("{}/connect/linkedin", app.base))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Enter your verification code"), "{page}");
    assert!(page.contains("WhatsApp"));
    assert!(page.contains(r#"<meta name="application-name" content="credentials-flow""#));
}

#[tokio::test]
async fn unknown_providers_and_pages_are_refused() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let status = app
        .call(
            &client,
            "start_auth_intent",
            &[
                ("provider", "myspace"),
                ("username", "a"),
                ("password", "b"),
            ],
        )
        .await
        .status;
    assert!(
        (400..500).contains(&status) || status == 500,
        "status {status}"
    );
    let page = client
        .get(format!("{}/connect/myspace", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status().as_u16(), 404);
    let health = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(health.status().as_u16(), 200);
}

fn quick_settings() -> Settings {
    let mut settings = Settings::default();
    settings.sandbox.in_app_delay_ms = 1_500;
    settings.sandbox.loading_delay_ms = 300;
    settings.flow.wait_secs = 1u64.try_into().expect("not 0");
    settings
}

#[tokio::test]
async fn in_app_validation_waits_in_bounded_polls_until_approved() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    let step = app.start(&client, "user_in_app", "pass_good").await;
    assert_eq!(step.kind(), &CheckpointKind::InApp, "{step:?}");
    assert!(step.checkpoint().can_switch);

    // The first wait answers "still waiting" after the 1 s bound (approval comes after 1.5 s).
    let started = std::time::Instant::now();
    let first = app.act(&client, "wait_checkpoint", &[]).await;
    assert_eq!(first.kind(), &CheckpointKind::InApp, "{first:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the wait is bounded"
    );

    let step = app
        .poll_wait(&client, 5, |s| matches!(s, FlowStep::Connected(_)))
        .await;
    assert_eq!(step.linked_name(), Some("user_in_app"), "{step:?}");
}

#[tokio::test]
async fn an_attempt_that_is_never_approved_expires_and_keeps_the_username() {
    let mut settings = quick_settings();
    settings.flow.checkpoint_lifetime_secs = 2u64.try_into().expect("not 0");
    let app = spawn_app(settings).await;
    let client = browser();
    assert_eq!(
        app.start(&client, "user_in_app_timeout", "pass_good")
            .await
            .kind(),
        &CheckpointKind::InApp
    );
    app.built
        .state
        .clock
        .advance(std::time::Duration::from_secs(2));
    let step = app
        .poll_wait(&client, 1, |s| matches!(s, FlowStep::Form(_)))
        .await;
    assert_eq!(step.form_notice(), Some(ErrorCode::Expired), "{step:?}");
    assert_eq!(step.form().form.get("username"), "user_in_app_timeout");
}

#[tokio::test]
async fn cancel_drops_the_intent_and_returns_to_the_form() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    app.start(&client, "user_in_app_timeout", "pass_good").await;
    let step = app
        .step(&client, "restart_flow", &[("provider", "linkedin")])
        .await;
    assert_eq!(
        step.form().form.get("username"),
        "user_in_app_timeout",
        "{step:?}"
    );
    assert!(step.form().notice.is_none());
    let after = app.load(&client).await.step();
    assert!(matches!(after, FlowStep::Form(_)), "{after:?}");
}

#[tokio::test]
async fn otp_or_in_app_accepts_a_code_or_the_approval() {
    let app = spawn_app(quick_settings()).await;
    let by_code = browser();
    let step = app.start(&by_code, "user_otp_or_in_app", "pass_good").await;
    assert_eq!(
        step.kind(),
        &CheckpointKind::CodeOrInApp {
            source: CodeSource::Sms
        },
        "{step:?}"
    );
    assert_eq!(
        app.solve(&by_code, "123456").await.linked_name(),
        Some("user_otp_or_in_app")
    );

    let by_app = browser();
    app.start(&by_app, "user_otp_or_in_app", "pass_good").await;
    let step = app
        .poll_wait(&by_app, 5, |s| matches!(s, FlowStep::Connected(_)))
        .await;
    assert_eq!(step.linked_name(), Some("user_otp_or_in_app"), "{step:?}");
}

#[tokio::test]
async fn challenge_selection_requests_the_chosen_method_then_asks_for_its_code() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    let step = app.start(&client, "user_challenge", "pass_good").await;
    let CheckpointKind::ChallengeSelection { options } = step.kind() else {
        panic!("expected a choice of method, got {step:?}");
    };
    assert_eq!(options.len(), 3, "{step:?}");
    assert_eq!(options[1].id, "SMS");
    assert!(
        options[1]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains('•')),
        "masked destination shown"
    );

    let refused = app
        .act(
            &client,
            "choose_challenge",
            &[("challenge", "CARRIER_PIGEON")],
        )
        .await;
    assert_eq!(
        refused.checkpoint_notice(),
        Some(ErrorCode::InvalidInput),
        "{refused:?}"
    );

    let otp = app
        .act(&client, "choose_challenge", &[("challenge", "WHATSAPP")])
        .await;
    assert_eq!(code_source(&otp), CodeSource::WhatsApp, "{otp:?}");
    assert_eq!(
        app.solve(&client, "123456").await.linked_name(),
        Some("user_challenge")
    );
}

#[tokio::test]
async fn try_another_way_offers_the_methods() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    app.start(&client, "user_2fa_sms", "pass_good").await;
    let step = app.act(&client, "try_another_way", &[]).await;
    assert!(
        matches!(step.kind(), CheckpointKind::ChallengeSelection { .. }),
        "{step:?}"
    );
    let otp = app
        .act(&client, "choose_challenge", &[("challenge", "EMAIL")])
        .await;
    assert_eq!(code_source(&otp), CodeSource::Email, "{otp:?}");
}

#[tokio::test]
async fn contract_selection_solves_with_the_chosen_contract() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    let step = app.start(&client, "user_contract", "pass_good").await;
    let CheckpointKind::ContractSelection { options } = step.kind() else {
        panic!("expected a choice of contract, got {step:?}");
    };
    let id = options[1].id.clone();
    let refused = app
        .act(&client, "choose_contract", &[("contract", "ctr_unknown")])
        .await;
    assert_eq!(
        refused.checkpoint_notice(),
        Some(ErrorCode::InvalidInput),
        "{refused:?}"
    );
    let done = app
        .act(&client, "choose_contract", &[("contract", &id)])
        .await;
    assert_eq!(done.linked_name(), Some("user_contract"), "{done:?}");
    let sandbox = app.built.sandbox.as_ref().expect("sandbox");
    assert!(sandbox
        .requests()
        .iter()
        .any(|r| r.body["code"] == id.as_str()));
}

#[tokio::test]
async fn a_consent_needs_a_product_and_sends_the_ones_ticked_in_the_order_shown() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    let step = app.start(&client, "user_consent", "pass_good").await;
    let CheckpointKind::Consent { options } = step.kind() else {
        panic!("expected a consent, got {step:?}");
    };
    let shown: Vec<(&str, &str)> = options
        .iter()
        .map(|o| (o.id.as_str(), o.label.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("classic", "LinkedIn"),
            ("sales_navigator", "Sales Navigator")
        ],
        "{step:?}"
    );
    assert!(!step.checkpoint().can_switch);

    // Nothing ticked: the form posts no product at all.
    let none = app.act(&client, "choose_products", &[]).await;
    assert_eq!(
        none.checkpoint_notice(),
        Some(ErrorCode::NoProductChosen),
        "{none:?}"
    );
    assert!(
        matches!(none.kind(), CheckpointKind::Consent { .. }),
        "{none:?}"
    );
    let forged = app
        .act(&client, "choose_products", &[("product[]", "recruiter")])
        .await;
    assert_eq!(
        forged.checkpoint_notice(),
        Some(ErrorCode::InvalidInput),
        "{forged:?}"
    );
    let sandbox = app.built.sandbox.as_ref().expect("sandbox");
    let solves = || {
        sandbox
            .requests()
            .into_iter()
            .filter(|r| r.path == "/v2/auth/checkpoint")
            .map(|r| r.body["code"].clone())
            .collect::<Vec<_>>()
    };
    assert!(solves().is_empty(), "nothing sent before a valid choice");

    // Ticked in another order than shown, with the brackets encoded as a browser sends them.
    let done = app
        .act(
            &client,
            "choose_products",
            &[("product[]", "sales_navigator"), ("product[]", "classic")],
        )
        .await;
    assert_eq!(done.linked_name(), Some("user_consent"), "{done:?}");
    assert_eq!(solves(), ["classic,sales_navigator"]);

    let one = browser();
    app.start(&one, "user_consent", "pass_good").await;
    let done = app
        .act(&one, "choose_products", &[("product[]", "sales_navigator")])
        .await;
    assert_eq!(done.linked_name(), Some("user_consent"), "{done:?}");
    assert_eq!(solves(), ["classic,sales_navigator", "sales_navigator"]);
}

#[tokio::test]
async fn a_pairing_code_is_shown_and_then_waited_on_like_an_approval_in_the_app() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    let step = app.start(&client, "user_pairing", "pass_good").await;
    let CheckpointKind::PairingCode { code } = step.kind() else {
        panic!("expected a pairing code, got {step:?}");
    };
    let code = code.expose().to_owned();
    assert!(
        code.len() == 9 && code.as_bytes()[4] == b'-',
        "as the sandbox groups it: {code}"
    );
    assert!(!step.checkpoint().can_switch);
    assert!(step.checkpoint().resend_at_ms.is_none());

    // Without JavaScript: the code on the page, which reloads itself into the wait.
    let page = client
        .get(format!("{}/connect/linkedin", app.base))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Enter the pairing code in the app") && page.contains(&code),
        "{page}"
    );
    let reload = format!(
        "/connect/linkedin?flow={}&amp;wait=1",
        step.checkpoint().flow_id
    );
    assert!(
        page.contains("http-equiv=\"refresh\"") && page.contains(&reload),
        "the page reloads itself: {page}"
    );

    // The same bounded waits as an approval: still waiting after the first (1 s < 1.5 s), then linked.
    let first = app.act(&client, "wait_checkpoint", &[]).await;
    assert!(
        matches!(first.kind(), CheckpointKind::PairingCode { code: shown } if shown.expose() == code),
        "{first:?}"
    );
    let step = app
        .poll_wait(&client, 5, |s| matches!(s, FlowStep::Connected(_)))
        .await;
    assert_eq!(step.linked_name(), Some("user_pairing"), "{step:?}");
    let sandbox = app.built.sandbox.as_ref().expect("sandbox");
    let solves: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v2/auth/checkpoint")
        .map(|r| r.body["code"].clone())
        .collect();
    // One upstream call answers every wait of the browser: held until Unipile says it is done.
    assert_eq!(solves, vec![serde_json::json!("")], "{solves:?}");
}

#[tokio::test]
async fn loading_turns_into_the_next_checkpoint_by_waiting() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    assert_eq!(
        app.start(&client, "user_loading", "pass_good").await.kind(),
        &CheckpointKind::Loading
    );
    let step = app
        .poll_wait(
            &client,
            5,
            |s| !matches!(s, FlowStep::Checkpoint(view) if view.kind == CheckpointKind::Loading),
        )
        .await;
    assert_eq!(code_source(&step), CodeSource::Sms, "{step:?}");
}

#[tokio::test]
async fn resend_has_a_cooldown_and_says_whether_it_worked() {
    let mut settings = quick_settings();
    settings.flow.resend_cooldown_secs = 1;
    let app = spawn_app(settings).await;
    let client = browser();
    let step = app.start(&client, "user_2fa_sms", "pass_good").await;
    assert!(step.checkpoint().resend_at_ms.is_some(), "{step:?}");
    let early = app.act(&client, "resend_code", &[]).await;
    assert_eq!(
        early.checkpoint_notice(),
        Some(ErrorCode::ResendTooSoon),
        "{early:?}"
    );
    app.built
        .state
        .clock
        .advance(std::time::Duration::from_secs(1));
    let sent = app.act(&client, "resend_code", &[]).await;
    assert_eq!(
        sent.checkpoint().confirmation,
        Some(Confirmation::CodeResent),
        "{sent:?}"
    );
    assert!(sent.checkpoint().notice.is_none());
    let sandbox = app.built.sandbox.as_ref().expect("sandbox");
    assert_eq!(
        sandbox
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/resend"))
            .count(),
        1,
        "nothing resent unasked"
    );

    // An authenticator app has nothing to resend.
    let app_client = browser();
    let step = app.start(&app_client, "user_2fa_app", "pass_good").await;
    assert!(step.checkpoint().resend_at_ms.is_none(), "{step:?}");
}

#[tokio::test]
async fn a_form_left_open_in_another_tab_cannot_act_on_a_newer_attempt() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    app.start(&client, "user_2fa_sms", "pass_good").await;
    let old_flow = app.flow_id(&client).await;
    // The same browser starts again (another tab).
    app.start(&client, "user_2fa_app", "pass_good").await;
    let stale = app
        .step(
            &client,
            "solve_checkpoint",
            &[
                ("provider", "linkedin"),
                ("flow", &old_flow),
                ("code", "123456"),
            ],
        )
        .await;
    assert_eq!(
        stale.checkpoint_notice(),
        Some(ErrorCode::ReplacedByNewerAttempt),
        "{stale:?}"
    );
    assert_eq!(code_source(&stale), CodeSource::AuthenticatorApp);
    // The newer attempt is intact.
    assert_eq!(
        app.solve(&client, "123456").await.linked_name(),
        Some("user_2fa_app")
    );
}

#[tokio::test]
async fn an_unknown_checkpoint_type_gets_a_clear_screen_not_a_failure() {
    use credentials_flow::server::flow::checkpoint_kind;
    let kind = checkpoint_kind(&unipile::Checkpoint::Unknown {
        kind: "RETINA_SCAN".into(),
    });
    assert_eq!(
        kind,
        CheckpointKind::Unsupported {
            type_name: "RETINA_SCAN".into()
        }
    );
    assert_eq!(
        kind.title(credentials_flow::i18n::Locale::en),
        "This sign-in needs a step we don't support yet"
    );
}

#[tokio::test]
async fn the_no_javascript_waiting_page_completes_by_reloading_with_wait() {
    let app = spawn_app(quick_settings()).await;
    let client = browser();
    app.start(&client, "user_in_app", "pass_good").await;
    let first = client
        .get(format!("{}/connect/linkedin", app.base))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(first.contains("Approve the sign-in in the app"), "{first}");
    // It reloads itself at an address that names the attempt, so the step it ends on survives a reload.
    let flow = app.flow_id(&client).await;
    let reload = format!("/connect/linkedin?flow={flow}&wait=1");
    assert!(
        first.contains("http-equiv=\"refresh\"") && first.contains(&reload.replace('&', "&amp;")),
        "the page reloads itself: {first}"
    );
    let mut page = String::new();
    for _ in 0..5 {
        page = client
            .get(format!("{}{reload}", app.base))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("html");
        if page.contains("is connected") {
            break;
        }
    }
    assert!(
        page.contains("Your LinkedIn account user_in_app is connected"),
        "{page}"
    );
    let again = client
        .get(format!("{}{reload}", app.base))
        .send()
        .await
        .expect("get");
    assert!(again.headers().get("set-cookie").is_none());
    let again = again.text().await.expect("html");
    assert!(
        again.contains("Your LinkedIn account user_in_app is connected"),
        "a reload draws it again: {again}"
    );
}

#[tokio::test]
async fn a_captcha_step_passes_the_blob_unchanged_and_its_token_links_the_account() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let site: SiteInfo = app.call(&client, "get_site_info", &[]).await.ok();
    let sandbox_base = app.built.sandbox.as_ref().expect("sandbox mode").base_url();
    assert_eq!(
        site.arkose_base_url,
        format!("{sandbox_base}/arkose"),
        "{site:?}"
    );
    assert_eq!(
        app.built.state.settings.arkose.base_url,
        format!("{sandbox_base}/arkose")
    );

    let step = app.start(&client, "user_captcha", "pass_good").await;
    let CheckpointKind::Captcha { public_key, data } = step.kind() else {
        panic!("expected a CAPTCHA, got {step:?}");
    };
    assert_eq!(public_key, "sandbox-public-key", "{step:?}");
    assert!(
        data.contains('"') && data.contains('\'') && data.contains("</script>"),
        "{data}"
    );

    let script = reqwest::get(format!(
        "{sandbox_base}/arkose/v2/sandbox-public-key/api.js"
    ))
    .await
    .expect("script");
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/javascript"));

    let wrong = app.solve(&client, "sandbox-token:acc_someone_else").await;
    assert_eq!(
        wrong.checkpoint_notice(),
        Some(ErrorCode::InvalidCode),
        "{wrong:?}"
    );
    // The same CAPTCHA again, blob unchanged.
    assert_eq!(wrong.kind(), step.kind());

    let token = data
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split('|').next())
        .expect("token in the blob");
    let done = app.solve(&client, token).await;
    assert_eq!(done.linked_name(), Some("user_captcha"), "{done:?}");
}

#[tokio::test]
async fn a_captcha_with_a_long_blob_is_kept_over_several_cookies_and_links() {
    let app = spawn_app(Settings::default()).await;

    // What the browser receives: the flow in parts, each small enough for a browser to keep.
    let raw = reqwest::Client::new()
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "application/json")
        .form(&[
            ("provider", "linkedin"),
            ("username", "user_captcha_large"),
            ("password", "pass_good"),
        ])
        .send()
        .await
        .expect("start");
    let parts: Vec<String> = raw
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .filter(|c| c.starts_with("cf_flow_linkedin"))
        .collect();
    assert!(parts.len() >= 2, "{parts:?}");
    for part in &parts {
        assert!(part.len() < 4_096, "{} bytes", part.len());
    }

    // A browser keeping them goes through the whole step, reloads included.
    let client = browser();
    let step = app.start(&client, "user_captcha_large", "pass_good").await;
    let CheckpointKind::Captcha { data, .. } = step.kind() else {
        panic!("expected a CAPTCHA, got {step:?}");
    };
    assert!(data.len() > 5_000, "{} characters", data.len());
    let reloaded = app.load(&client).await.step();
    assert_eq!(reloaded.kind(), step.kind());
    let token = data
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split('|').next())
        .expect("token in the blob");
    let done = app.solve(&client, token).await;
    assert_eq!(done.linked_name(), Some("user_captcha_large"), "{done:?}");
}

#[tokio::test]
async fn typing_handed_over_before_a_language_switch_is_drawn_again_without_its_secrets() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let page = |path: &str| {
        let request = client.get(format!("{}{path}", app.base)).send();
        async move { request.await.expect("get").text().await.expect("html") }
    };
    // Posted by the browser on its way to the link's page (a page load): sent there, to the address that
    // names the kept values. The page's script leaves secrets out; a browser that sends one anyway does
    // not get it stored.
    let hand_over = |to: &'static str| {
        let request = client
            .post(format!("{}/api/keep_typed", app.base))
            .header("accept", "text/html")
            .form(&[
                ("provider", "linkedin"),
                ("to", to),
                ("username", "someone@example.com"),
                ("password", "typed-secret-81"),
                ("proxy_host", "proxy.example.com"),
            ])
            .send();
        async move {
            let answer = request.await.expect("post");
            assert_eq!(answer.status().as_u16(), 302, "{answer:?}");
            answer.headers()["location"]
                .to_str()
                .expect("ascii")
                .to_owned()
        }
    };
    let next = hand_over("/connect/linkedin?lang=fr&flow=stale").await;
    let (to, named) = next.split_once("&flow=").expect("named");
    assert_eq!(to, "/connect/linkedin?lang=fr");
    assert!(!named.is_empty() && named != "stale", "{next}");
    let html = page(&next).await;
    assert!(html.contains("Associer votre compte LinkedIn"), "{html}");
    assert!(html.contains(r#"value="someone@example.com""#), "{html}");
    assert!(html.contains(r#"value="proxy.example.com""#), "{html}");
    assert!(!html.contains("typed-secret-81"), "{html}");
    // Never to another site or another provider's page: the form's own page instead.
    for elsewhere in [
        "https://elsewhere.example/connect/linkedin",
        "//elsewhere.example/",
        "/connect/x?lang=fr",
        "/connect/linkedinx",
    ] {
        let next = hand_over(elsewhere).await;
        assert!(
            next.starts_with("/connect/linkedin?flow="),
            "{elsewhere} → {next}"
        );
    }
    let step = app.load(&client).await.step();
    assert!(step.form().notice.is_none(), "{step:?}");
    assert!(!step.form().form.values.contains_key("password"));

    // After a refusal the field to correct stays marked while it holds the refused value.
    let refused = app
        .step(
            &client,
            "start_auth_intent",
            &[
                ("provider", "linkedin"),
                ("username", "user_good"),
                ("password", "pass_good"),
                ("proxy_host", "proxy.example.com"),
                ("proxy_port", "99999"),
            ],
        )
        .await;
    assert_eq!(
        refused.form_notice(),
        Some(ErrorCode::InvalidInput),
        "{refused:?}"
    );
    let (app, client) = (&app, &client);
    let keep = |port: &'static str| async move {
        let form = [
            ("provider", "linkedin"),
            ("username", "user_good"),
            ("proxy_host", "proxy.example.com"),
            ("proxy_port", port),
        ];
        app.call(client, "keep_typed", &form).await
    };
    assert_eq!(keep("99999").await.status, 200);
    let step = app.load(client).await.step();
    assert_eq!(
        step.form_notice(),
        Some(ErrorCode::InvalidInput),
        "{step:?}"
    );
    assert_eq!(
        step.form().errors.first().map(|e| e.field.as_str()),
        Some("proxy_port"),
        "{step:?}"
    );
    // Corrected before the switch: nothing is left to point at.
    assert_eq!(keep("8080").await.status, 200);
    let step = app.load(client).await.step();
    assert!(step.form().notice.is_none(), "{step:?}");
    assert!(step.form().errors.is_empty(), "{step:?}");
    assert_eq!(step.form().form.get("proxy_port"), "8080");

    // A flow past its form is left as it is.
    let checkpoint = app.start(client, "user_2fa_sms", "pass_good").await;
    let flow = checkpoint.checkpoint().flow_id.clone();
    let kept = app
        .call(
            client,
            "keep_typed",
            &[("provider", "linkedin"), ("username", "someone-else")],
        )
        .await;
    assert_eq!(kept.status, 200);
    assert!(kept.cookies().is_empty(), "{:?}", kept.cookies());
    assert_eq!(app.load(client).await.step().checkpoint().flow_id, flow);

    // What the start would refuse is refused here too.
    let refused = app
        .call(
            client,
            "keep_typed",
            &[
                ("provider", "linkedin"),
                ("success_url", "https://elsewhere.example/done"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
}

#[tokio::test]
async fn metrics_count_the_flows_for_a_bearer_of_the_token_and_nothing_typed() {
    let token = "metrics-token-0123456789abcdef";
    let secrets = Secrets {
        metrics_token: Some(token.to_owned().into()),
        ..Secrets::default()
    };
    let mut settings = quick_settings();
    settings.limits.start_per_username_per_minute = 2u32.try_into().expect("not 0");
    settings.flow.max_code_attempts = 2;
    let app = spawn_with(settings, secrets).await;
    let scrape = |authorization: Option<String>| {
        let mut request = browser().get(format!("{}/metrics", app.base));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        async move {
            let response = request.send().await.expect("get");
            let status = response.status().as_u16();
            let challenge = response.headers().get("www-authenticate").cloned();
            (status, challenge, response.text().await.expect("body"))
        }
    };
    let metrics = || async { scrape(Some(format!("Bearer {token}"))).await.2 };
    let has = |text: &str, line: &str| text.lines().any(|l| l == line);

    let client = browser();
    app.start(&client, "user_good", "pass_good").await;
    app.start(&client, "user_good", "wrong_pw_31").await;
    let status = app
        .call(
            &client,
            "start_auth_intent",
            &[
                ("provider", "linkedin"),
                ("username", "user_good"),
                ("password", "pass_good"),
            ],
        )
        .await
        .status;
    assert_eq!(status, 429, "the third sign-in of one username in a minute");
    app.start(&client, "user_2fa_sms", "pass_good").await;
    app.solve(&client, "000000").await;
    app.solve(&client, "123456").await;
    app.start(&client, "user_2fa_app", "pass_good").await;
    app.solve(&client, "000000").await;
    let stopped = app.solve(&client, "000000").await;
    assert_eq!(
        stopped.form_notice(),
        Some(ErrorCode::TooManyWrongCodes),
        "{stopped:?}"
    );
    // A browser waiting on an in-app approval shows in the gauge while its wait is held.
    let waiter = browser();
    app.start(&waiter, "user_in_app", "pass_good").await;
    let (_, seen_waiting) = tokio::join!(app.act(&waiter, "wait_checkpoint", &[]), async {
        for _ in 0..40 {
            let text = metrics().await;
            if has(&text, "credentials_flow_waits_in_progress 1") {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        false
    });
    assert!(seen_waiting, "the wait in progress was never counted");
    app.poll_wait(&waiter, 5, |s| matches!(s, FlowStep::Connected(_)))
        .await;

    let text = metrics().await;
    for line in [
        "credentials_flow_sign_ins_started_total{provider=\"linkedin\"} 5",
        "credentials_flow_sign_ins_started_total{provider=\"imap\"} 0",
        "credentials_flow_accounts_linked_total{provider=\"linkedin\"} 3",
        "credentials_flow_checkpoints_total{provider=\"linkedin\",type=\"2FA\"} 2",
        "credentials_flow_checkpoints_total{provider=\"linkedin\",type=\"IN_APP_VALIDATION\"} 1",
        "credentials_flow_refusals_total{provider=\"linkedin\",code=\"invalid_credentials\"} 1",
        "credentials_flow_refusals_total{provider=\"linkedin\",code=\"invalid_code\"} 3",
        "credentials_flow_refusals_total{provider=\"linkedin\",code=\"rate_limited\"} 1",
        "credentials_flow_refusals_total{provider=\"linkedin\",code=\"too_many_wrong_codes\"} 1",
        "credentials_flow_waits_in_progress 0",
        // Every call sent to Unipile is timed; the 429 sent none, the wait is not among them.
        "credentials_flow_upstream_call_seconds_count{operation=\"start_auth_intent\"} 5",
        "credentials_flow_upstream_call_seconds_bucket{operation=\"start_auth_intent\",le=\"+Inf\"} 5",
        "credentials_flow_upstream_call_seconds_count{operation=\"solve_checkpoint\"} 4",
    ] {
        assert!(has(&text, line), "{line} not in\n{text}");
    }
    for typed in ["user_", "pass_good", "wrong_pw_31", "123456", "acc_"] {
        assert!(!text.contains(typed), "{typed} in the metrics");
    }

    // Anyone else is refused, and told how to get in.
    for refused in [
        None,
        Some(format!("Bearer {token}x")),
        Some(format!("Basic {token}")),
        Some(token.to_owned()),
    ] {
        let (status, challenge, body) = scrape(refused.clone()).await;
        assert_eq!(status, 401, "{refused:?}");
        assert_eq!(
            challenge.as_ref().map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
        assert!(
            body.contains("METRICS_TOKEN") && !body.contains(token),
            "{body}"
        );
    }
    // Without a token set, there is no metrics page.
    let plain = spawn_app(Settings::default()).await;
    let response = browser()
        .get(format!("{}/metrics", plain.base))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status().as_u16(), 404);
}
