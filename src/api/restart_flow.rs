use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Abandons the attempt in progress ("Start over", "Cancel") and returns to the form, what was typed kept
/// (never a secret). After a linked account ("Connect another account") the form starts empty, with only
/// the host's own parameters (`state` and where to return) kept.
#[server(endpoint = "restart_flow")]
pub async fn restart_flow(provider: String) -> Result<FlowStep, AppError> {
    use crate::{
        model::FormValues,
        server::{flow, request::RequestCx},
    };
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    let current = cx.flow(provider.id);
    // The abandoned attempt is finished on its record: a copy of its cookie can no longer act on it.
    if let Some(flow) = current.as_ref().filter(|f| f.generation > 0) {
        if let Err(e) = cx.app.store.finish(&flow.flow_id).await {
            tracing::warn!(provider = provider.id, cause = %e, "abandoned flow not finished on its record");
        }
    }
    let form = match current {
        Some(done) if matches!(done.step, FlowStep::Connected(_)) => FormValues {
            state: done.form.state,
            success_url: done.form.success_url,
            failure_url: done.form.failure_url,
            ..FormValues::default()
        },
        Some(current) => current.form,
        None => FormValues::default(),
    };
    cx.return_to(&super::flow_page(provider, &form));
    let next = flow::back_to_form(provider, form, None);
    cx.save(&next);
    Ok(next.step)
}
