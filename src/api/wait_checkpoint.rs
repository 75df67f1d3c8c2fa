use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Waits, for a bounded time, for an in-app approval or a loading step to finish. Answers the same step
/// when nothing happened yet ("still waiting"): the page then asks again.
///
/// The router answers it directly (`server::direct`): every browser on a waiting step holds one open.
#[server(endpoint = "wait_checkpoint")]
pub async fn wait_checkpoint(provider: String, flow: String) -> Result<FlowStep, AppError> {
    let cx = crate::server::request::RequestCx::get()?;
    run_wait_checkpoint(cx, WaitCheckpoint { provider, flow }).await
}

#[cfg(feature = "ssr")]
pub(crate) async fn run_wait_checkpoint(
    mut cx: crate::server::request::RequestCx,
    args: WaitCheckpoint,
) -> Result<FlowStep, AppError> {
    use crate::server::flow::{self as service, Waited};
    let (provider, current) = match waiting_flow(&cx, &args)? {
        ToWait::On(provider, current) => (provider, current),
        ToWait::Nothing(step) => return Ok(step),
    };
    cx.keep_only_cookies();
    let next = match service::wait(&cx.app, provider, current, || cx.flow(provider.id)).await {
        Waited::StillWaiting(current) => current,
        Waited::Moved(next) | Waited::Ended(next) => {
            cx.save(&next);
            next
        }
    };
    Ok(service::current_step(&cx.app, provider, Some(next)))
}

#[cfg(feature = "ssr")]
#[expect(
    clippy::large_enum_variant,
    reason = "taken apart as soon as it is made; boxing the flow would cost an allocation per wait"
)]
enum ToWait {
    /// The flow to wait on.
    On(
        &'static crate::catalogue::Provider,
        crate::server::session::FlowState,
    ),
    /// No flow, or another attempt than the page's: its step, at once.
    Nothing(FlowStep),
}

/// Kept out of the waiting future, which then holds none of the values used to decide.
#[cfg(feature = "ssr")]
fn waiting_flow(
    cx: &crate::server::request::RequestCx,
    WaitCheckpoint { provider, flow }: &WaitCheckpoint,
) -> Result<ToWait, AppError> {
    use crate::server::flow as service;
    let provider = super::offered_provider(cx, provider)?;
    let current = cx.flow(provider.id);
    cx.return_to(&super::flow_page_of(provider, current.as_ref()));
    Ok(match current {
        None => ToWait::Nothing(service::current_step(&cx.app, provider, None)),
        Some(current) if current.flow_id != *flow => {
            ToWait::Nothing(service::current_step(&cx.app, provider, Some(current)))
        }
        Some(current) => ToWait::On(provider, current),
    })
}
