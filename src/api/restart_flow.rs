use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Abandons the attempt in progress ("Start over", "Cancel") and returns to the form, the username kept.
#[server(endpoint = "restart_flow")]
pub async fn restart_flow(provider: String) -> Result<FlowStep, AppError> {
    use crate::server::{flow, request::RequestCx};
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    cx.return_to(&super::flow_page(provider));
    let username = cx.flow(provider.id).map(|f| f.username).unwrap_or_default();
    let next = flow::back_to_form(provider, username, None);
    cx.save(&next);
    Ok(next.step)
}
