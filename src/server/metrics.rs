//! What an operator scrapes at `/metrics` (Prometheus' text format), once `METRICS_TOKEN` is set: sign-ins
//! sent to Unipile and accounts linked per provider, the checkpoints Unipile asked for by type, refusals by
//! the code the user is shown, the browsers waiting on an in-app approval right now, and how long Unipile
//! takes to answer.
//! Counts only: never a username, a typed value, an id or a reference. Counting is an atomic add, so the
//! sign-in's hot path does not notice it.

use super::links::Refusal;
use crate::{catalogue::PROVIDERS, error::ErrorCode};
use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::{
        atomic::{AtomicI64, AtomicU64, Ordering::Relaxed},
        Mutex,
    },
    time::Duration,
};

/// The checkpoint types of the contract, as Unipile names them; any other counts as `other`.
const CHECKPOINT_TYPES: [&str; 11] = [
    "2FA",
    "OTP",
    "PHONE_REGISTER",
    "CAPTCHA",
    "IN_APP_VALIDATION",
    "OTP_OR_IN_APP_VALIDATION",
    "CHALLENGE_SELECTION",
    "CONTRACT_SELECTION",
    "LOADING",
    "CONSENT_SCREEN",
    "PAIRING_CODE",
];

/// The calls to Unipile that are timed; the wait for an in-app approval is long by design and is not.
const OPERATIONS: [&str; 4] = [
    "start_auth_intent",
    "solve_checkpoint",
    "resend_checkpoint",
    "request_checkpoint",
];

/// Upper bounds of the latency buckets, in seconds (Unipile signs in to the provider: seconds are usual).
const BOUNDS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// A latency histogram: each bucket counts the calls at most its bound and above the one before (made
/// cumulative when rendered), then the calls beyond the last bound, the count and the total.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BOUNDS.len() + 1],
    count: AtomicU64,
    total_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let bucket = BOUNDS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BOUNDS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.total_micros
            .fetch_add(took.as_micros().min(u64::MAX as u128) as u64, Relaxed);
    }
}

const PROVIDER_COUNT: usize = PROVIDERS.len();

type PerProvider = [AtomicU64; PROVIDER_COUNT];

pub struct Metrics {
    started: PerProvider,
    linked: PerProvider,
    /// Per provider, one count per [`CHECKPOINT_TYPES`] entry and a last one for the others.
    checkpoints: [[AtomicU64; CHECKPOINT_TYPES.len() + 1]; PROVIDER_COUNT],
    /// (provider index, code): a refusal is rare next to a sign-in, so a map behind a lock will do.
    refusals: Mutex<HashMap<(usize, ErrorCode), u64>>,
    waiting: AtomicI64,
    upstream: [Histogram; OPERATIONS.len()],
    notifications_sent: AtomicU64,
    notifications_retried: AtomicU64,
    notifications_failed: AtomicU64,
    /// When the oldest pending notification was queued (ms since the epoch), 0 when none is.
    oldest_notification_ms: AtomicU64,
    /// Start links refused, one count per [`Refusal::ALL`] entry.
    link_refusals: [AtomicU64; Refusal::ALL.len()],
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            started: std::array::from_fn(|_| AtomicU64::new(0)),
            linked: std::array::from_fn(|_| AtomicU64::new(0)),
            checkpoints: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            refusals: Mutex::new(HashMap::new()),
            waiting: AtomicI64::new(0),
            upstream: Default::default(),
            notifications_sent: AtomicU64::new(0),
            notifications_retried: AtomicU64::new(0),
            notifications_failed: AtomicU64::new(0),
            oldest_notification_ms: AtomicU64::new(0),
            link_refusals: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// The index of a catalogue provider (callers pass catalogue ids, so it is always found).
fn index(provider: &str) -> Option<usize> {
    PROVIDERS.iter().position(|p| p.id == provider)
}

impl Metrics {
    /// A checked form was sent to Unipile.
    pub fn started(&self, provider: &str) {
        if let Some(i) = index(provider) {
            self.started[i].fetch_add(1, Relaxed);
        }
    }

