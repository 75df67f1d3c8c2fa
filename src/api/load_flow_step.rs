use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// The step to show for `provider` in this browser. With `wait` (the no-JavaScript waiting page reloads
/// with `?wait=1`), a waiting step is first given a bounded wait. A finished step (success, or a refusal
/// on the form) rendered as a page is shown once: the next visit starts afresh.
#[server(endpoint = "load_flow_step")]
pub async fn load_flow_step(provider: String, wait: bool) -> Result<FlowStep, AppError> {
    use crate::server::{flow, request::RequestCx};
    let mut cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    let mut stored = cx.flow(provider.id);
    if let Some(current) = stored.take_if(|_| wait) {
        match super::wait_on(&mut cx, provider, current).await? {
            Ok(next) => stored = Some(next),
            Err(step) => return Ok(step),
        }
    }
    let mut step = flow::current_step(&cx.app, provider, stored.clone());
    if let FlowStep::Form(form) = &mut step {
        // A "user agent" field starts with the browser's own.
        let asks_agent = provider
            .methods
            .iter()
            .any(|m| m.fields.iter().any(|f| f.name == "user_agent"));
        if let (true, Some(agent)) = (asks_agent, cx.user_agent()) {
            form.form
                .values
                .entry("user_agent".to_owned())
                .or_insert(agent);
        }
    }
    if stored.is_some() && cx.is_page_render() && !matches!(step, FlowStep::Checkpoint(_)) {
        cx.forget(provider.id);
    }
    Ok(step)
}
