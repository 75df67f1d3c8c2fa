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
    let form = current.map(|f| f.form).unwrap_or_default();
    let next = flow::back_to_form(provider, form, None);
    cx.save(&next);
    Ok(next.step)
}
