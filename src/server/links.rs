//! Signed start links: with `access.signed_links`, only a visitor holding a link the host's backend signed
//! with `LINK_SECRET` may start a sign-in. A link is `/connect/<provider>?<parameters>&sig=<hex>`, its
//! parameters being the page's own (`state`, `account_id`, `success_url`, `failure_url`, `lang`) plus
//! `expires` (unix seconds, at most `access.max_link_lifetime_secs` ahead) and `nonce` (8–64 characters of
//! `A-Z a-z 0-9 _ -`). The signed message is `/connect/<provider>?<canonical form>`: every parameter but
//! `sig`, sorted by name (then value), written `application/x-www-form-urlencoded` (space as `+`), joined
//! by `&`; `sig` is the lowercase hex HMAC-SHA256 of it keyed with `LINK_SECRET`.
//!
//! The page checks the link and, when it is valid, gives the browser a pass: a sealed cookie binding the
//! link's nonce, its expiry and its parameters. The sign-in endpoint takes a sign-in only from a browser
//! holding a pass whose parameters are the ones posted, and spends the nonce on the flow store when the
//! sign-in starts (until the link expires, on every replica): a link opens one sign-in, in one browser. The
//! sign-in in progress then goes on with its flow cookie, as ever.

use super::{
    request::RequestCx,
    session::FlowState,
    store::{LinkNonce, StoreError},
};
use crate::{
    catalogue::{self, SignInForm},
    error::ErrorCode,
    model::{FlowStep, FormValues},
};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

/// Why a link, or a sign-in said to come from one, is refused. Counted in `/metrics` by [`Self::reason`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No `sig` (the page), or no pass from a valid link (the sign-in).
    Missing,
    /// `sig` is not the signature of these parameters with this key: altered, or signed with another key.
    BadSignature,
    /// Signed, but unreadable: `expires` not a number, a parameter given twice, a parameter the page
    /// refuses (a malformed `account_id`, a return address outside `embed.allowed_origins`).
    Malformed,
    /// `expires` has passed.
    Expired,
    /// `expires` is further ahead than `access.max_link_lifetime_secs`.
    LifetimeTooLong,
    /// `nonce` missing, or not 8–64 characters of `A-Z a-z 0-9 _ -`.
    BadNonce,
    /// The nonce was spent by a sign-in in another browser.
    Reused,
    /// A sign-in posted with a reconnect, state or return address other than its link's.
    NotFromLink,
}

impl Refusal {
    pub const ALL: [Refusal; 8] = [
        Refusal::Missing,
        Refusal::BadSignature,
        Refusal::Malformed,
        Refusal::Expired,
        Refusal::LifetimeTooLong,
        Refusal::BadNonce,
        Refusal::Reused,
        Refusal::NotFromLink,
    ];

    /// The `reason` label of the metric and the log line.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::BadSignature => "bad_signature",
            Refusal::Malformed => "malformed",
            Refusal::Expired => "expired",
            Refusal::LifetimeTooLong => "lifetime_too_long",
            Refusal::BadNonce => "bad_nonce",
            Refusal::Reused => "reused",
            Refusal::NotFromLink => "not_from_link",
        }
    }

    /// What the user and the host's `failure_url` are told: a link that was good and no longer is
    /// (expired, used) is `link_expired`; anything else `link_invalid`.
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::Expired | Refusal::Reused => ErrorCode::LinkExpired,
            _ => ErrorCode::LinkInvalid,
        }
    }
}

/// What a valid link let this browser do, kept in its sealed pass cookie: start one sign-in with these
/// parameters before `expires`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    pub nonce: String,
    /// A random name for this browser's use of the link: the nonce is spent for it, so this browser may
    /// try again (a wrong password) where another is refused.
    pub holder: String,
    /// Unix seconds.
    pub expires: u64,
    pub account_id: Option<String>,
    pub state: Option<String>,
    pub success_url: Option<String>,
    pub failure_url: Option<String>,
}

impl Pass {
    /// The form's link parameters, as the pass binds them.
    pub fn form_values(&self) -> FormValues {
        FormValues {
            account_id: self.account_id.clone(),
            state: self.state.clone(),
            success_url: self.success_url.clone(),
            failure_url: self.failure_url.clone(),
            ..FormValues::default()
        }
    }

    fn left(&self, now_secs: u64) -> Duration {
        Duration::from_secs(self.expires.saturating_sub(now_secs))
    }
}