    pub fn linked(&self, provider: &str) {
        if let Some(i) = index(provider) {
            self.linked[i].fetch_add(1, Relaxed);
        }
    }

    /// Unipile asked for a checkpoint of `type_name` (counted when the step changes, not on every poll).
    pub fn checkpoint(&self, provider: &str, type_name: &str) {
        let kind = CHECKPOINT_TYPES
            .iter()
            .position(|t| *t == type_name)
            .unwrap_or(CHECKPOINT_TYPES.len());
        if let Some(i) = index(provider) {
            self.checkpoints[i][kind].fetch_add(1, Relaxed);
        }
    }

    /// A refusal the user is told as `code`: each of Unipile's refusals and failures, a sign-in over a rate
    /// limit, an attempt stopped after too many wrong codes.
    pub fn refused(&self, provider: &str, code: ErrorCode) {
        if let (Some(i), Ok(mut refusals)) = (index(provider), self.refusals.lock()) {
            *refusals.entry((i, code)).or_default() += 1;
        }
    }

    /// Counts a browser as waiting on an in-app approval until the guard is dropped (the wait answered,
    /// or the browser went away).
    pub fn waiting(&self) -> Waiting<'_> {
        self.waiting.fetch_add(1, Relaxed);
        Waiting(&self.waiting)
    }

    /// A call to Unipile (one of [`OPERATIONS`]) answered, or failed, after `took`.
    pub fn upstream_call(&self, operation: &str, took: Duration) {
        if let Some(i) = OPERATIONS.iter().position(|o| *o == operation) {
            self.upstream[i].observe(took);
        }
    }

    /// A start link (or a sign-in said to come from one) refused.
    pub fn link_refused(&self, why: Refusal) {
        if let Some(i) = Refusal::ALL.iter().position(|r| *r == why) {
            self.link_refusals[i].fetch_add(1, Relaxed);
        }
    }

    /// A notification the host's receiver acknowledged (2xx).
    pub fn notification_sent(&self) {
        self.notifications_sent.fetch_add(1, Relaxed);
    }

    /// An attempt that failed and will be made again.
    pub fn notification_retried(&self) {
        self.notifications_retried.fetch_add(1, Relaxed);
    }

    /// A notification given up (or that the store could not take).
    pub fn notification_failed(&self) {
        self.notifications_failed.fetch_add(1, Relaxed);
    }

    /// When the oldest notification still pending was queued (ms since the epoch), if one is.
    pub fn oldest_pending_notification(&self, queued_ms: Option<u64>) {
        self.oldest_notification_ms
            .store(queued_ms.unwrap_or(0), Relaxed);
    }

