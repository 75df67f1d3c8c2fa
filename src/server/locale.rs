//! Which language a page is drawn in, decided once per request on the server so the page reads the same with
//! and without JavaScript: `?lang=` (remembered in a cookie), else that cookie, else `Accept-Language`, else
//! English. The browser reads the choice back from `<html lang>` when it hydrates.

use super::state::AppState;
use crate::{i18n::Locale, text};
use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue},
    response::Response,
};
use leptos_i18n::Locale as _;

/// The language cookie: not a secret, so readable and long-lived; only ever one of our language codes.
pub const COOKIE: &str = "cf_lang";
const COOKIE_MAX_AGE_SECS: u64 = 365 * 24 * 60 * 60;

/// The locale chosen for this request, for the page renderer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLocale(pub Locale);

/// The language asked for in the query string, if it is one we have.
fn from_query(query: Option<&str>) -> Option<Locale> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| text::parse(v))
}

fn from_cookie(headers: &HeaderMap) -> Option<Locale> {
    super::session::sent_cookies(headers)
        .find(|c| c.name() == COOKIE)
        .and_then(|c| text::parse(c.value()))
}

fn from_header(headers: &HeaderMap) -> Option<Locale> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(text::negotiate)
}

/// What [`choose`] decided, for [`remember`] to finish on the answer.
pub struct Choice {
    /// The page's language.
    pub locale: Locale,
    /// A language asked for with `?lang=` that the cookie does not hold yet.
    newly_asked: Option<Locale>,
}

/// Picks the request's locale and puts it on the request for the page renderer.
pub fn choose(request: &mut Request) -> Choice {
    let asked = from_query(request.uri().query());
    let remembered = from_cookie(request.headers());
    let locale = asked
        .or(remembered)
        .or_else(|| from_header(request.headers()))
        .unwrap_or_default();
    request.extensions_mut().insert(PageLocale(locale));
    Choice {
        locale,
        newly_asked: asked.filter(|a| Some(*a) != remembered),
    }
}

/// On the answer: remembers a language newly asked for in the cookie, and tells caches that pages depend
/// on the language headers.
pub fn remember(state: &AppState, choice: Choice, response: &mut Response) {
    let headers = response.headers_mut();
    if let Some(asked) = choice.newly_asked {
        let secure = if state.cookies.is_secure() {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; SameSite=Lax; HttpOnly{secure}",
            asked.as_str()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"))
    {
        headers.append(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
    }
}

/// The page locale as the renderer sees it (inside a request), for the i18n context on the server.
pub fn of_request() -> Option<Locale> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageLocale>().copied())
        .map(|p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_then_the_cookie_then_the_header_decide() {
        assert_eq!(from_query(Some("method=cookie&lang=fr")), Some(Locale::fr));
        assert_eq!(from_query(Some("lang=de")), None);
        assert_eq!(from_query(Some("language=fr")), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; cf_lang=fr"));
        assert_eq!(from_cookie(&headers), Some(Locale::fr));
        headers.insert(header::COOKIE, HeaderValue::from_static("cf_lang=<script>"));
        assert_eq!(from_cookie(&headers), None);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr-BE,en;q=0.5"),
        );
        assert_eq!(from_header(&headers), Some(Locale::fr));
    }
}
