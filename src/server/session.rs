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

    /// The flow of `provider` in this browser, if its cookie is present, whole, authentic and ours.
    pub fn read(&self, headers: &HeaderMap, provider: &str) -> Option<FlowState> {
        let name = cookie_name(provider);
        let sent: Vec<Cookie<'_>> = sent_cookies(headers).collect();
        let value_of = |wanted: &str| {
            sent.iter()
                .find(|c| c.name() == wanted)
                .map(|c| c.value().to_owned())
        };
        // A state too long for one cookie is split: the first says how many parts there are ("3.…").
        let first = value_of(&name)?;
        let sealed = match first.split_once('.') {
            Some((parts, head)) => {
                let parts: usize = parts.parse().ok().filter(|n| (2..=MAX_PARTS).contains(n))?;
                let mut whole = head.to_owned();
                for i in 1..parts {
                    whole.push_str(&value_of(&part_name(&name, i))?);
                }
                whole
            }
            None => first,
        };
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(name.clone(), sealed));
        let cookie = jar.private(&self.key).get(&name)?;
        serde_json::from_str::<FlowState>(cookie.value())
            .ok()
            .filter(|state| state.provider == provider)
    }

    /// The `Set-Cookie` values that store `state`: one cookie, or up to [`MAX_PARTS`] when the sealed state
    /// is longer than a browser keeps in one (a CAPTCHA's data can be long), plus the removal of parts a
    /// longer earlier state left in `sent` (the request's headers). `None` when the state is too long even
    /// for that.
    pub fn write(&self, state: &FlowState, sent: &HeaderMap) -> Option<Vec<HeaderValue>> {
        let json = serde_json::to_string(state).ok()?;
        let name = cookie_name(&state.provider);
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(Cookie::new(name.clone(), json));
        let sealed = jar.get(&name)?.value().to_owned();
        // Base64 is ASCII, so splitting by bytes keeps whole characters.
        let parts: Vec<&str> = sealed
            .as_bytes()
            .chunks(PART_LEN)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        if parts.len() > MAX_PARTS {
            return None;
        }
        let mut values = Vec::with_capacity(MAX_PARTS);
        for (i, part) in parts.iter().enumerate() {
            let (cookie_name, value) = match (i, parts.len()) {
                (0, 1) => (name.clone(), (*part).to_owned()),
                (0, n) => (name.clone(), format!("{n}.{part}")),
                (i, _) => (part_name(&name, i), (*part).to_owned()),
            };
            values.push(self.header(cookie_name, value, self.max_age)?);
        }
        let present = |wanted: &str| sent_cookies(sent).any(|c| c.name() == wanted);
        for i in parts.len().max(1)..MAX_PARTS {
            let stale = part_name(&name, i);
            if present(&stale) {
                values.push(self.header(stale, String::new(), Duration::ZERO)?);
            }
        }
        Some(values)
    }

    /// The `Set-Cookie` values that remove the flow cookie of `provider`, with any parts it had.
    pub fn clear(&self, provider: &str) -> Vec<HeaderValue> {
        let name = cookie_name(provider);
        (0..MAX_PARTS)
            .map(|i| {
                if i == 0 {
                    name.clone()
                } else {
                    part_name(&name, i)
                }
            })
            .filter_map(|n| self.header(n, String::new(), Duration::ZERO))
            .collect()
    }

    fn header(&self, name: String, value: String, max_age: Duration) -> Option<HeaderValue> {
        let cookie = Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure)
            .path("/")
            .max_age(time::Duration::seconds(
                i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
            ));
        HeaderValue::from_str(&cookie.build().to_string()).ok()
    }
}

/// Longest value put in one cookie: with the name and attributes it stays under the 4,096 bytes browsers keep.
const PART_LEN: usize = 3_800;
/// At most this many cookies for one flow (about 11 KB): beyond, servers and proxies refuse the request
/// headers.
pub const MAX_PARTS: usize = 3;

/// The cookies a request carries, from all its `Cookie` headers; unparsable pairs are skipped.
pub fn sent_cookies(headers: &HeaderMap) -> impl Iterator<Item = Cookie<'_>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| Cookie::split_parse(text).flatten())
}

