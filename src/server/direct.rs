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
use serde::{
    de::{value::MapDeserializer, DeserializeOwned, Deserializer, IntoDeserializer, Visitor},
    Serialize,
};
use std::{borrow::Cow, future::Future, marker::PhantomData};

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

/// The arguments in `body`, as [`read_flat`] reads them.
async fn read_args<S: DeserializeOwned>(body: Body, limit: usize) -> Result<S, AppError> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => read_flat(&bytes)
            .map_err(|e| AppError::BadRequest(format!("the arguments could not be read: {e}"))),
        Err(_) => Err(AppError::BadRequest(
            "the request body could not be read".to_owned(),
        )),
    }
}

/// Most pairs a body may hold: the longest form (IMAP with its mail servers and a proxy) has about twenty.
const MAX_PAIRS: usize = 100;

/// The arguments of a function whose arguments are all text, read as the server function's own reader
/// (`PostUrl`, serde_qs) reads the flat form a page posts: url-encoded `key=value` pairs, `+` for a space;
/// a key given twice is refused, as it refuses it. A key with a `[` (encoded or not) is refused: that
/// reader takes it for a nested value, which none of these arguments is, and for some such keys reads
/// the value under another name (`[username]` as `username`). The pairs are read in place, without
/// serde_qs's tree of levels.
fn read_flat<S: DeserializeOwned>(bytes: &[u8]) -> Result<S, String> {
    let mut pairs: Vec<(Text<'_>, Text<'_>)> = Vec::with_capacity(16);
    for pair in bytes.split(|b| *b == b'&').filter(|pair| !pair.is_empty()) {
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (decode(&pair[..at]), decode(&pair[at + 1..])),
            None => (decode(pair), Cow::Borrowed("")),
        };
        // A value without a name is no argument; server_fn's reader files it under a name made of the
        // `=` and what follows, which no function reads either.
        if key.is_empty() {
            continue;
        }
        if key.contains('[') {
            return Err(format!("nested key \"{key}\""));
        }
        if pairs.iter().any(|(k, _)| k.0 == key) {
            return Err(format!("multiple values for one key: \"{key}\""));
        }
        if pairs.len() == MAX_PAIRS {
            return Err(format!("more than {MAX_PAIRS} values"));
        }
        pairs.push((Text(key), Text(value)));
    }
    S::deserialize(MapDeserializer::<_, serde::de::value::Error>::new(
        pairs.into_iter(),
    ))
    .map_err(|e| e.to_string())
}

/// A name or value for serde, borrowed from the body where nothing needed decoding: the part of the
/// arguments a derived `Deserialize` buffers (a flattened struct) then keeps it borrowed too.
struct Text<'a>(Cow<'a, str>);

impl<'de, E: serde::de::Error> IntoDeserializer<'de, E> for Text<'de> {
    type Deserializer = TextDeserializer<'de, E>;

    fn into_deserializer(self) -> Self::Deserializer {
        TextDeserializer(self.0, PhantomData)
    }
}

struct TextDeserializer<'de, E>(Cow<'de, str>, PhantomData<E>);

