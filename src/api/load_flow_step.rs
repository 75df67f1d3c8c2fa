use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// The step to show for `provider` in this browser. With `wait` (the no-JavaScript waiting page reloads
/// with `?wait=1`), a waiting step is first given a bounded wait. A finished step (success, or a refusal
/// on the form) rendered as a page is shown once: the next visit starts afresh.
#[server(endpoint = "load_flow_step")]
pub async fn load_flow_step(provider: String, wait: bool) -> Result<FlowStep, AppError> {
    use crate::server::{
        flow::{self, Waited},
        request::RequestCx,
    };
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    let mut stored = cx.flow(provider.id);
    if let (true, Some(current)) = (wait, stored.clone()) {
        match flow::wait(&cx.app, provider, current).await {
            Waited::StillWaiting => {}
            Waited::Moved(next) | Waited::Ended(next) => {
                cx.save(&next);
                stored = Some(next);
            }
        }
    }
    let step = flow::current_step(&cx.app, provider, stored.clone());
    if stored.is_some() && cx.is_page_render() && !matches!(step, FlowStep::Checkpoint(_)) {
        cx.forget(provider.id);
    }
    Ok(step)
}
