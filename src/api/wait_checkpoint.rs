use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Waits, for a bounded time, for an in-app approval or a loading step to finish. Answers the same step
/// when nothing happened yet ("still waiting"): the page then asks again. Every browser on a waiting step
/// holds one open.
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
    use crate::server::flow as service;
    let (provider, current) = match waiting_flow(&cx, &args)? {
        ToWait::On(provider, current) => (provider, current),
        ToWait::Nothing(step) => return Ok(step),
    };
    Ok(match wait_on(&mut cx, provider, current).await? {
        Ok(next) => service::current_step(&cx.app, provider, Some(next)),
        Err(step) => step,
    })
}

/// A browser's bounded wait on its flow, for the script's long poll and the page without JavaScript alike:
/// counted against the call ceilings; refused for a cookie of an older step, a finished or expired flow;
/// and when the wait moves the flow on, the step's generation is taken on the record and the new state
/// stored in the cookie. `Ok(state)`: the state to draw; `Err(step)`: the step to answer instead.
///
/// Thousands of browsers wait at once, each holding this future: the flow state is taken apart before
/// it starts, and only what the wait watches is kept through it.
#[cfg(feature = "ssr")]
pub(super) fn wait_on<'a>(
    cx: &'a mut crate::server::request::RequestCx,
    provider: &'static crate::catalogue::Provider,
    current: crate::server::session::FlowState,
) -> impl std::future::Future<
    Output = Result<Result<crate::server::session::FlowState, FlowStep>, AppError>,
> + Send
       + 'a {
    use crate::{
        error::{ErrorCode, Notice},
        server::{
            flow::{self as service, Waited},
            store::Generation,
        },
    };
    let (flow_id, generation) = (current.flow_id.clone(), current.generation);
    let waitable = service::waitable(&cx.app, provider, current);
    async move {
        super::limit_action(cx, provider, Some(&flow_id)).await?;
        // Waiting changes nothing by itself: the generation is only checked here, and taken when the wait
        // moves the flow on.
        if let Some(refused) = refused_generation(cx, provider, &flow_id, generation).await {
            return Ok(Err(refused));
        }
        cx.keep_only_cookies();
        let cx = &*cx;
        let waited = match waitable {
            Ok(held) => service::wait(&cx.app, provider, held, || cx.flow(provider.id)).await,
            Err(waited) => *waited,
        };
        Ok(Ok(match waited {
            Waited::StillWaiting(current) => current,
            Waited::Moved(mut next) | Waited::Ended(mut next) => {
                if next.flow_id == flow_id {
                    match cx.app.store.advance(&flow_id, generation).await {
                        Ok(Generation::Advanced(generation)) => next.generation = generation,
                        // Linking the account finished the flow on its record, as it should.
                        Ok(Generation::Finished) if matches!(next.step, FlowStep::Connected(_)) => {
                        }
                        // Another call moved the flow first: this browser's cookie already says where.
                        Ok(_) => {
                            return Ok(Err(next
                                .step
                                .with_notice(Notice::new(ErrorCode::OutOfDate))))
                        }
                        Err(e) => {
                            let notice = crate::server::request::store_unavailable(&cx.app, &e);
                            cx.set_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
                            return Ok(Err(next.step.with_notice(notice)));
                        }
                    }
                }
                cx.save(&next);
                next
            }
        }))
    }
}

/// The step to answer instead of waiting when the flow's record refuses this cookie's generation (a
/// replayed cookie, a finished or expired flow, or no store). The flow state is read again from the
/// cookie only then.
#[cfg(feature = "ssr")]
async fn refused_generation(
    cx: &crate::server::request::RequestCx,
    provider: &'static crate::catalogue::Provider,
    flow_id: &str,
    generation: u64,
) -> Option<FlowStep> {
    use crate::{
        error::{ErrorCode, Notice},
        server::{flow as service, store::Generation},
    };
    let found = cx.app.store.check(flow_id, generation).await;
    if let Ok(Generation::Advanced(_)) = found {
        return None;
    }
    let current = cx.flow(provider.id)?;
    match found {
        Ok(Generation::Advanced(_)) => None,
        Ok(Generation::Stale | Generation::Finished) => {
            Some(current.step.with_notice(Notice::new(ErrorCode::OutOfDate)))
        }
        Ok(Generation::Missing) => {
            let next = service::back_to_form(
                provider,
                current.form,
                Some(Notice::new(ErrorCode::Expired)),
            );
            cx.save(&next);
            Some(next.step)
        }
        Err(e) => {
            cx.set_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
            Some(
                current
                    .step
                    .with_notice(crate::server::request::store_unavailable(&cx.app, &e)),
            )
        }
    }
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