impl<'de, E: serde::de::Error> Deserializer<'de> for TextDeserializer<'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.0 {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_string(text),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// One url-encoded name or value: `+` is a space, `%` and two hex digits a byte, anything else itself;
/// bytes that are not UTF-8 become U+FFFD. Borrowed when there is nothing to decode.
fn decode(raw: &[u8]) -> Cow<'_, str> {
    if !raw.iter().any(|b| matches!(b, b'+' | b'%')) {
        return String::from_utf8_lossy(raw);
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => match (
                raw.get(i + 1).and_then(|&h| hex(h)),
                raw.get(i + 2).and_then(|&l| hex(l)),
            ) {
                (Some(high), Some(low)) => {
                    bytes.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => bytes.push(b'%'),
            },
            b => bytes.push(b),
        }
        i += 1;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Cow::Owned(text),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
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

#[cfg(test)]
mod tests {
    use super::read_flat;
    use crate::api::{StartAuthIntent, WaitCheckpoint};

    /// What a page or a plain form posts is read as server_fn's own reader reads it, with the same
    /// values, and what it refuses (a repeated key, a nested key, no provider) is refused.
    #[test]
    fn arguments_are_read_as_server_fns_own_reader_reads_them() {
        let server_fn = serde_qs::Config::new(5, false);
        let read = [
            "provider=linkedin&method=password&username=user_good&password=pass_good&classic=on&premium=none",
            "provider=linkedin&username=a+b%2Bc&password=p%C3%A9+%26+q%3D&flow=f%20",
            "username=%E2%9C%93&provider=instagram&account_id=acc_1&state=s%26t&success_url=https%3A%2F%2Fa.test%2F",
            "provider=linkedin&&username=x&",
            "provider=linkedin&flag&method=",
            "provider=linkedin&x=%zz&y=%FF&z=%&w=a=b",
            "provider=linkedin&username=%2&password=%2g&a=%%41&b=a%41b&c=%C3&d=%e2%9c%93&e=+%2B+&f=%41%",
            "provider=linkedin&us%65rname=x+y&%70assword=%00%0A",
            "provider=linkedin;username=x",
            "provider=linkedin&unknown_field=1&another=2&a]=3",
        ];
        let refused = [
            "username=x&provider=linkedin&username=y",
            "provider=linkedin&provider=x",
            "provider=linkedin&fields[username]=x",
            "provider=linkedin&fields%5Busername%5D=x",
            "provider=linkedin&a[]=x",
            "username=x",
            "",
        ];
        for body in read {
            let ours = read_flat::<StartAuthIntent>(body.as_bytes()).map(|a| (a.provider, a.form));
            let theirs = server_fn
                .deserialize_str::<StartAuthIntent>(body)
                .map(|a| (a.provider, a.form));
            assert!(
                matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b),
                "{body}: {ours:?} against {theirs:?}"
            );
            let ours = read_flat::<WaitCheckpoint>(body.as_bytes()).map(|a| (a.provider, a.flow));
            let theirs = server_fn
                .deserialize_str::<WaitCheckpoint>(body)
                .map(|a| (a.provider, a.flow));
            assert!(
                matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b)
                    || (ours.is_err() && theirs.is_err()),
                "{body}: {ours:?} against {theirs:?}"
            );
        }
        for body in refused {
            let ours = read_flat::<StartAuthIntent>(body.as_bytes()).map(|a| a.provider);
            let theirs = server_fn
                .deserialize_str::<StartAuthIntent>(body)
                .map(|a| a.provider);
            assert!(
                ours.is_err() && theirs.is_err(),
                "{body}: {ours:?} against {theirs:?}"
            );
        }
    }

    proptest::proptest! {
        /// Bodies made of names, values, separators, `+` and `%` escapes (whole, cut short or not hex) read
        /// the same, or are refused by both. Pairs have a name: a pair starting with `=` is dropped here,
        /// where server_fn's reader files it under a name that no function reads.
        #[test]
        fn any_flat_body_reads_as_server_fns_reader_reads_it(
            pairs in proptest::collection::vec(("[ab4Fz+%][ab4Fz+%]{0,4}(=[ab4Fz=+%]{0,5})?", "&{1,2}"), 0..6)
        ) {
            let body = pairs.iter().fold("provider=linkedin&".to_owned(), |body, (pair, and)| body + pair + and);
            let ours = read_flat::<StartAuthIntent>(body.as_bytes()).map(|a| (a.provider, a.form));
            let theirs = serde_qs::Config::new(5, false)
                .deserialize_str::<StartAuthIntent>(&body)
                .map(|a| (a.provider, a.form));
            proptest::prop_assert!(
                matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b) || (ours.is_err() && theirs.is_err()),
                "{}: {:?} against {:?}", body, ours, theirs
            );
        }
    }

    #[test]
    fn a_key_that_server_fns_reader_would_rename_is_refused() {
        let body = "provider=linkedin&[username]=x";
        let theirs = serde_qs::Config::new(5, false)
            .deserialize_str::<StartAuthIntent>(body)
            .expect("read as username");
        assert_eq!(
            theirs.form.fields.get("username").map(String::as_str),
            Some("x")
        );
        assert!(read_flat::<StartAuthIntent>(body.as_bytes()).is_err());
    }

    #[test]
    fn a_body_of_too_many_values_is_refused() {
        let body: String =
            (0..200).map(|i| format!("f{i}=x&")).collect::<String>() + "provider=linkedin";
        assert!(read_flat::<StartAuthIntent>(body.as_bytes()).is_err());
        let body: String =
            (0..20).map(|i| format!("f{i}=x&")).collect::<String>() + "provider=linkedin";
        assert!(read_flat::<StartAuthIntent>(body.as_bytes()).is_ok());
    }
}
