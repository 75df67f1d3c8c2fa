use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// "Resend code", at most once per cooldown.
#[server(endpoint = "resend_code")]
pub async fn resend_code(provider: String, flow: String) -> Result<FlowStep, AppError> {
    use crate::server::flow as service;
    super::on_checkpoint(&provider, &flow, |app, provider, current| async move {
        service::resend(&app, provider, current).await
    })
    .await
}
