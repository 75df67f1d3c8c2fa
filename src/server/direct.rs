//! Server functions the router answers itself instead of through leptos_axum: the calls made most (a
//! sign-in, and the wait every browser on a waiting step holds open for up to `flow.wait_secs`). Through
//! leptos_axum each call also builds a reactive owner with its contexts and clones the request's parts,
//! and a wait keeps all of it for its whole duration. Here the same function runs with a [`RequestCx`]
//! built from the request itself, and the answer has the server function's wire format: url-encoded
//! arguments in, the result as JSON out, an [`AppError`] as the server-function error answer (which the
//! front door gives its status), a redirect for a form posted without JavaScript.

use super::{
    errors::local_reference,
    request::{is_plain_post, RequestCx},
    state::AppState,
};
use crate::error::AppError;
use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::server_fn::{
    error::{FromServerFnError, SERVER_FN_ERROR_HEADER},
    ServerFn,
};
use leptos_axum::ResponseOptions;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// Answers `request` for the server function `S` by running `run` on its arguments.
///
/// A waiting browser's call holds this future (boxed by the router) for the whole wait, so what is
/// done before and after the call is kept in plain functions: only what the call needs stays in it.
pub fn serve<S, T, Fut>(
    app: AppState,
    request: Request,
    run: impl FnOnce(RequestCx, S) -> Fut,
) -> impl Future<Output = Response>
where
    S: ServerFn + DeserializeOwned,
    T: Serialize,
    Fut: Future<Output = Result<T, AppError>>,
{
    let (parts, body) = request.into_parts();
    let plain_post = is_plain_post(&parts.headers);
    let limit = app.settings.limits.max_body_bytes;
    let options = ResponseOptions::default();
    let cx = RequestCx::new(app, parts, options.clone());
    async move {
        let answer = match read_args::<S>(body, limit).await {
            Ok(args) => run(cx, args).await,
            Err(err) => Err(err),
        };
        finish::<S, T>(answer, &options, plain_post)
    }
}

/// The same reading of the arguments as the server function's own (`PostUrl`).
async fn read_args<S: DeserializeOwned>(body: Body, limit: usize) -> Result<S, AppError> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => serde_qs::Config::new(5, false)
            .deserialize_bytes::<S>(&bytes)
            .map_err(|e| AppError::BadRequest(format!("the arguments could not be read: {e}"))),
        Err(_) => Err(AppError::BadRequest(
            "the request body could not be read".to_owned(),
        )),
    }
}

/// The answer in the server function's wire format, with what the function set on `options`.
fn finish<S: ServerFn, T: Serialize>(
    answer: Result<T, AppError>,
    options: &ResponseOptions,
    plain_post: bool,
) -> Response {
    let json = answer.and_then(|value| {
        serde_json::to_string(&value).map_err(|_| AppError::Unavailable {
            support_ref: local_reference(),
        })
    });
    let mut response = match json {
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
            [(SERVER_FN_ERROR_HEADER, HeaderValue::from_static(S::PATH))],
            err.ser(),
        )
            .into_response(),
    };
    // What the function set: cookies, a redirect, a Retry-After.
    let set = std::mem::take(&mut *options.0.write().unwrap_or_else(|e| e.into_inner()));
    if let Some(status) = set.status {
        *response.status_mut() = status;
    }
    response.headers_mut().extend(set.headers);
    // A form posted without JavaScript that the function did not send back to its flow page (its input
    // was refused before a provider was known) lands on the front page rather than on an error body.
    if plain_post && !response.headers().contains_key(header::LOCATION) {
        *response.status_mut() = StatusCode::FOUND;
        response
            .headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/"));
    }
    response
}