fn part_name(name: &str, i: usize) -> String {
    format!("{name}_{i}")
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

    /// The `Cookie` header a browser sends back after `set_cookies` (removals left out).
    fn as_request_all(set_cookies: &[HeaderValue]) -> HeaderMap {
        let pairs: Vec<String> = set_cookies
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .filter(|v| !v.contains("Max-Age=0"))
            .map(|v| v.split(';').next().expect("pair").to_owned())
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {}", pairs.join("; "))).expect("header"),
        );
        headers
    }

    fn as_request(set_cookie: &HeaderValue) -> HeaderMap {
        as_request_all(std::slice::from_ref(set_cookie))
    }

    fn write(codec: &CookieCodec, state: &FlowState) -> HeaderValue {
        let mut values = codec.write(state, &HeaderMap::new()).expect("cookie");
        assert_eq!(values.len(), 1, "a small state is one cookie");
        values.remove(0)
    }

    /// A CAPTCHA checkpoint whose data is `data_len` characters of random-looking text.
    fn captcha_state(data_len: usize) -> FlowState {
        use crate::model::{CheckpointKind, CheckpointView};
        let data: String = (0..data_len)
            .map(|i| {
                char::from(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [(i * 7919 + i / 3) % 64],
                )
            })
            .collect();
        FlowState {
            step: FlowStep::Checkpoint(CheckpointView {
                kind: CheckpointKind::Captcha {
                    public_key: "3117BF26-4762-4F5A-8ED9-A85E69209A46".into(),
                    data,
                },
                notice: None,
                confirmation: None,
                attempts_left: 5,
                expires_at_ms: 42,
                resend_at_ms: None,
                can_switch: false,
                flow_id: "f1".into(),
            }),
            ..state()
        }
    }

    #[test]
    fn a_long_state_is_split_over_several_cookies_and_read_back_whole() {
        let long = captcha_state(5_000);
        let values = codec().write(&long, &HeaderMap::new()).expect("cookies");
        assert_eq!(values.len(), 2, "{values:?}");
        for v in &values {
            let text = v.to_str().expect("ascii");
            assert!(text.len() < 4_096, "{} bytes", text.len());
            assert!(text.contains("HttpOnly") && text.contains("SameSite=Strict"));
        }
        let sent = as_request_all(&values);
        assert_eq!(codec().read(&sent, "linkedin"), Some(long.clone()));

        // A part missing, or a part from another state, reads nothing.
        assert_eq!(codec().read(&as_request(&values[0]), "linkedin"), None);
        let other = codec()
            .write(&captcha_state(5_001), &HeaderMap::new())
            .expect("cookies");
        assert_eq!(
            codec().read(
                &as_request_all(&[values[0].clone(), other[1].clone()]),
                "linkedin"
            ),
            None
        );

        // The next, short state removes the part the long one left.
        let short = codec().write(&state(), &sent).expect("cookie");
        assert_eq!(short.len(), 2, "{short:?}");
        assert!(short[1]
            .to_str()
            .expect("ascii")
            .starts_with("cf_flow_linkedin_1=;"));
        assert!(short[1].to_str().expect("ascii").contains("Max-Age=0"));
        assert_eq!(
            codec().read(&as_request(&short[0]), "linkedin"),
            Some(state())
        );

        // Beyond three cookies the state is refused rather than silently dropped by the browser.
        assert!(codec()
            .write(&captcha_state(12_000), &HeaderMap::new())
            .is_none());
    }

    #[test]
    fn round_trips_and_hides_the_intent() {
        let value = write(&codec(), &state());
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
        let value = write(&codec(), &state());
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
        assert!(write(&secure, &state())
            .to_str()
            .expect("ascii")
            .contains("Secure"));
        let cleared = secure.clear("linkedin");
        assert_eq!(cleared.len(), MAX_PARTS);
        for value in cleared {
            let text = value.to_str().expect("ascii");
            assert!(
                text.contains("Max-Age=0") && text.contains("Secure"),
                "{text}"
            );
        }
    }
}
