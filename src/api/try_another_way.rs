use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// "Try another way": asks the provider for another verification method.
#[server(endpoint = "try_another_way")]
pub async fn try_another_way(provider: String, flow: String) -> Result<FlowStep, AppError> {
    use crate::server::flow as service;
    super::on_checkpoint(&provider, &flow, |app, provider, current| async move {
        service::request_other(&app, provider, current, None).await
    })
    .await
}
