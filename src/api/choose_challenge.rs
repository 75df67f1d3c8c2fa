use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// The verification method chosen on a challenge-selection screen (one of the offered ids).
#[server(endpoint = "choose_challenge")]
pub async fn choose_challenge(
    provider: String,
    flow: String,
    challenge: Option<String>,
) -> Result<FlowStep, AppError> {
    use crate::server::flow as service;
    let challenge = challenge.unwrap_or_default();
    super::on_checkpoint(&provider, &flow, |app, provider, current| async move {
        service::request_other(&app, provider, current, Some(challenge.as_str())).await
    })
    .await
}
