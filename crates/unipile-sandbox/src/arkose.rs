//! A stand-in for the Arkose Labs client API (`<base>/v2/<public_key>/api.js`), so the CAPTCHA
//! screen works end to end without Arkose. It is a public static script: no API key, not recorded.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The normal challenge: "Verify" passes, "Fail" fails.
pub(crate) const CAPTCHA_KEY: &str = "sandbox-public-key";
/// The script is not found (404), as when Arkose is unreachable or blocked.
pub(crate) const CAPTCHA_KEY_MISSING: &str = "sandbox-public-key-404";
/// The script loads but reports an error instead of drawing the challenge.
pub(crate) const CAPTCHA_KEY_ERROR: &str = "sandbox-public-key-error";
/// The first "Verify" fails, the next one passes.
pub(crate) const CAPTCHA_KEY_FAIL_ONCE: &str = "sandbox-public-key-fail-once";
/// The normal challenge, with a `data` blob of several kilobytes (longer than one browser cookie holds).
pub(crate) const CAPTCHA_KEY_LARGE: &str = "sandbox-public-key-large";

const SCRIPT: &str = include_str!("arkose/api.js");

/// `GET /arkose/v2/{public_key}/api.js`
pub(crate) async fn client_api(Path(public_key): Path<String>) -> Response {
    if public_key == CAPTCHA_KEY_MISSING {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    (
        [
            (CONTENT_TYPE, "application/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        SCRIPT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_missing_key_is_not_found_and_the_others_get_the_script() {
        let missing = client_api(Path(CAPTCHA_KEY_MISSING.to_owned())).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        for key in [
            CAPTCHA_KEY,
            CAPTCHA_KEY_ERROR,
            CAPTCHA_KEY_FAIL_ONCE,
            CAPTCHA_KEY_LARGE,
        ] {
            let found = client_api(Path(key.to_owned())).await;
            assert_eq!(found.status(), StatusCode::OK);
            assert_eq!(
                found.headers()[CONTENT_TYPE],
                "application/javascript; charset=utf-8"
            );
        }
    }

    #[test]
    fn the_script_builds_no_markup_from_text() {
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "eval(",
            "Function(",
            "document.write",
        ] {
            assert!(!SCRIPT.contains(forbidden), "{forbidden}");
        }
    }
}
