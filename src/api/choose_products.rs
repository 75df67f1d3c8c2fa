use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// The products ticked on a consent screen (offered ids; the form's checkboxes are `product[]`, absent
/// when none is ticked).
#[server(endpoint = "choose_products")]
pub async fn choose_products(
    provider: String,
    flow: String,
    product: Option<Vec<String>>,
) -> Result<FlowStep, AppError> {
    use crate::server::flow as service;
    let chosen = product.unwrap_or_default();
    super::on_checkpoint(&provider, &flow, |app, provider, current| async move {
        service::choose_products(&app, provider, current, &chosen).await
    })
    .await
}
