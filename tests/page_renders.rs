//! Drawing a page changes nothing. A plain form post (no JavaScript) is sent back to an address that names
//! the step it ended on, so a reload draws that step again; a visit to any other address starts afresh; no
//! page sets the flow cookie. Only an action (sign in, "Start over", "Connect another account") moves a flow.
#![cfg(feature = "ssr")]

mod common;

use common::{browser, client::StepParts, spawn_app, TestApp};
use credentials_flow::{model::FlowStep, server::settings::Settings};

const CONNECTED: &str = "Your LinkedIn account user_good is connected";
const FORM: &str = "Connect your LinkedIn account";
const REFUSED: &str = "the email, username or password is not correct";
const CODE_STEP: &str = "name=\"code\"";
/// Text no LinkedIn page of these tests shows.
const FORM_OF_ANOTHER: &str = "Connect your Instagram account";

/// Signs in on LinkedIn as a browser without JavaScript does; the address it is sent back to.
async fn post_sign_in(client: &reqwest::Client, app: &TestApp, form: &[(&str, &str)]) -> String {
    let mut fields = vec![("provider", "linkedin")];
    fields.extend_from_slice(form);
    let answer = app.post_plain(client, "start_auth_intent", &fields).await;
    assert_eq!(answer.status, 302, "{}", answer.text());
    answer.header("location").to_owned()
}

/// The page at `path`, checked to set no cookie and to hold `shown` but not `absent`.
async fn shows(client: &reqwest::Client, app: &TestApp, path: &str, shown: &str, absent: &str) {
    let page = app.open_page(client, path).await;
    assert_eq!(page.status, 200, "{path}");
    assert!(page.cookies().is_empty(), "{path} set {:?}", page.cookies());
    assert!(
        page.body.contains(shown) && !page.body.contains(absent),
        "{path} should show {shown:?}, not {absent:?}: {}",
        page.body
    );
}

#[tokio::test]
async fn a_linked_account_is_drawn_at_its_address_on_every_reload_and_elsewhere_a_visit_starts_afresh(
) {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let back = post_sign_in(
        &client,
        &app,
        &[("username", "user_good"), ("password", "pass_good")],
    )
    .await;
    assert!(
        back.starts_with("/connect/linkedin?flow="),
        "sent back to the address naming the step: {back}"
    );
    for _ in 0..2 {
        shows(&client, &app, &back, CONNECTED, FORM).await;
    }
    // Another visit (a host opening the page for a second account) gets the form, and changed nothing.
    shows(&client, &app, "/connect/linkedin", FORM, CONNECTED).await;
    shows(&client, &app, &back, CONNECTED, FORM).await;
    // A while later the same address draws an empty form: a shared computer does not keep showing it.
    let lifetime = Settings::default().checkpoint_lifetime();
    app.built
        .state
        .clock
        .advance(lifetime + std::time::Duration::from_secs(1));
    shows(&client, &app, &back, FORM, CONNECTED).await;
}

#[tokio::test]
async fn a_refusal_is_drawn_again_at_its_address_with_what_was_typed() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let back = post_sign_in(
        &client,
        &app,
        &[("username", "user_kept"), ("password", "pass_wrong")],
    )
    .await;
    assert!(back.contains("flow="), "{back}");
    for _ in 0..2 {
        shows(&client, &app, &back, REFUSED, FORM_OF_ANOTHER).await;
        let page = app.open_page(&client, &back).await;
        assert!(page.body.contains("value=\"user_kept\""), "{}", page.body);
    }
    shows(&client, &app, "/connect/linkedin", FORM, REFUSED).await;
    let fresh = app.open_page(&client, "/connect/linkedin").await;
    assert!(!fresh.body.contains("user_kept"), "{}", fresh.body);
}

#[tokio::test]
async fn a_sign_in_in_progress_is_drawn_wherever_its_page_is_opened() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let back = post_sign_in(
        &client,
        &app,
        &[("username", "user_2fa_sms"), ("password", "pass_good")],
    )
    .await;
    assert!(
        !back.contains("flow="),
        "a checkpoint needs no name: {back}"
    );
    for path in [
        back.as_str(),
        "/connect/linkedin",
        "/connect/linkedin?state=other",
    ] {
        shows(&client, &app, path, CODE_STEP, FORM).await;
    }
}

#[tokio::test]
async fn connect_another_account_starts_an_empty_form_keeping_the_host_parameters() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    let linked = app
        .sign_in(&client, "user_good", &[("state", "host-user-7")])
        .await
        .step();
    assert_eq!(linked.connected().state.as_deref(), Some("host-user-7"));
    let again = app
        .call(&client, "restart_flow", &[("provider", "linkedin")])
        .await
        .step();
    let FlowStep::Form(form) = &again else {
        panic!("expected the form, got {again:?}");
    };
    assert!(form.notice.is_none(), "{again:?}");
    assert!(
        form.form.values.is_empty(),
        "nothing typed is kept: {again:?}"
    );
    assert_eq!(form.form.state.as_deref(), Some("host-user-7"));
    assert_eq!(app.load(&client).await.step(), again);
}