    /// The text a Prometheus server scrapes.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let per_provider = |out: &mut String, name: &str, help: &str, counts: &PerProvider| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (p, count) in PROVIDERS.iter().zip(counts) {
                let _ = writeln!(
                    out,
                    "{name}{{provider=\"{}\"}} {}",
                    p.id,
                    count.load(Relaxed)
                );
            }
        };
        per_provider(
            &mut out,
            "credentials_flow_sign_ins_started_total",
            "Sign-ins sent to Unipile (forms that passed every check).",
            &self.started,
        );
        per_provider(
            &mut out,
            "credentials_flow_accounts_linked_total",
            "Accounts linked.",
            &self.linked,
        );
        let name = "credentials_flow_checkpoints_total";
        let _ = writeln!(
            out,
            "# HELP {name} Checkpoints Unipile asked for, by type (`other`: a type this version does not know).\n# TYPE {name} counter"
        );
        for (p, counts) in PROVIDERS.iter().zip(&self.checkpoints) {
            let types = CHECKPOINT_TYPES.iter().chain(["other"].iter());
            for (type_name, count) in types.zip(counts) {
                let count = count.load(Relaxed);
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "{name}{{provider=\"{}\",type=\"{type_name}\"}} {count}",
                        p.id
                    );
                }
            }
        }
        let name = "credentials_flow_refusals_total";
        let _ = writeln!(
            out,
            "# HELP {name} Refusals, by the code the user is shown: Unipile's refusals and failures, rate limits, attempts stopped after too many wrong codes.\n# TYPE {name} counter"
        );
        let mut refusals: Vec<(&str, String, u64)> = self
            .refusals
            .lock()
            .map(|r| {
                r.iter()
                    .map(|((i, code), n)| (PROVIDERS[*i].id, code_name(*code), *n))
                    .collect()
            })
            .unwrap_or_default();
        refusals.sort();
        for (provider, code, count) in refusals {
            let _ = writeln!(
                out,
                "{name}{{provider=\"{provider}\",code=\"{code}\"}} {count}"
            );
        }
        let name = "credentials_flow_waits_in_progress";
        let _ = writeln!(
            out,
            "# HELP {name} Browsers waiting on an in-app approval right now.\n# TYPE {name} gauge\n{name} {}",
            self.waiting.load(Relaxed)
        );
        let name = "credentials_flow_upstream_call_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} How long Unipile took to answer a call (or to fail), by operation; the wait for an in-app approval is not counted.\n# TYPE {name} histogram"
        );
        for (operation, histogram) in OPERATIONS.iter().zip(&self.upstream) {
            let mut below = 0;
            let bounds = BOUNDS
                .iter()
                .map(|b| b.to_string())
                .chain(["+Inf".to_owned()]);
            for (bound, bucket) in bounds.zip(&histogram.buckets) {
                below += bucket.load(Relaxed);
                let _ = writeln!(
                    out,
                    "{name}_bucket{{operation=\"{operation}\",le=\"{bound}\"}} {below}"
                );
            }
            let _ = writeln!(
                out,
                "{name}_sum{{operation=\"{operation}\"}} {}\n{name}_count{{operation=\"{operation}\"}} {}",
                histogram.total_micros.load(Relaxed) as f64 / 1e6,
                histogram.count.load(Relaxed)
            );
        }
        for (name, help, count) in [
            (
                "credentials_flow_notifications_sent_total",
                "Notifications the host's receiver acknowledged with a 2xx.",
                &self.notifications_sent,
            ),
            (
                "credentials_flow_notifications_retried_total",
                "Notification attempts that failed (error status, redirect, timeout, refused connection) and are made again later.",
                &self.notifications_retried,
            ),
            (
                "credentials_flow_notifications_failed_total",
                "Notifications given up: not acknowledged within notify.give_up_after_secs.",
                &self.notifications_failed,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                count.load(Relaxed)
            );
        }
        let name = "credentials_flow_link_refusals_total";
        let _ = writeln!(
            out,
            "# HELP {name} Pages and sign-ins refused for want of a valid signed start link, by reason.\n# TYPE {name} counter"
        );
        for (why, count) in Refusal::ALL.iter().zip(&self.link_refusals) {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{}\"}} {}",
                why.reason(),
                count.load(Relaxed)
            );
        }
        let name = "credentials_flow_notifications_oldest_pending_seconds";
        let queued = self.oldest_notification_ms.load(Relaxed);
        let age = match queued {
            0 => 0.0,
            queued => super::flow::now_ms().saturating_sub(queued) as f64 / 1e3,
        };
        let _ = writeln!(
            out,
            "# HELP {name} Age of the oldest notification not yet acknowledged nor given up (0: none pending).\n# TYPE {name} gauge\n{name} {age}"
        );
        out
    }
}

