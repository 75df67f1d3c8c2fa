use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Waits, for a bounded time, for an in-app approval or a loading step to finish. Answers the same step
/// when nothing happened yet ("still waiting"): the page then asks again.
///
/// The page calls this as any server function; the router answers it with [`serve_wait`], which runs the same
/// steps without a reactive owner or a copy of the request per call (see there).
#[server(endpoint = "wait_checkpoint")]
pub async fn wait_checkpoint(provider: String, flow: String) -> Result<FlowStep, AppError> {
    let mut cx = crate::server::request::RequestCx::get()?;
    wait_for(&mut cx, &provider, &flow).await
}

#[cfg(feature = "ssr")]
async fn wait_for(
    cx: &mut crate::server::request::RequestCx,
    provider: &str,
    flow: &str,
) -> Result<FlowStep, AppError> {
    use crate::server::flow::{self as service, Waited};
    let provider = super::offered_provider(cx, provider)?;
    let current = cx.flow(provider.id);
    cx.return_to(&super::flow_page_of(provider, current.as_ref()));
    let Some(current) = current else {
        return Ok(service::current_step(&cx.app, provider, None));
    };
    if current.flow_id != flow {
        return Ok(service::current_step(&cx.app, provider, Some(current)));
    }
    cx.keep_only_cookies();
    let next = match service::wait(&cx.app, provider, current).await {
        Waited::StillWaiting(current) => current,
        Waited::Moved(next) | Waited::Ended(next) => {
            cx.save(&next);
            next
        }
    };
    Ok(service::current_step(&cx.app, provider, Some(next)))
}

/// `POST /api/wait_checkpoint`, answered by the router itself. Every browser on a waiting step holds one of
/// these open for up to `flow.wait_secs`, so thousands can be open at once; through leptos_axum each one
/// also kept a reactive owner, its contexts and a second copy of the request's headers for the whole
/// wait. Same wire format as the server function: the url-encoded arguments in, the step as JSON out,
/// an [`AppError`] as the server-function error answer (which the front door gives its status), a
/// redirect to the flow page for a form posted without JavaScript.
#[cfg(feature = "ssr")]
pub async fn serve_wait(
    axum::extract::State(app): axum::extract::State<crate::server::state::AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use crate::server::request::RequestCx;
    use axum::{
        http::{header, HeaderValue, StatusCode},
        response::IntoResponse,
    };
    use leptos::server_fn::{error::FromServerFnError, ServerFn};

    let (parts, body) = request.into_parts();
    let limit = app.settings.limits.max_body_bytes;
    let options = leptos_axum::ResponseOptions::default();
    let mut cx = RequestCx::new(app, parts, options.clone());
    let args = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => serde_qs::Config::new(5, false)
            .deserialize_bytes::<WaitCheckpoint>(&bytes)
            .map_err(|e| AppError::BadRequest(format!("the arguments could not be read: {e}"))),
        Err(_) => Err(AppError::BadRequest(
            "the request body could not be read".to_owned(),
        )),
    };
    let answer = match args {
        Ok(args) => wait_for(&mut cx, &args.provider, &args.flow).await,
        Err(err) => Err(err),
    };
    drop(cx);
    let mut response = match answer.and_then(|step| {
        serde_json::to_string(&step).map_err(|_| AppError::Unavailable {
            support_ref: crate::server::errors::local_reference(),
        })
    }) {
        Ok(json) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json,
        )
            .into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(
                leptos::server_fn::error::SERVER_FN_ERROR_HEADER,
                HeaderValue::from_static(WaitCheckpoint::PATH),
            )],
            err.ser(),
        )
            .into_response(),
    };
    let set = std::mem::take(&mut *options.0.write().unwrap_or_else(|e| e.into_inner()));
    if let Some(status) = set.status {
        *response.status_mut() = status;
    }
    response.headers_mut().extend(set.headers);
    response
}
