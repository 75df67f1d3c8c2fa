//! Server functions the router answers itself instead of through leptos_axum: the calls made most (a
//! sign-in, and the wait every browser on a waiting step holds open for up to `flow.wait_secs`). Through
//! leptos_axum each call also builds a reactive owner with its contexts and clones the request's parts,
//! and a wait keeps all of it for its whole duration. Here the same function runs with a [`RequestCx`]
//! built from the request itself, and the answer has the server function's wire format: url-encoded
//! arguments in, the result as JSON out, an [`AppError`] as the server-function error answer (with its
//! status), a redirect for a form posted without JavaScript.

use super::{
    errors::{answer_with_status, local_reference},
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

/// The arguments in `body`, read as the server function's own reader (`PostUrl`) reads them: UTF-8, then
/// serde_qs with server_fn's settings ([`read_form`]).
async fn read_args<S: DeserializeOwned>(body: Body, limit: usize) -> Result<S, AppError> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => read_form(&bytes)
            .map_err(|e| AppError::BadRequest(format!("the arguments could not be read: {e}"))),
        Err(_) => Err(AppError::BadRequest(
            "the request body could not be read".to_owned(),
        )),
    }
}

/// A url-encoded body, as server_fn 0.8's `PostUrl` reads one: `serde_qs::Config::new(5, false)` (five
/// levels of nesting, not strict). The tests check this against server_fn's own reader.
fn read_form<S: DeserializeOwned>(bytes: &[u8]) -> Result<S, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    serde_qs::Config::new(5, false)
        .deserialize_str(text)
        .map_err(|e| e.to_string())
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
        Err(err) => {
            answer_with_status(&err, options);
            (
                [(SERVER_FN_ERROR_HEADER, HeaderValue::from_static(S::PATH))],
                err.ser(),
            )
                .into_response()
        }
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

#[cfg(test)]
mod tests {
    use super::read_form;
    use crate::api::{StartAuthIntent, WaitCheckpoint};
    use leptos::server_fn::{codec::FromReq, codec::PostUrl, ServerFnError};

    /// What server_fn's own reader makes of `body` for the server function `S`, through its `PostUrl`
    /// codec as leptos_axum runs it.
    fn server_fns_reading<S>(body: &str) -> Result<S, ServerFnError>
    where
        S: FromReq<PostUrl, axum::http::Request<axum::body::Body>, ServerFnError>,
    {
        let request = axum::http::Request::post("/api/x")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body.to_owned()))
            .expect("request");
        futures::executor::block_on(S::from_req(request))
    }

    const BODIES: [&str; 17] = [
        "provider=linkedin&method=password&username=user_good&password=pass_good&classic=on&premium=none",
        "provider=linkedin&username=a+b%2Bc&password=p%C3%A9+%26+q%3D&flow=f%20",
        "username=%E2%9C%93&provider=instagram&account_id=acc_1&state=s%26t&success_url=https%3A%2F%2Fa.test%2F",
        "provider=linkedin&&username=x&",
        "provider=linkedin&flag&method=",
        "provider=linkedin&x=%zz&y=%FF&z=%&w=a=b",
        "provider=linkedin&username=%2&password=%2g&a=%%41&b=a%41b&c=%C3&d=%e2%9c%93&e=+%2B+&f=%41%",
        "provider=linkedin&us%65rname=x+y&%70assword=%00%0A&flow=abc",
        "provider=linkedin;username=x",
        "provider=linkedin&unknown_field=1&another=2&a]=3",
        "provider=linkedin&[username]=x",
        "username=x&provider=linkedin&username=y",
        "provider=linkedin&provider=x",
        "provider=linkedin&fields[username]=x",
        "provider=linkedin&a[]=x",
        "username=x",
        "",
    ];

    /// What a page or a plain form posts to the two functions the router answers itself is read with the
    /// same values as server_fn reads it, and what server_fn refuses is refused.
    #[test]
    fn arguments_are_read_as_server_fns_own_reader_reads_them() {
        for body in BODIES {
            let ours = read_form::<StartAuthIntent>(body.as_bytes()).map(|a| (a.provider, a.form));
            let theirs = server_fns_reading::<StartAuthIntent>(body).map(|a| (a.provider, a.form));
            assert!(
                matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b)
                    || (ours.is_err() && theirs.is_err()),
                "{body}: {ours:?} against {theirs:?}"
            );
            let ours = read_form::<WaitCheckpoint>(body.as_bytes()).map(|a| (a.provider, a.flow));
            let theirs = server_fns_reading::<WaitCheckpoint>(body).map(|a| (a.provider, a.flow));
            assert!(
                matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b)
                    || (ours.is_err() && theirs.is_err()),
                "{body}: {ours:?} against {theirs:?}"
            );
        }
        let invalid_utf8 = b"provider=linkedin&username=\xff";
        assert!(read_form::<StartAuthIntent>(invalid_utf8).is_err());
    }

    /// The arguments as the page's own server-function call encodes them read back whole.
    #[test]
    fn arguments_encoded_by_the_page_read_back_whole() {
        let wait = WaitCheckpoint {
            provider: "linkedin".to_owned(),
            flow: "f 1&x=%2B+é[0]".to_owned(),
        };
        let body = serde_qs::to_string(&wait).expect("encoded");
        let read = read_form::<WaitCheckpoint>(body.as_bytes()).expect("read");
        assert_eq!((read.provider, read.flow), (wait.provider, wait.flow));
        let start: StartAuthIntent =
            read_form(b"provider=x&method=cookie&username=a%26b&password=p+q&state=%5Bs%5D")
                .expect("read");
        let body = serde_qs::to_string(&start).expect("encoded");
        let again = read_form::<StartAuthIntent>(body.as_bytes()).expect("read");
        assert_eq!((again.provider, again.form), (start.provider, start.form));
    }

    proptest::proptest! {
        /// Bodies made of names, values, separators, brackets, `+` and `%` escapes (whole, cut short or not
        /// hex) read the same as server_fn reads them, or are refused by both.
        #[test]
        fn any_body_reads_as_server_fns_reader_reads_it(
            pairs in proptest::collection::vec(("[ab4Fz+%\\[\\]]{0,5}(=[ab4Fz=+%]{0,5})?", "&{1,2}"), 0..6)
        ) {
            let body = pairs.iter().fold("provider=linkedin&".to_owned(), |body, (pair, and)| body + pair + and);
            let ours = read_form::<StartAuthIntent>(body.as_bytes()).map(|a| (a.provider, a.form));
            let theirs = server_fns_reading::<StartAuthIntent>(&body).map(|a| (a.provider, a.form));
            proptest::prop_assert!(
                matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b) || (ours.is_err() && theirs.is_err()),
                "{}: {:?} against {:?}", body, ours, theirs
            );
        }
    }
}