/// The code's name as the browser gets it (`invalid_credentials`).
fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// See [`Metrics::waiting`].
pub struct Waiting<'a>(&'a AtomicI64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// Whether `header` (an `Authorization` value) carries `token` as a bearer token. Their SHA-256 digests are
/// compared in constant time: digests all have one length, so neither where a guess differs nor how long
/// the token is shows in the time taken (comparing the texts would end early on a length that differs).
pub fn authorized(header: Option<&str>, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let Some(given) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    let given = Sha256::digest(given.trim().as_bytes());
    let token = Sha256::digest(token.as_bytes());
    given.as_slice().ct_eq(token.as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_per_provider_and_type_and_the_gauge_follows_its_guards() {
        let m = Metrics::default();
        m.started("linkedin");
        m.started("linkedin");
        m.linked("imap");
        m.checkpoint("linkedin", "2FA");
        m.checkpoint("linkedin", "PAIRING_CODE");
        m.checkpoint("linkedin", "CONSENT_SCREEN");
        m.checkpoint("x", "SOMETHING_NEW");
        m.refused("instagram", ErrorCode::InvalidCredentials);
        m.link_refused(Refusal::Reused);
        m.link_refused(Refusal::Reused);
        let first = m.waiting();
        let second = m.waiting();
        drop(first);
        let text = m.render();
        for line in [
            "credentials_flow_sign_ins_started_total{provider=\"linkedin\"} 2",
            "credentials_flow_sign_ins_started_total{provider=\"x\"} 0",
            "credentials_flow_accounts_linked_total{provider=\"imap\"} 1",
            "credentials_flow_checkpoints_total{provider=\"linkedin\",type=\"2FA\"} 1",
            "credentials_flow_checkpoints_total{provider=\"linkedin\",type=\"PAIRING_CODE\"} 1",
            "credentials_flow_checkpoints_total{provider=\"linkedin\",type=\"CONSENT_SCREEN\"} 1",
            "credentials_flow_checkpoints_total{provider=\"x\",type=\"other\"} 1",
            "credentials_flow_refusals_total{provider=\"instagram\",code=\"invalid_credentials\"} 1",
            "credentials_flow_waits_in_progress 1",
            "credentials_flow_link_refusals_total{reason=\"reused\"} 2",
            "credentials_flow_link_refusals_total{reason=\"bad_signature\"} 0",
            "# TYPE credentials_flow_waits_in_progress gauge",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        m.upstream_call("start_auth_intent", Duration::from_millis(40));
        m.upstream_call("start_auth_intent", Duration::from_millis(700));
        m.upstream_call("start_auth_intent", Duration::from_secs(90));
        m.upstream_call("not_an_operation", Duration::from_secs(1));
        let text = m.render();
        for line in [
            "credentials_flow_upstream_call_seconds_bucket{operation=\"start_auth_intent\",le=\"0.05\"} 1",
            "credentials_flow_upstream_call_seconds_bucket{operation=\"start_auth_intent\",le=\"0.5\"} 1",
            "credentials_flow_upstream_call_seconds_bucket{operation=\"start_auth_intent\",le=\"1\"} 2",
            "credentials_flow_upstream_call_seconds_bucket{operation=\"start_auth_intent\",le=\"60\"} 2",
            "credentials_flow_upstream_call_seconds_bucket{operation=\"start_auth_intent\",le=\"+Inf\"} 3",
            "credentials_flow_upstream_call_seconds_sum{operation=\"start_auth_intent\"} 90.74",
            "credentials_flow_upstream_call_seconds_count{operation=\"start_auth_intent\"} 3",
            "credentials_flow_upstream_call_seconds_count{operation=\"resend_checkpoint\"} 0",
            "# TYPE credentials_flow_upstream_call_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        assert!(!text.contains("not_an_operation"));
        drop(second);
        assert!(m
            .render()
            .contains("credentials_flow_waits_in_progress 0\n"));
        // An upstream type name never becomes a label of its own.
        assert!(!text.contains("SOMETHING_NEW"));
    }

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        let token = "0123456789abcdef0123";
        assert!(authorized(Some("Bearer 0123456789abcdef0123"), token));
        for refused in [
            None,
            Some(""),
            Some("0123456789abcdef0123"),
            Some("Basic 0123456789abcdef0123"),
            Some("Bearer 0123456789abcdef012"),
            Some("Bearer 0123456789abcdef01234"),
            Some("Bearer 0123456789abcdef0124"),
        ] {
            assert!(!authorized(refused, token), "{refused:?}");
        }
    }
}
