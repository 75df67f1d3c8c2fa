//! The flow cookie: the pending intent and the current step, encrypted and authenticated (AES-256-GCM via
//! the `cookie` crate's private jar), HttpOnly and SameSite=Strict. The server keeps no per-user state, so
//! any replica holding the same `SESSION_SECRET` can continue a flow, and a reload resumes it.

use crate::model::FlowStep;
use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{time, Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const COOKIE_NAME: &str = "cf_flow";

/// Everything the server remembers about one browser's sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// Catalogue id of the provider.
    pub provider: String,
    /// Unipile's intent while a checkpoint is open; never sent to the browser.
    pub intent_id: Option<String>,
    /// Kept so the form can be refilled after a refusal or expiry (never the password).
    pub username: String,
    pub step: FlowStep,
    pub wrong_codes: u8,
    /// End of this attempt, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
}

pub struct CookieCodec {
    key: Key,
    secure: bool,
    /// The browser keeps the cookie a little longer than the attempt, so an expired attempt can be
    /// reported as "expired" rather than silently forgotten.
    max_age: Duration,
}

impl CookieCodec {
    /// `master` must hold at least 32 bytes of secret material.
    pub fn new(master: &[u8], secure: bool, lifetime: Duration) -> CookieCodec {
        CookieCodec { key: Key::derive_from(master), secure, max_age: lifetime + Duration::from_secs(600) }
    }

    pub fn read(&self, headers: &HeaderMap) -> Option<FlowState> {
        let mut jar = CookieJar::new();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for cookie in Cookie::split_parse(text).flatten() {
                if cookie.name() == COOKIE_NAME {
                    jar.add_original(cookie.into_owned());
                }
            }
        }
        let cookie = jar.private(&self.key).get(COOKIE_NAME)?;
        serde_json::from_str(cookie.value()).ok()
    }

    /// The `Set-Cookie` value that stores `state`.
    pub fn write(&self, state: &FlowState) -> Option<HeaderValue> {
        let json = serde_json::to_string(state).ok()?;
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(
            Cookie::build((COOKIE_NAME, json))
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(self.secure)
                .path("/")
                .max_age(time::Duration::seconds(i64::try_from(self.max_age.as_secs()).unwrap_or(i64::MAX))),
        );
        let cookie = jar.get(COOKIE_NAME)?;
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// The `Set-Cookie` value that removes the flow cookie.
    pub fn clear(&self) -> HeaderValue {
        let cookie = Cookie::build((COOKIE_NAME, ""))
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .path("/")
            .max_age(time::Duration::ZERO);
        HeaderValue::from_str(&cookie.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FormState;

    fn codec() -> CookieCodec {
        CookieCodec::new(&[7u8; 64], false, Duration::from_secs(300))
    }

    fn state() -> FlowState {
        FlowState {
            provider: "linkedin".into(),
            intent_id: Some("acc_secret_intent".into()),
            username: "user_2fa_sms".into(),
            step: FlowStep::Form(FormState::default()),
            wrong_codes: 1,
            expires_at_ms: 42,
        }
    }

    fn as_request(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().expect("ascii").split(';').next().expect("pair").to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; {pair}")).expect("header"));
        headers
    }

    #[test]
    fn round_trips_and_hides_the_intent() {
        let value = codec().write(&state()).expect("cookie");
        let text = value.to_str().expect("ascii");
        assert!(!text.contains("acc_secret_intent") && !text.contains("user_2fa_sms"), "{text}");
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Strict") && text.contains("Path=/"));
        assert_eq!(codec().read(&as_request(&value)), Some(state()));
    }

    #[test]
    fn another_key_or_a_tampered_value_reads_nothing() {
        let value = codec().write(&state()).expect("cookie");
        let other = CookieCodec::new(&[8u8; 64], false, Duration::from_secs(300));
        assert_eq!(other.read(&as_request(&value)), None);
        let tampered = value.to_str().expect("ascii").replacen("cf_flow=", "cf_flow=A", 1);
        assert_eq!(codec().read(&as_request(&HeaderValue::from_str(&tampered).expect("header"))), None);
    }

    #[test]
    fn secure_flag_follows_the_setting() {
        let secure = CookieCodec::new(&[7u8; 64], true, Duration::from_secs(300));
        assert!(secure.write(&state()).expect("cookie").to_str().expect("ascii").contains("Secure"));
        assert!(secure.clear().to_str().expect("ascii").contains("Max-Age=0"));
    }
}
