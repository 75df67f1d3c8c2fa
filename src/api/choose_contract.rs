use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// The contract chosen on a contract-selection screen (one of the offered ids).
#[server(endpoint = "choose_contract")]
pub async fn choose_contract(
    provider: String,
    flow: String,
    contract: Option<String>,
) -> Result<FlowStep, AppError> {
    use crate::server::flow as service;
    let contract = contract.unwrap_or_default();
    super::on_checkpoint(&provider, &flow, |app, provider, current| async move {
        service::choose_contract(&app, provider, current, &contract).await
    })
    .await
}
