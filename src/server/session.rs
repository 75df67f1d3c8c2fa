//! The flow cookie: the pending intent and the current step, encrypted and authenticated (AES-256-GCM via
//! the `cookie` crate's private jar), HttpOnly and SameSite=Strict. The server keeps no per-user state, so
//! any replica holding the same `SESSION_SECRET` can continue a flow, and a reload resumes it.

use crate::model::{FlowStep, FormValues};
use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{time, Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One cookie per provider, so flows for two providers in two tabs do not overwrite each other.
pub fn cookie_name(provider: &str) -> String {
    format!("cf_flow_{provider}")
}

/// Everything the server remembers about one browser's sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// Catalogue id of the provider.
    pub provider: String,
    /// Random, non-secret id of this attempt; forms carry it so a stale tab cannot act on a newer attempt.
    pub flow_id: String,
    /// Unipile's intent while a checkpoint is open; never sent to the browser.
    pub intent_id: Option<String>,
    /// Kept so the form can be refilled after a refusal or expiry (never a secret).
    pub form: FormValues,
    pub step: FlowStep,
    pub wrong_codes: u8,
    /// When a code was last sent (the checkpoint appeared or "Resend code"), ms since the epoch.
    pub code_sent_at_ms: u64,
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
        CookieCodec {
            key: Key::derive_from(master),
            secure,
            max_age: lifetime + Duration::from_secs(600),
        }
    }

    /// The flow of `provider` in this browser, if its cookie is present, authentic and ours.
    pub fn read(&self, headers: &HeaderMap, provider: &str) -> Option<FlowState> {
        let name = cookie_name(provider);
        let mut jar = CookieJar::new();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for cookie in Cookie::split_parse(text).flatten() {
                if cookie.name() == name {
                    jar.add_original(cookie.into_owned());
                }
            }
        }
        let cookie = jar.private(&self.key).get(&name)?;
        serde_json::from_str::<FlowState>(cookie.value())
            .ok()
            .filter(|state| state.provider == provider)
    }

    /// The `Set-Cookie` value that stores `state`.
    pub fn write(&self, state: &FlowState) -> Option<HeaderValue> {
        let json = serde_json::to_string(state).ok()?;
        let name = cookie_name(&state.provider);
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(
            Cookie::build((name.clone(), json))
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(self.secure)
                .path("/")
                .max_age(time::Duration::seconds(
                    i64::try_from(self.max_age.as_secs()).unwrap_or(i64::MAX),
                )),
        );
        let cookie = jar.get(&name)?;
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// The `Set-Cookie` value that removes the flow cookie of `provider`.
    pub fn clear(&self, provider: &str) -> HeaderValue {
        let cookie = Cookie::build((cookie_name(provider), ""))
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .path("/")
            .max_age(time::Duration::ZERO);
        HeaderValue::from_str(&cookie.build().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static(""))
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
            flow_id: "f1".into(),
            intent_id: Some("acc_secret_intent".into()),
            form: FormValues {
                values: [("username".to_owned(), "user_2fa_sms".to_owned())].into(),
                ..FormValues::default()
            },
            step: FlowStep::Form(FormState::default()),
            wrong_codes: 1,
            code_sent_at_ms: 7,
            expires_at_ms: 42,
        }
    }

    fn as_request(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).expect("header"),
        );
        headers
    }

    #[test]
    fn round_trips_and_hides_the_intent() {
        let value = codec().write(&state()).expect("cookie");
        let text = value.to_str().expect("ascii");
        assert!(
            !text.contains("acc_secret_intent") && !text.contains("user_2fa_sms"),
            "{text}"
        );
        assert!(
            text.contains("HttpOnly")
                && text.contains("SameSite=Strict")
                && text.contains("Path=/")
        );
        assert_eq!(codec().read(&as_request(&value), "linkedin"), Some(state()));
        assert_eq!(codec().read(&as_request(&value), "instagram"), None);
    }

    #[test]
    fn another_key_or_a_tampered_value_reads_nothing() {
        let value = codec().write(&state()).expect("cookie");
        let other = CookieCodec::new(&[8u8; 64], false, Duration::from_secs(300));
        assert_eq!(other.read(&as_request(&value), "linkedin"), None);
        let tampered =
            value
                .to_str()
                .expect("ascii")
                .replacen("cf_flow_linkedin=", "cf_flow_linkedin=A", 1);
        assert_eq!(
            codec().read(
                &as_request(&HeaderValue::from_str(&tampered).expect("header")),
                "linkedin"
            ),
            None
        );
    }

    #[test]
    fn secure_flag_follows_the_setting() {
        let secure = CookieCodec::new(&[7u8; 64], true, Duration::from_secs(300));
        assert!(secure
            .write(&state())
            .expect("cookie")
            .to_str()
            .expect("ascii")
            .contains("Secure"));
        assert!(secure
            .clear("linkedin")
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0"));
    }
}
