//! The flow cookie: the pending intent and the current step, encrypted and authenticated with AES-256-GCM,
//! HttpOnly and SameSite=Strict; when the site is https, Secure and named `__Host-cf_flow_…`. The server
//! keeps no per-user state, so any replica holding the same `SESSION_SECRET` can continue a flow, and a
//! reload resumes it.
//!
//! A sealed value is the `cookie` crate's private cookie: base64 (standard, padded) of a random 96-bit nonce,
//! the ciphertext and the 128-bit tag, with the cookie's name as associated data and the key the crate
//! derives from the secret. It is sealed here rather than through the crate's jar, which copies the value
//! into a new buffer, a cookie and a jar and expands the key again on every call: the cipher is made once,
//! the state's JSON is written straight into the buffer that is encrypted in place, and each `Set-Cookie`
//! text is written once. The tests check that each side opens what the other seals.

use crate::model::{FlowStep, FormValues};
use aes_gcm::{
    aead::{AeadInPlace, KeyInit},
    Aes256Gcm, Nonce, Tag,
};
use axum::http::{header, HeaderMap, HeaderValue};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use cookie::{Cookie, Key};
use serde::{Deserialize, Serialize};
use std::{
    sync::{
        atomic::{AtomicBool, Ordering::Relaxed},
        Arc,
    },
    time::Duration,
};

/// The start of every flow cookie's name; one cookie per provider, so flows for two providers in two tabs
/// do not overwrite each other.
const PREFIX: &str = "cf_flow_";
/// The same for Secure cookies. A browser keeps a `__Host-` cookie only when this very host set it over
/// https with `Path=/` and no `Domain`, so a sibling subdomain can neither plant one nor overwrite ours.
const SECURE_PREFIX: &str = "__Host-cf_flow_";
/// The start-link pass of a provider (see `super::links`): what a valid signed link let this browser do.
const LINK_PREFIX: &str = "cf_link_";
const SECURE_LINK_PREFIX: &str = "__Host-cf_link_";

/// Everything the server remembers about one browser's sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// Catalogue id of the provider.
    pub provider: String,
    /// Random, non-secret id of this attempt; forms carry it so a stale tab cannot act on a newer attempt.
    /// It names the attempt's record in the flow store.
    pub flow_id: String,
    /// The step's generation in the flow record: a call carrying an older one is refused (single use).
    /// 0 while the attempt has no record (the form).
    #[serde(default)]
    pub generation: u64,
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

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

pub struct CookieCodec {
    cipher: Aes256Gcm,
    secure: bool,
    /// [`PREFIX`] or, for Secure cookies, [`SECURE_PREFIX`].
    prefix: &'static str,
    /// What follows a flow cookie's value: `; HttpOnly; SameSite=Strict[; Secure]; Path=/; Max-Age=N`. The
    /// browser keeps the cookie a little longer than the attempt, so an expired attempt can be reported as
    /// "expired" rather than silently forgotten.
    attributes: String,
    /// The same with `Max-Age=0`, which removes the cookie.
    removal: String,
}

impl CookieCodec {
    /// `master` must hold at least 32 bytes of secret material. `secure`: the site is served over https
    /// (the cookies are then Secure and `__Host-` named, which also needs `Path=/` and no `Domain`).
    pub fn new(master: &[u8], secure: bool, lifetime: Duration) -> CookieCodec {
        let key = Key::derive_from(master);
        let flag = if secure { "; Secure" } else { "" };
        CookieCodec {
            // A derived key's encryption half is always 32 bytes, the length `from_slice` requires.
            cipher: Aes256Gcm::new(aes_gcm::Key::<Aes256Gcm>::from_slice(key.encryption())),
            secure,
            prefix: if secure { SECURE_PREFIX } else { PREFIX },
            attributes: format!(
                "; HttpOnly; SameSite=Strict{flag}; Path=/; Max-Age={}",
                (lifetime + Duration::from_secs(600)).as_secs()
            ),
            removal: format!("; HttpOnly; SameSite=Strict{flag}; Path=/; Max-Age=0"),
        }
    }

    /// Whether the cookies are Secure: the operator declared the site https.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The name of the flow cookie of `provider` (the parts of a split state add `_1`, `_2`). Only this name
    /// is read: with Secure cookies an unprefixed `cf_flow_…` is someone else's and ignored.
    pub fn cookie_name(&self, provider: &str) -> String {
        let mut name = String::with_capacity(self.prefix.len() + provider.len());
        name.push_str(self.prefix);
        name.push_str(provider);
        name
    }

