//! Server functions: thin, fixed endpoints. Each parses and checks its input, calls one flow-service
//! function and returns the next step. Expected refusals are `Ok` steps with a notice; `Err` is for failures.

mod choose_challenge;
mod choose_contract;
mod choose_products;
mod get_site_info;
mod keep_typed;
mod load_flow_step;
mod register_phone;
mod resend_code;
mod restart_flow;
mod solve_checkpoint;
mod start_auth_intent;
mod try_another_way;
mod wait_checkpoint;

pub use choose_challenge::*;
pub use choose_contract::*;
pub use choose_products::*;
pub use get_site_info::*;
pub use keep_typed::*;
pub use load_flow_step::*;
pub use register_phone::*;
pub use resend_code::*;
pub use restart_flow::*;
pub use solve_checkpoint::*;
pub use start_auth_intent::*;
pub use try_another_way::*;
pub use wait_checkpoint::*;

#[cfg(feature = "ssr")]
use crate::{
    catalogue::Provider,
    error::AppError,
    model::FlowStep,
    server::{request::RequestCx, session::FlowState, state::AppState},
};

#[cfg(feature = "ssr")]
fn offered_provider(cx: &RequestCx, id: &str) -> Result<&'static Provider, AppError> {
    crate::catalogue::find(id)
        .filter(|p| cx.app.settings.is_offered(p.id))
        .ok_or_else(|| AppError::BadRequest("unknown provider".to_owned()))
}

/// Refuses a provider form whose reconnect, state or redirect parameters a page would not have drawn.
#[cfg(feature = "ssr")]
fn check_link_params(cx: &RequestCx, form: &crate::catalogue::SignInForm) -> Result<(), AppError> {
    let invalid = |_| AppError::BadRequest("invalid account_id, state or redirect URL".to_owned());
    crate::catalogue::link_params(&form.account_id, &form.state).map_err(invalid)?;
    crate::catalogue::redirect_params(
        &form.success_url,
        &form.failure_url,
        &cx.app.settings.embed.allowed_origins,
    )
    .map_err(invalid)?;
    Ok(())
}

/// The flow page of `provider`, with the reconnect, state and redirect parameters when there are any.
#[cfg(feature = "ssr")]
fn flow_page(provider: &Provider, form: &crate::model::FormValues) -> String {
    crate::catalogue::page_url(
        provider.id,
        &[
            ("account_id", form.account_id.as_deref()),
            ("state", form.state.as_deref()),
            ("success_url", form.success_url.as_deref()),
            ("failure_url", form.failure_url.as_deref()),
        ],
    )
}

/// `to` when it is a page of `provider` on this site (`/connect/<id>`, any query but a step's name, which
/// the answer gives anew), never another path or site: a link followed with the typed values.
#[cfg(feature = "ssr")]
fn own_page(provider: &Provider, to: &str) -> Option<String> {
    use crate::server::request::FLOW_PARAM;
    let (path, query) = to.split_once('?').unwrap_or((to, ""));
    if path != format!("/connect/{}", provider.id) {
        return None;
    }
    let pairs = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .map(|(k, v)| (k, v.into_owned()));
    Some(crate::catalogue::with_params_replaced(
        path,
        pairs,
        &[FLOW_PARAM],
        (FLOW_PARAM, None),
    ))
}

/// The flow page for the attempt in `flow` (keeping a reconnect's parameters).
#[cfg(feature = "ssr")]
fn flow_page_of(provider: &Provider, flow: Option<&FlowState>) -> String {
    flow_page(provider, &flow.map(|f| f.form.clone()).unwrap_or_default())
}