/// A refusal, with where the user may go back to: the `failure_url` and `state` of a link whose signature
/// holds (an expired or used one), never those of a link that is not authentic.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub why: Refusal,
    pub failure_url: Option<String>,
    pub state: Option<String>,
}

impl Refused {
    fn bare(why: Refusal) -> Refused {
        Refused {
            why,
            failure_url: None,
            state: None,
        }
    }

    fn back_to(why: Refusal, failure_url: Option<String>, state: Option<String>) -> Refused {
        Refused {
            why,
            failure_url,
            state,
        }
    }

    /// The form values the refusal is shown with: only its way back.
    pub fn back(self) -> FormValues {
        FormValues {
            failure_url: self.failure_url,
            state: self.state,
            ..FormValues::default()
        }
    }
}

/// `LINK_SECRET` and the longest lifetime allowed: what checking a link takes.
pub struct StartLinks {
    key: SecretString,
    max_lifetime_secs: u64,
}

/// The HMAC-SHA256 of `message` with `key`, in lowercase hex.
fn hmac_hex(key: &[u8], message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `text` written `application/x-www-form-urlencoded`, as browsers and `URLSearchParams` write it:
/// letters, digits and `*-._` as they are, a space as `+`, every other byte of its UTF-8 as `%XX`.
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A query string's pairs, decoded (`+` is a space, `%XX` a byte); `None` when a value is not UTF-8 or an
/// escape is cut short, which no link built as the README says contains.
pub fn query_pairs(query: &str) -> Option<Vec<(String, String)>> {
    fn decode(raw: &str) -> Option<String> {
        let raw = raw.as_bytes();
        let mut bytes = Vec::with_capacity(raw.len());
        let mut i = 0;
        while let Some(&b) = raw.get(i) {
            match b {
                b'+' => bytes.push(b' '),
                b'%' => {
                    let hex = raw.get(i + 1..i + 3)?;
                    let hex = std::str::from_utf8(hex).ok()?;
                    bytes.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                b => bytes.push(b),
            }
            i += 1;
        }
        String::from_utf8(bytes).ok()
    }
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

/// The canonical form of a link's parameters: all but `sig`, sorted by name then value, each written
/// `name=value` in `application/x-www-form-urlencoded`, joined by `&`.
pub fn canonical(pairs: &[(String, String)]) -> String {
    let mut signed: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "sig").collect();
    signed.sort();
    signed
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A nonce as links carry it: 8 to 64 characters of `A-Z a-z 0-9 _ -`.
pub fn valid_nonce(nonce: &str) -> bool {
    (8..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl StartLinks {
    pub fn new(key: SecretString, max_lifetime_secs: u64) -> StartLinks {
        StartLinks {
            key,
            max_lifetime_secs,
        }
    }

    fn signature(&self, provider: &str, canonical: &str) -> String {
        hmac_hex(
            self.key.expose_secret().as_bytes(),
            &format!("/connect/{provider}?{canonical}"),
        )
    }

    /// A signed link to the page of `provider` with `params` (which should include `expires` and `nonce`):
    /// what the host's backend builds. The sandbox's demo host uses it.
    pub fn sign(&self, provider: &str, params: &[(&str, &str)]) -> String {
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let canonical = canonical(&pairs);
        let sig = self.signature(provider, &canonical);
        format!("/connect/{provider}?{canonical}&sig={sig}")
    }

    /// Checks the link in `query` (the page's query string) for `provider` at `now_secs`: the pass it
    /// grants, or why not. The nonce's use is for the caller to look at, on the flow store.
    pub fn check(
        &self,
        provider: &str,
        query: &str,
        now_secs: u64,
        allowed_origins: &[String],
    ) -> Result<Pass, Refused> {
        let pairs = query_pairs(query).ok_or(Refused::bare(Refusal::Malformed))?;
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let Some(sig) = get("sig") else {
            return Err(Refused::bare(Refusal::Missing));
        };
        let expected = self.signature(provider, &canonical(&pairs));
        // Constant time: the comparison says nothing of where a forged signature first differs.
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            sig.as_bytes(),
            expected.as_bytes(),
        )) {
            return Err(Refused::bare(Refusal::BadSignature));
        }
        // Authentic from here: its own return address is where the user may go back to.
        let param = |name: &str| get(name).unwrap_or_default();
        let (account_id, state) = catalogue::link_params(param("account_id"), param("state"))
            .map_err(|_| Refused::bare(Refusal::Malformed))?;
        let (success_url, failure_url) =
            catalogue::redirect_params(param("success_url"), param("failure_url"), allowed_origins)
                .map_err(|_| Refused::bare(Refusal::Malformed))?;
        let refused = |why| Refused::back_to(why, failure_url.clone(), state.clone());
        let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(refused(Refusal::Malformed));
        }
        let nonce = get("nonce").unwrap_or_default();
        if !valid_nonce(nonce) {
            return Err(refused(Refusal::BadNonce));
        }
        let expires: u64 = get("expires")
            .and_then(|e| e.parse().ok())
            .ok_or_else(|| refused(Refusal::Malformed))?;
        if expires <= now_secs {
            return Err(refused(Refusal::Expired));
        }
        if expires - now_secs > self.max_lifetime_secs {
            return Err(refused(Refusal::LifetimeTooLong));
        }
        Ok(Pass {
            nonce: nonce.to_owned(),
            holder: new_holder(),
            expires,
            account_id,
            state,
            success_url,
            failure_url,
        })
    }
}

fn new_holder() -> String {
    use rand::Rng;
    let n: u128 = rand::rng().random();
    format!("{n:032x}")
}

/// Counts and logs a refusal: the provider and the reason, never the link's signature or parameters.
pub fn note_refusal(cx: &RequestCx, provider: &str, why: Refusal) {
    cx.app.metrics.link_refused(why);
    tracing::warn!(
        provider,
        reason = why.reason(),
        "start link refused: nothing is sent to Unipile"
    );
}

/// What the page of `provider` may show in this browser when signed links are required.
pub enum PageAccess {
    /// A sign-in in progress (its flow cookie carries on): the page as it is.
    InProgress,
    /// A valid link, or the pass one gave this browser: the form, with the link's parameters.
    Form(Pass),
    /// No form: the refusal, and where the user may go back to.
    Refused(Refused),
}

/// The page's check. A flow cookie on a checkpoint or a linked account needs no link (a reload of the page
/// in progress). A link in the query is checked and, when it is valid and its nonce not spent in another
/// browser, its pass is given (kept until the link expires). Without one, the pass this browser holds
/// opens the form again (another sign-in method, another language, after a refused password).
pub async fn page_access(
    cx: &RequestCx,
    links: &StartLinks,
    provider: &str,
    stored: Option<&FlowState>,
) -> PageAccess {
    if let Some(FlowStep::Checkpoint(_) | FlowStep::Connected(_)) = stored.map(|f| &f.step) {
        return PageAccess::InProgress;
    }
    let now = cx.app.clock.now_secs();
    let held: Option<Pass> = cx.link_pass(provider);
    let query = cx.query().unwrap_or_default();
    let has_link = query_pairs(query).is_some_and(|pairs| pairs.iter().any(|(k, _)| k == "sig"));
    if !has_link {
        // A sign-in refused for its link, posted without JavaScript: the refusal it stored (counted then).
        if let Some(FlowStep::Form(form)) = stored.map(|f| &f.step) {
            if let Some(code) = form.notice.as_ref().map(|n| n.code) {
                if code.refuses_the_link() {
                    let why = match code {
                        ErrorCode::LinkExpired => Refusal::Expired,
                        _ => Refusal::Missing,
                    };
                    return PageAccess::Refused(Refused::back_to(
                        why,
                        form.form.failure_url.clone(),
                        form.form.state.clone(),
                    ));
                }
            }
        }
        return match held {
            Some(pass) if pass.expires > now => PageAccess::Form(pass),
            Some(pass) => {
                note_refusal(cx, provider, Refusal::Expired);
                PageAccess::Refused(Refused::back_to(
                    Refusal::Expired,
                    pass.failure_url,
                    pass.state,
                ))
            }
            None => {
                note_refusal(cx, provider, Refusal::Missing);
                PageAccess::Refused(Refused::bare(Refusal::Missing))
            }
        };
    }
    let mut pass = match links.check(provider, query, now, &cx.app.settings.embed.allowed_origins) {
        Ok(pass) => pass,
        Err(refusal) => {
            note_refusal(cx, provider, refusal.why);
            return PageAccess::Refused(refusal);
        }
    };
    // The same link opened again in this browser keeps its holder, so its sign-in may go on.
    if let Some(held) = held.filter(|h| h.nonce == pass.nonce) {
        pass.holder = held.holder;
    }
    let found = cx
        .app
        .store
        .link_nonce(&pass.nonce, &pass.holder, pass.left(now), false)
        .await;
    match found {
        Ok(LinkNonce::Spent) => {
            note_refusal(cx, provider, Refusal::Reused);
            PageAccess::Refused(Refused::back_to(
                Refusal::Reused,
                pass.failure_url,
                pass.state,
            ))
        }
        // The store not answering is the sign-in's to refuse: it spends the nonce, and fails closed.
        Ok(LinkNonce::Unused | LinkNonce::Mine) | Err(_) => {
            cx.keep_link_pass(provider, &pass, pass.left(now));
            PageAccess::Form(pass)
        }
    }
}

/// The sign-in's check, before anything else is done with the form: this browser must hold a pass from a
/// valid link, not expired, whose parameters are the ones posted.
pub fn sign_in_pass(cx: &RequestCx, provider: &str, form: &SignInForm) -> Result<Pass, Refused> {
    let Some(pass) = cx.link_pass::<Pass>(provider) else {
        return Err(Refused::bare(Refusal::Missing));
    };
    let refused = |why| Refused::back_to(why, pass.failure_url.clone(), pass.state.clone());
    if pass.expires <= cx.app.clock.now_secs() {
        return Err(refused(Refusal::Expired));
    }
    let posted = catalogue::link_params(&form.account_id, &form.state).and_then(|(a, s)| {
        let (success, failure) = catalogue::redirect_params(
            &form.success_url,
            &form.failure_url,
            &cx.app.settings.embed.allowed_origins,
        )?;
        Ok((a, s, success, failure))
    });
    let bound = (
        pass.account_id.clone(),
        pass.state.clone(),
        pass.success_url.clone(),
        pass.failure_url.clone(),
    );
    if posted.ok() != Some(bound) {
        return Err(refused(Refusal::NotFromLink));
    }
    Ok(pass)
}

/// Spends the pass's nonce for this browser as its sign-in starts: `Ok(Err(Reused))` when another browser
/// spent it first, on any replica.
pub async fn spend(cx: &RequestCx, pass: &Pass) -> Result<Result<(), Refused>, StoreError> {
    let found = cx
        .app
        .store
        .link_nonce(
            &pass.nonce,
            &pass.holder,
            pass.left(cx.app.clock.now_secs()),
            true,
        )
        .await?;
    Ok(match found {
        LinkNonce::Mine => Ok(()),
        LinkNonce::Unused | LinkNonce::Spent => Err(Refused::back_to(
            Refusal::Reused,
            pass.failure_url.clone(),
            pass.state.clone(),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> StartLinks {
        StartLinks::new(
            SecretString::from("link-secret-for-unit-tests-0123456789"),
            3_600,
        )
    }

    #[test]
    fn the_canonical_form_sorts_and_encodes_as_urlsearchparams_does() {
        let pairs =
            query_pairs("state=a+b%26c&nonce=n_1-2&expires=10&sig=x&account_id=acc_1&lang=fr")
                .expect("pairs");
        assert_eq!(
            canonical(&pairs),
            "account_id=acc_1&expires=10&lang=fr&nonce=n_1-2&state=a+b%26c"
        );
        assert_eq!(form_encode("é ~*'/"), "%C3%A9+%7E*%27%2F");
        assert_eq!(query_pairs("a=%FF"), None);
        assert_eq!(query_pairs("a=%4"), None);
    }

    #[test]
    fn a_signed_link_opens_until_it_expires_and_every_change_is_refused() {
        let links = links();
        let now = 1_800_000_000;
        let expires = (now + 600).to_string();
        let link = links.sign(
            "linkedin",
            &[
                ("state", "s 1"),
                ("expires", &expires),
                ("nonce", "nonce-0001"),
            ],
        );
        let query = link.split_once('?').expect("query").1;
        let pass = links.check("linkedin", query, now, &[]).expect("valid");
        assert_eq!(pass.state.as_deref(), Some("s 1"));
        assert_eq!(pass.expires, now + 600);
        let why = |provider: &str, query: &str, now: u64| {
            links
                .check(provider, query, now, &[])
                .map(|_| ())
                .unwrap_err()
                .why
        };
        assert_eq!(why("instagram", query, now), Refusal::BadSignature);
        assert_eq!(
            why("linkedin", &query.replace("s+1", "s+2"), now),
            Refusal::BadSignature
        );
        assert_eq!(why("linkedin", query, now + 600), Refusal::Expired);
        assert_eq!(
            why("linkedin", query.split("&sig").next().expect("params"), now),
            Refusal::Missing
        );
        let other = StartLinks::new(
            SecretString::from("another-secret-of-the-same-length-0123"),
            3_600,
        );
        assert!(other.check("linkedin", query, now, &[]).is_err());
    }
}