    /// The flow of `provider` in this browser, if its cookie is present, whole, authentic and ours. A cookie
    /// sent but refused reads as no flow and is logged as a warning, without its value.
    pub fn read(&self, headers: &HeaderMap, provider: &str) -> Option<FlowState> {
        self.read_once(headers, provider, None)
    }

    /// [`Self::read`], with the warning of a refused cookie given only by the first read that shares
    /// `logged` (every read of one request does).
    pub fn read_once(
        &self,
        headers: &HeaderMap,
        provider: &str,
        logged: Option<&RefusalLogged>,
    ) -> Option<FlowState> {
        match self.examine(headers, provider) {
            Ok(state) => state,
            Err(refused) => {
                if !logged.is_some_and(|l| l.0.swap(true, Relaxed)) {
                    tracing::warn!(provider, "flow cookie refused: {}", refused.reason());
                }
                None
            }
        }
    }

    /// The flow of `provider`; `Ok(None)` when no flow cookie was sent.
    fn examine(&self, headers: &HeaderMap, provider: &str) -> Result<Option<FlowState>, Refused> {
        let name = self.cookie_name(provider);
        let sent: Vec<Cookie<'_>> = sent_cookies(headers).collect();
        let value_of = |wanted: &str| sent.iter().find(|c| c.name() == wanted).map(|c| c.value());
        // An emptied cookie is what a removal leaves in a client that does not drop it.
        let Some(first) = value_of(&name).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        // A state too long for one cookie is split: the first says how many parts there are ("3.…").
        let state: FlowState = match first.split_once('.') {
            Some((parts, head)) => {
                let parts: usize = parts
                    .parse()
                    .ok()
                    .filter(|n| (2..=MAX_PARTS).contains(n))
                    .ok_or(Refused::Incomplete)?;
                let mut whole = head.to_owned();
                for i in 1..parts {
                    whole.push_str(value_of(&part_name(&name, i)).ok_or(Refused::Incomplete)?);
                }
                self.open(&name, &whole)
            }
            None => self.open(&name, first),
        }?;
        if state.provider != provider {
            return Err(Refused::NotAuthentic);
        }
        Ok(Some(state))
    }

    /// The `Set-Cookie` values that store `state`: one cookie, or up to [`MAX_PARTS`] when the sealed state
    /// is longer than a browser keeps in one (a CAPTCHA's data can be long), plus the removal of parts a
    /// longer earlier state left in `sent` (the request's headers). `None` when the state is too long even
    /// for that.
    pub fn write(&self, state: &FlowState, sent: &HeaderMap) -> Option<Vec<HeaderValue>> {
        let name = self.cookie_name(&state.provider);
        let sealed = self.seal(&name, state)?;
        // Base64 is ASCII, so splitting by bytes keeps whole characters.
        let parts = sealed.len().div_ceil(PART_LEN).max(1);
        if parts > MAX_PARTS {
            return None;
        }
        let mut values = Vec::with_capacity(parts);
        for (i, part) in sealed.as_bytes().chunks(PART_LEN).enumerate() {
            let part = std::str::from_utf8(part).ok()?;
            let value = match (i, parts) {
                (0, 1) => set_cookie(&name, "", part, &self.attributes),
                (0, n) => set_cookie(&name, PART_COUNTS[n], part, &self.attributes),
                (i, _) => set_cookie(&part_name(&name, i), "", part, &self.attributes),
            };
            values.push(value?);
        }
        // Parts a longer earlier state left behind: `<name>_<i>` among the cookies sent.
        let mut stale = [false; MAX_PARTS];
        for cookie in sent_cookies(sent) {
            let part = cookie
                .name()
                .strip_prefix(name.as_str())
                .and_then(|rest| rest.strip_prefix('_'));
            if let Some(i) = part.and_then(|i| i.parse::<usize>().ok()) {
                if let Some(slot) = stale.get_mut(i) {
                    *slot = i >= parts;
                }
            }
        }
        for (i, _) in stale.iter().enumerate().filter(|(_, stale)| **stale) {
            values.push(set_cookie(&part_name(&name, i), "", "", &self.removal)?);
        }
        Some(values)
    }

    /// The name of the start-link pass cookie of `provider`.
    fn link_cookie_name(&self, provider: &str) -> String {
        let prefix = if self.secure {
            SECURE_LINK_PREFIX
        } else {
            LINK_PREFIX
        };
        format!("{prefix}{provider}")
    }