/// Counts a call on the sign-in `flow` against the per-flow and per-address ceilings. Over one, the call
/// fails with 429; without the store, with 503 (no limit is skipped).
#[cfg(feature = "ssr")]
async fn limit_action(
    cx: &RequestCx,
    provider: &Provider,
    flow: Option<&str>,
) -> Result<(), AppError> {
    use crate::{error::ErrorCode, server::limits::retry_after_secs};
    let counted = cx
        .app
        .limits
        .action(
            cx.app.store.as_ref(),
            cx.app.clock.now_ms(),
            cx.client_ip(),
            flow,
        )
        .await;
    match counted {
        Ok(Ok(())) => Ok(()),
        Ok(Err(refused)) => {
            cx.app.metrics.refused(provider.id, ErrorCode::RateLimited);
            tracing::warn!(provider = provider.id, limit = ?refused.limit, "call rate limit reached");
            Err(AppError::RateLimited {
                retry_after_secs: retry_after_secs(refused.retry_after),
            })
        }
        Err(e) => {
            crate::server::request::store_unavailable(&cx.app, &e);
            Err(AppError::StoreUnavailable)
        }
    }
}

/// A step that says the flow store did not answer is sent with 503, as every failure of ours.
#[cfg(feature = "ssr")]
fn unavailable_status(cx: &RequestCx, step: &FlowStep) {
    use crate::error::ErrorCode;
    if step
        .notice()
        .is_some_and(|n| n.code == ErrorCode::StoreUnavailable)
    {
        cx.set_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
    }
}

/// The frame of every action on an open checkpoint: the provider must be offered, this browser must hold a
/// flow for it, and the form must belong to that flow's current attempt (not to an older one left open in
/// another tab). The call is then counted, and the step's generation taken on the flow record: a cookie
/// of an older generation (a replay, or a second submission racing the first) or of a finished flow is
/// refused without calling Unipile. Then `op` computes the next state, which is stored in the cookie.
#[cfg(feature = "ssr")]
async fn on_checkpoint<Fut>(
    provider: &str,
    flow_id: &str,
    op: impl FnOnce(AppState, &'static Provider, FlowState) -> Fut,
) -> Result<FlowStep, AppError>
where
    Fut: std::future::Future<Output = FlowState>,
{
    use crate::{
        error::{ErrorCode, Notice},
        server::{flow, store::Generation},
    };
    let cx = RequestCx::get()?;
    let provider = offered_provider(&cx, provider)?;
    let current = cx.flow(provider.id);
    cx.return_to(&flow_page_of(provider, current.as_ref()));
    let Some(current) = current else {
        let next = flow::back_to_form(
            provider,
            Default::default(),
            Some(Notice::new(ErrorCode::NoFlow)),
        );
        cx.save(&next);
        return Ok(next.step);
    };
    if current.flow_id != flow_id {
        // The newer attempt is left as it is; only the notice is added, so the page that re-reads the step
        // (with or without JavaScript) says why its form was not used.
        let mut shown = current;
        shown.step = shown
            .step
            .with_notice(Notice::new(ErrorCode::ReplacedByNewerAttempt));
        cx.save(&shown);
        return Ok(flow::current_step(&cx.app, provider, Some(shown)));
    }
    limit_action(&cx, provider, Some(&current.flow_id)).await?;
    let mut current = current;
    match cx
        .app
        .store
        .advance(&current.flow_id, current.generation)
        .await
    {
        Ok(Generation::Advanced(generation)) => current.generation = generation,
        Ok(Generation::Stale | Generation::Finished) => {
            tracing::warn!(
                provider = provider.id,
                "flow cookie of an older step refused (replayed, or sent twice)"
            );
            // The cookie is not written: the browser's own, newer one stays, and a reload shows it.
            let shown = current.step.with_notice(Notice::new(ErrorCode::OutOfDate));
            return Ok(shown);
        }
        Ok(Generation::Missing) => {
            let next = flow::back_to_form(
                provider,
                current.form,
                Some(Notice::new(ErrorCode::Expired)),
            );
            cx.save(&next);
            return Ok(next.step);
        }
        Err(e) => {
            let shown = current
                .step
                .with_notice(crate::server::request::store_unavailable(&cx.app, &e));
            cx.set_status(axum::http::StatusCode::SERVICE_UNAVAILABLE);
            return Ok(shown);
        }
    }
    let next = op(cx.app.clone(), provider, current).await;
    cx.save(&next);
    let step = flow::current_step(&cx.app, provider, Some(next));
    unavailable_status(&cx, &step);
    Ok(step)
}
