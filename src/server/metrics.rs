//! What an operator scrapes at `/metrics` (Prometheus' text format), once `METRICS_TOKEN` is set: sign-ins
//! sent to Unipile and accounts linked per provider, the checkpoints Unipile asked for by type, refusals by
//! the code the user is shown, the browsers waiting on an in-app approval right now, and how long Unipile
//! takes to answer.
//! Counts only: never a username, a typed value, an id or a reference. Kept and written out by
//! `prometheus-client`; counting is an atomic add behind a shared lock, so the sign-in's hot path does not
//! notice it.

use super::links::Refusal;
use crate::{catalogue::PROVIDERS, error::ErrorCode};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::{sync::atomic::AtomicU64, time::Duration};

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

/// Labels are the catalogue's and the contract's own words, never a value from a request or from Unipile.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByProvider {
    provider: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByCheckpoint {
    provider: &'static str,
    r#type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByCode {
    provider: &'static str,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByReason {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByOperation {
    operation: &'static str,
}

pub struct Metrics {
    registry: Registry,
    started: Family<ByProvider, Counter>,
    linked: Family<ByProvider, Counter>,
    checkpoints: Family<ByCheckpoint, Counter>,
    refusals: Family<ByCode, Counter>,
    waiting: Gauge,
    upstream: Family<ByOperation, Histogram>,
    notifications_sent: Counter,
    notifications_retried: Counter,
    notifications_failed: Counter,
    /// When the oldest pending notification was queued (ms since the epoch), 0 when none is; its age is
    /// worked out when the metrics are read.
    oldest_notification_ms: AtomicU64,
    oldest_notification_age: Gauge<f64, AtomicU64>,
    link_refusals: Family<ByReason, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let new_histogram: fn() -> Histogram = || Histogram::new(BOUNDS);
        let metrics = Metrics {
            registry: Registry::default(),
            started: Family::default(),
            linked: Family::default(),
            checkpoints: Family::default(),
            refusals: Family::default(),
            waiting: Gauge::default(),
            upstream: Family::new_with_constructor(new_histogram),
            notifications_sent: Counter::default(),
            notifications_retried: Counter::default(),
            notifications_failed: Counter::default(),
            oldest_notification_ms: AtomicU64::new(0),
            oldest_notification_age: Gauge::default(),
            link_refusals: Family::default(),
        };
        // Every provider and operation shows from the start, at 0.
        for p in PROVIDERS {
            let _ = metrics
                .started
                .get_or_create(&ByProvider { provider: p.id });
            let _ = metrics.linked.get_or_create(&ByProvider { provider: p.id });
        }
        for why in Refusal::ALL {
            let _ = metrics.link_refusals.get_or_create(&ByReason {
                reason: why.reason(),
            });
        }
        for operation in OPERATIONS {
            let _ = metrics.upstream.get_or_create(&ByOperation { operation });
        }
        let mut metrics = metrics;
        let r = &mut metrics.registry;
        r.register(
            "credentials_flow_sign_ins_started",
            "Sign-ins sent to Unipile (forms that passed every check)",
            metrics.started.clone(),
        );
        r.register(
            "credentials_flow_accounts_linked",
            "Accounts linked",
            metrics.linked.clone(),
        );
        r.register(
            "credentials_flow_checkpoints",
            "Checkpoints Unipile asked for, by type (`other`: a type this version does not know)",
            metrics.checkpoints.clone(),
        );
        r.register(
            "credentials_flow_refusals",
            "Refusals, by the code the user is shown: Unipile's refusals and failures, rate limits, attempts stopped after too many wrong codes",
            metrics.refusals.clone(),
        );
        r.register(
            "credentials_flow_waits_in_progress",
            "Browsers waiting on an in-app approval right now",
            metrics.waiting.clone(),
        );
        r.register(
            "credentials_flow_upstream_call_seconds",
            "How long Unipile took to answer a call (or to fail), by operation; the wait for an in-app approval is not counted",
            metrics.upstream.clone(),
        );
        r.register(
            "credentials_flow_notifications_sent",
            "Notifications the host's receiver acknowledged with a 2xx",
            metrics.notifications_sent.clone(),
        );
        r.register(
            "credentials_flow_notifications_retried",
            "Notification attempts that failed (error status, redirect, timeout, refused connection) and are made again later",
            metrics.notifications_retried.clone(),
        );
        r.register(
            "credentials_flow_notifications_failed",
            "Notifications given up: not acknowledged within notify.give_up_after_secs",
            metrics.notifications_failed.clone(),
        );
        r.register(
            "credentials_flow_notifications_oldest_pending_seconds",
            "Age of the oldest notification not yet acknowledged nor given up (0: none pending)",
            metrics.oldest_notification_age.clone(),
        );
        r.register(
            "credentials_flow_link_refusals",
            "Pages and sign-ins refused for want of a valid signed start link, by reason",
            metrics.link_refusals.clone(),
        );
        metrics
    }
}

