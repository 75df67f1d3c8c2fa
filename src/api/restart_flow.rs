use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Abandons the attempt in progress ("Start over", "Cancel") and returns to the form, what was typed kept
/// (never a secret).
#[server(endpoint = "restart_flow")]
pub async fn restart_flow(provider: String) -> Result<FlowStep, AppError> {
    use crate::server::{flow, request::RequestCx};
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    let current = cx.flow(provider.id);
    cx.return_to(&super::flow_page_of(provider, current.as_ref()));
    // The abandoned attempt is finished on its record: a copy of its cookie can no longer act on it.
    if let Some(flow) = current.as_ref().filter(|f| f.generation > 0) {
        if let Err(e) = cx.app.store.finish(&flow.flow_id).await {
            tracing::warn!(provider = provider.id, cause = %e, "abandoned flow not finished on its record");
        }
    }
    let form = current.map(|f| f.form).unwrap_or_default();
    let next = flow::back_to_form(provider, form, None);
    cx.save(&next);
    Ok(next.step)
}