    /// The `Set-Cookie` value that keeps `pass` for `provider` for `max_age`: sealed like the flow cookie
    /// (its name bound in), HttpOnly, SameSite=Strict, Secure and `__Host-` named on an https site.
    pub fn write_link_pass<T: Serialize>(
        &self,
        provider: &str,
        pass: &T,
        max_age: Duration,
    ) -> Option<HeaderValue> {
        let name = self.link_cookie_name(provider);
        let sealed = self.seal(&name, pass)?;
        let flag = if self.secure { "; Secure" } else { "" };
        let attributes = format!(
            "; HttpOnly; SameSite=Strict{flag}; Path=/; Max-Age={}",
            max_age.as_secs().max(1)
        );
        set_cookie(&name, "", &sealed, &attributes)
    }

    /// The start-link pass of `provider` this browser holds, if its cookie is present and authentic.
    pub fn read_link_pass<T: serde::de::DeserializeOwned>(
        &self,
        headers: &HeaderMap,
        provider: &str,
    ) -> Option<T> {
        let name = self.link_cookie_name(provider);
        let sealed = sent_cookies(headers)
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty())?;
        match self.open(&name, &sealed) {
            Ok(pass) => Some(pass),
            Err(refused) => {
                tracing::warn!(provider, "start-link pass refused: {}", refused.reason());
                None
            }
        }
    }

    /// The `Set-Cookie` value that removes the start-link pass of `provider`.
    pub fn clear_link_pass(&self, provider: &str) -> Option<HeaderValue> {
        set_cookie(&self.link_cookie_name(provider), "", "", &self.removal)
    }

    /// A value kept on the flow store (what a wait came to), sealed like a cookie but under `label`, which
    /// names where it belongs (the flow and its generation): what the store holds is neither readable nor
    /// forgeable there, nor movable to another flow, step or cookie.
    pub fn seal_record<T: Serialize>(&self, label: &str, value: &T) -> Option<String> {
        self.seal(label, value)
    }

    /// A value sealed by [`seal_record`](Self::seal_record) under `label`, if it is authentic.
    pub fn open_record<T: serde::de::DeserializeOwned>(
        &self,
        label: &str,
        sealed: &str,
    ) -> Option<T> {
        self.open(label, sealed).ok()
    }

    /// `value` as JSON, encrypted with a fresh nonce and authenticated with `name`, in base64.
    fn seal<T: Serialize>(&self, name: &str, state: &T) -> Option<String> {
        let mut data = Vec::with_capacity(1_024);
        data.resize(NONCE_LEN, 0);
        serde_json::to_writer(&mut data, state).ok()?;
        let (nonce, text) = data.split_at_mut(NONCE_LEN);
        rand::RngCore::fill_bytes(&mut rand::rng(), nonce);
        let tag = self
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(nonce), name.as_bytes(), text)
            .ok()?;
        data.extend_from_slice(&tag);
        Some(STANDARD.encode(&data))
    }

    /// The state sealed in `sealed` under `name`, if it is authentic and reads as a state.
    fn open<T: serde::de::DeserializeOwned>(&self, name: &str, sealed: &str) -> Result<T, Refused> {
        let mut data = STANDARD.decode(sealed).map_err(|_| Refused::NotAuthentic)?;
        if data.len() < NONCE_LEN + TAG_LEN {
            return Err(Refused::NotAuthentic);
        }
        let (nonce, rest) = data.split_at_mut(NONCE_LEN);
        let (text, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
        self.cipher
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                name.as_bytes(),
                text,
                Tag::from_slice(tag),
            )
            .map_err(|_| Refused::NotAuthentic)?;
        serde_json::from_slice(text).map_err(|_| Refused::Unreadable)
    }
}

/// Why a flow cookie that was sent is not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    /// Split in parts, of which one is missing or whose count is wrong.
    Incomplete,
    /// Not sealed under its name with this key: altered, forged, or from a replica with another secret.
    NotAuthentic,
    /// Authentic, but not a state this version reads.
    Unreadable,
}

impl Refused {
    /// For the operator's log: what was refused and where to look.
    fn reason(self) -> &'static str {
        match self {
            Refused::Incomplete => "a part of it is missing",
            Refused::NotAuthentic => {
                "not authentic (altered, or sealed with another SESSION_SECRET than this replica's)"
            }
            Refused::Unreadable => "authentic but not a state this version reads",
        }
    }
}

/// Shared by every read of one request (the front door puts one among the request's extensions), so a
/// refused flow cookie is logged once however many times the request reads it.
#[derive(Clone, Debug, Default)]
pub struct RefusalLogged(Arc<AtomicBool>);

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

