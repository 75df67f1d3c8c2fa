//! What users are told when Unipile (or something in front of it) answers oddly: error bodies of any
//! shape keep their meaning, and redirects or oversized answers are failures upstream, not refusals.
#![cfg(feature = "ssr")]

mod common;

use common::{
    browser,
    client::{Answer, StepParts},
    spawn_app,
};
use credentials_flow::{error::ErrorCode, model::FlowStep, server::settings::Settings};

async fn sign_in(base: &str, username: &str) -> FlowStep {
    let response = browser()
        .post(format!("{base}/api/start_auth_intent"))
        .header("accept", "application/json")
        .form(&[
            ("provider", "linkedin"),
            ("username", username),
            ("password", "pass_good"),
        ])
        .send()
        .await
        .expect("request");
    let answer = Answer::from(response).await;
    assert_eq!(answer.status, 200, "{username}: {}", answer.body);
    answer.step()
}

#[tokio::test]
async fn every_shape_of_a_wrong_password_body_says_wrong_password() {
    let app = spawn_app(Settings::default()).await;
    for shape in [
        "no_title",
        "nulls",
        "detail_object",
        "detail_array",
        "no_object",
    ] {
        let username = format!("error_shape_{shape}");
        let step = sign_in(&app.base, &username).await;
        assert_eq!(
            step.form_notice(),
            Some(ErrorCode::InvalidCredentials),
            "{shape}: {step:?}"
        );
        assert_eq!(step.form().form.get("username"), username);
    }
}

#[tokio::test]
async fn answers_without_a_type_go_by_their_status_and_odd_transport_is_a_failure_upstream() {
    let app = spawn_app(Settings::default()).await;
    let step = sign_in(&app.base, "error_shape_no_type").await;
    assert_eq!(step.form_notice(), Some(ErrorCode::RateLimited), "{step:?}");
    for username in ["error_redirect", "error_huge"] {
        let step = sign_in(&app.base, username).await;
        assert_eq!(
            step.form_notice(),
            Some(ErrorCode::ServiceUnavailable),
            "{username}: {step:?}"
        );
        assert!(
            step.form()
                .notice
                .as_ref()
                .is_some_and(|n| n.support_ref.is_some()),
            "{username}: {step:?}"
        );
    }
}
