use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// The step to show for `provider` in this browser. A finished step (success, or a refusal shown on the
/// form) is shown once: reading it ends the flow.
#[server(endpoint = "load_flow_step")]
pub async fn load_flow_step(provider: String) -> Result<FlowStep, AppError> {
    use crate::server::{flow, request::RequestCx};
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    let stored = cx.flow();
    let ours = stored.as_ref().is_some_and(|f| f.provider == provider.id);
    let step = flow::current_step(&cx.app, provider, stored);
    if ours && !matches!(step, FlowStep::Checkpoint(_)) {
        cx.forget();
    }
    Ok(step)
}