/// `<name>_<i>`, the name of part `i` (1 or 2) of a split state.
fn part_name(name: &str, i: usize) -> String {
    let mut part = String::with_capacity(name.len() + 2);
    part.push_str(name);
    part.push('_');
    part.push(char::from_digit(i as u32, 10).unwrap_or('0'));
    part
}

/// The `Set-Cookie` value `name=<prefix><value><attributes>`.
fn set_cookie(name: &str, prefix: &str, value: &str, attributes: &str) -> Option<HeaderValue> {
    let mut text =
        String::with_capacity(name.len() + 1 + prefix.len() + value.len() + attributes.len());
    text.push_str(name);
    text.push('=');
    text.push_str(prefix);
    text.push_str(value);
    text.push_str(attributes);
    HeaderValue::try_from(text).ok()
}

/// The first part of a split state starts with the number of parts: `PART_COUNTS[n]` is `"<n>."`.
const PART_COUNTS: [&str; MAX_PARTS + 1] = ["0.", "1.", "2.", "3."];

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
            generation: 3,
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
                phone: None,
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

    /// The sealed value is the `cookie` crate's private cookie: its jar opens what the codec seals, and the
    /// codec opens what the jar seals, with a key derived from the same secret.
    #[test]
    fn sealed_values_are_the_cookie_crates_private_cookies() {
        use cookie::CookieJar;
        let key = Key::derive_from(&[7u8; 64]);
        let json = serde_json::to_string(&state()).expect("json");

        let ours = write(&codec(), &state());
        let sealed = Cookie::parse(ours.to_str().expect("ascii").to_owned()).expect("cookie");
        let mut jar = CookieJar::new();
        jar.add_original(sealed.clone());
        let opened = jar
            .private(&key)
            .get("cf_flow_linkedin")
            .expect("the jar opens it");
        assert_eq!(opened.value(), json);
        // The name is bound in: the same value under another name does not open.
        let mut renamed = sealed.clone();
        renamed.set_name("cf_flow_instagram");
        assert!(jar.private(&key).decrypt(renamed).is_none());

        let mut jar = CookieJar::new();
        jar.private_mut(&key)
            .add(Cookie::new("cf_flow_linkedin", json));
        let theirs = jar
            .get("cf_flow_linkedin")
            .expect("sealed")
            .value()
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("cf_flow_linkedin={theirs}")).expect("header"),
        );
        assert_eq!(codec().read(&headers, "linkedin"), Some(state()));
    }

    #[test]
    fn a_flow_cookie_is_http_only_strict_and_outlives_the_attempt_by_ten_minutes() {
        let value = write(&codec(), &state());
        let cookie = Cookie::parse(value.to_str().expect("ascii").to_owned()).expect("cookie");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(cookie::SameSite::Strict));
        assert_eq!(cookie.secure(), None);
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(
            cookie.max_age(),
            Some(cookie::time::Duration::seconds(300 + 600))
        );
    }

    fn name_of(value: &HeaderValue) -> &str {
        let text = value.to_str().expect("ascii");
        text.split_once('=').expect("a pair").0
    }

    #[test]
    fn secure_cookies_are_host_prefixed_and_only_those_names_are_read() {
        let secure = CookieCodec::new(&[7u8; 64], true, Duration::from_secs(300));
        assert!(secure.is_secure() && !codec().is_secure());
        let long = captcha_state(5_000);
        let values = secure.write(&long, &HeaderMap::new()).expect("cookies");
        let names: Vec<&str> = values.iter().map(name_of).collect();
        assert_eq!(
            names,
            ["__Host-cf_flow_linkedin", "__Host-cf_flow_linkedin_1"]
        );
        for value in &values {
            // What a browser requires of a `__Host-` cookie: Secure, Path=/ and no Domain.
            let cookie = Cookie::parse(value.to_str().expect("ascii")).expect("cookie");
            assert_eq!(cookie.secure(), Some(true), "{value:?}");
            assert_eq!(cookie.path(), Some("/"), "{value:?}");
            assert_eq!(cookie.domain(), None, "{value:?}");
            assert!(cookie.name().starts_with("__Host-cf_flow_linkedin"));
        }
        assert_eq!(
            secure.read(&as_request_all(&values), "linkedin"),
            Some(long.clone())
        );

        // The same values under the plain names, as a sibling subdomain could plant them, read nothing; nor does
        // a cookie sealed under the plain name with the same key (from a deployment over http).
        let planted: Vec<HeaderValue> = values
            .iter()
            .map(|v| {
                let text = v.to_str().expect("ascii").replace("__Host-", "");
                HeaderValue::from_str(&text).expect("header")
            })
            .collect();
        assert_eq!(secure.read(&as_request_all(&planted), "linkedin"), None);
        let plain = codec().write(&long, &HeaderMap::new()).expect("cookies");
        assert_eq!(
            plain.iter().map(name_of).collect::<Vec<_>>(),
            ["cf_flow_linkedin", "cf_flow_linkedin_1"]
        );
        assert_eq!(
            secure.examine(&as_request_all(&plain), "linkedin"),
            Ok(None)
        );
        // Without Secure, only the plain names are read.
        assert_eq!(
            codec().examine(&as_request_all(&values), "linkedin"),
            Ok(None)
        );
        assert_eq!(
            codec().read(&as_request_all(&plain), "linkedin"),
            Some(long)
        );
    }

    #[test]
    fn a_sent_cookie_that_does_not_open_is_refused_and_says_why() {
        let codec = codec();
        let sent = |cookies: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(cookies).expect("header"),
            );
            headers
        };
        assert_eq!(codec.examine(&HeaderMap::new(), "linkedin"), Ok(None));
        assert_eq!(
            codec.examine(&sent("cf_flow_linkedin="), "linkedin"),
            Ok(None)
        );
        let value = write(&codec, &state());
        let pair = value
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_owned();
        let tampered = pair.replacen("cf_flow_linkedin=", "cf_flow_linkedin=A", 1);
        let truncated = &pair[..pair.len() - 8];
        let other_key = CookieCodec::new(&[8u8; 64], false, Duration::from_secs(300));
        for refused in [tampered.as_str(), truncated, "cf_flow_linkedin=not-base64!"] {
            assert_eq!(
                codec.examine(&sent(refused), "linkedin"),
                Err(Refused::NotAuthentic),
                "{refused}"
            );
        }
        assert_eq!(
            other_key.examine(&sent(&pair), "linkedin"),
            Err(Refused::NotAuthentic)
        );

        let split = codec
            .write(&captcha_state(5_000), &HeaderMap::new())
            .expect("cookies");
        assert_eq!(
            codec.examine(&as_request(&split[0]), "linkedin"),
            Err(Refused::Incomplete)
        );
        assert_eq!(
            codec.examine(&sent("cf_flow_linkedin=9.AAAA"), "linkedin"),
            Err(Refused::Incomplete)
        );

        // Sealed with our key under its name, but not a state.
        let key = Key::derive_from(&[7u8; 64]);
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(&key)
            .add(Cookie::new("cf_flow_linkedin", "{\"provider\":1}"));
        let sealed = jar
            .get("cf_flow_linkedin")
            .expect("sealed")
            .value()
            .to_owned();
        assert_eq!(
            codec.examine(&sent(&format!("cf_flow_linkedin={sealed}")), "linkedin"),
            Err(Refused::Unreadable)
        );
    }

    /// Log lines written while `f` runs on this thread.
    fn logged(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("lock").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = lines.0.lock().expect("lock").clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn a_refused_cookie_is_logged_once_per_request_without_its_value() {
        let codec = codec();
        let value = write(&codec, &state());
        let pair = value
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_owned();
        let tampered = pair.replacen("cf_flow_linkedin=", "cf_flow_linkedin=A", 1);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&tampered).expect("header"),
        );

        let request = RefusalLogged::default();
        let logs = logged(|| {
            for _ in 0..3 {
                assert_eq!(codec.read_once(&headers, "linkedin", Some(&request)), None);
            }
        });
        let warnings: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("flow cookie refused"))
            .collect();
        assert_eq!(warnings.len(), 1, "{logs}");
        assert!(
            warnings[0].contains("WARN") && warnings[0].contains("not authentic"),
            "{logs}"
        );
        assert!(
            warnings[0].contains("linkedin"),
            "the provider is named: {logs}"
        );
        let sealed = tampered.split_once('=').expect("pair").1;
        assert!(
            !logs.contains(sealed) && !logs.contains(&sealed[..16]),
            "{logs}"
        );

        // Another request warns again; a cookie that opens, or none, never does.
        let again = logged(|| {
            codec.read_once(&headers, "linkedin", Some(&RefusalLogged::default()));
        });
        assert_eq!(again.matches("flow cookie refused").count(), 1, "{again}");
        let quiet = logged(|| {
            assert!(codec.read(&as_request(&value), "linkedin").is_some());
            assert!(codec.read(&HeaderMap::new(), "linkedin").is_none());
        });
        assert_eq!(quiet, "");
    }
}