/// The catalogue's id of a provider (callers pass catalogue ids, so it is always found).
fn provider_id(provider: &str) -> Option<&'static str> {
    PROVIDERS.iter().find(|p| p.id == provider).map(|p| p.id)
}

impl Metrics {
    /// A checked form was sent to Unipile.
    pub fn started(&self, provider: &str) {
        if let Some(provider) = provider_id(provider) {
            self.started.get_or_create(&ByProvider { provider }).inc();
        }
    }

    pub fn linked(&self, provider: &str) {
        if let Some(provider) = provider_id(provider) {
            self.linked.get_or_create(&ByProvider { provider }).inc();
        }
    }

    /// Unipile asked for a checkpoint of `type_name` (counted when the step changes, not on every poll).
    pub fn checkpoint(&self, provider: &str, type_name: &str) {
        let r#type = CHECKPOINT_TYPES
            .iter()
            .find(|t| **t == type_name)
            .copied()
            .unwrap_or("other");
        if let Some(provider) = provider_id(provider) {
            self.checkpoints
                .get_or_create(&ByCheckpoint { provider, r#type })
                .inc();
        }
    }

    /// A refusal the user is told as `code`: each of Unipile's refusals and failures, a sign-in over a rate
    /// limit, an attempt stopped after too many wrong codes.
    pub fn refused(&self, provider: &str, code: ErrorCode) {
        if let Some(provider) = provider_id(provider) {
            let code = code_name(code);
            self.refusals
                .get_or_create(&ByCode { provider, code })
                .inc();
        }
    }

    /// Counts a browser as waiting on an in-app approval until the guard is dropped (the wait answered,
    /// or the browser went away).
    pub fn waiting(&self) -> Waiting<'_> {
        self.waiting.inc();
        Waiting(&self.waiting)
    }

    /// A call to Unipile (one of [`OPERATIONS`]) answered, or failed, after `took`.
    pub fn upstream_call(&self, operation: &str, took: Duration) {
        if let Some(operation) = OPERATIONS.iter().find(|o| **o == operation) {
            self.upstream
                .get_or_create(&ByOperation { operation })
                .observe(took.as_secs_f64());
        }
    }

    /// A start link (or a sign-in said to come from one) refused.
    pub fn link_refused(&self, why: Refusal) {
        self.link_refusals
            .get_or_create(&ByReason {
                reason: why.reason(),
            })
            .inc();
    }

    /// A notification the host's receiver acknowledged (2xx).
    pub fn notification_sent(&self) {
        self.notifications_sent.inc();
    }

    /// An attempt that failed and will be made again.
    pub fn notification_retried(&self) {
        self.notifications_retried.inc();
    }

    /// A notification given up (or that the store could not take).
    pub fn notification_failed(&self) {
        self.notifications_failed.inc();
    }

    /// When the oldest notification still pending was queued (ms since the epoch), if one is.
    pub fn oldest_pending_notification(&self, queued_ms: Option<u64>) {
        self.oldest_notification_ms
            .store(queued_ms.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
    }

    /// The text a Prometheus server scrapes (its text format, version 0.0.4).
    pub fn render(&self) -> String {
        let queued = self
            .oldest_notification_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        let age = match queued {
            0 => 0.0,
            queued => super::clock::unix_ms().saturating_sub(queued) as f64 / 1e3,
        };
        self.oldest_notification_age.set(age);
        let mut out = String::with_capacity(8192);
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The code's name as the browser gets it (`invalid_credentials`).
fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// See [`Metrics::waiting`].
pub struct Waiting<'a>(&'a Gauge);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.dec();
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
