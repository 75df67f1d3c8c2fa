//! The host's backend learns of every linked account: a JSON notification POSTed to `notify.url`, signed
//! with `NOTIFY_SECRET`, retried with exponential backoff until the receiver answers 2xx or
//! `notify.give_up_after_secs` has passed. Pending notifications live in the flow store ([`super::outbox`]).
//! The same key signs the query that redirect mode adds to the host's `success_url` and `failure_url`.
//!
//! The signature, of a notification and of a return link alike: `t=<unix seconds>,v1=<hex of
//! HMAC-SHA256(NOTIFY_SECRET, "<t>.<payload>")>`, the payload being the body, or the parameters added to the
//! return link as `name=value` (values decoded) joined by `&` in the order they were added.

use super::{
    clock::unix_ms,
    metrics::Metrics,
    outbox::{Outbox, Pending},
    settings::NotifySettings,
};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::{
    sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed},
    time::Duration,
};
use tokio::sync::Notify;

/// The header that carries a notification's signature.
pub const SIGNATURE_HEADER: &str = "X-Credentials-Flow-Signature";

/// Most attempts in flight at once on one replica.
const IN_FLIGHT: usize = 16;
/// Longest sleep between two looks at the queue: other replicas add to a shared one, and a replica that
/// died leaves claims that fall due again.
const LOOK_AGAIN: Duration = Duration::from_secs(1);
/// A claim outlasts the attempt's timeout by this much, so no other replica sends the same notification
/// while this one is still waiting for the answer.
const LEASE_MARGIN_MS: u64 = 5_000;

/// `t=<t>,v1=<hex HMAC-SHA256(key, "<t>.<payload>")>`.
pub fn signature(key: &[u8], t: u64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// What a return link's signature covers: the added parameters present, `name=value` joined by `&`.
pub fn return_payload(params: &[(&str, Option<&str>)]) -> String {
    params
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join("&")
}

fn unix_secs() -> u64 {
    unix_ms() / 1000
}

/// RFC 3339, UTC, to the second.
fn rfc3339(ms: u64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The body of a notification. Never a username, password, code or intent id.
#[derive(serde::Serialize)]
struct Event<'a> {
    event: &'a str,
    id: &'a str,
    account_id: &'a str,
    provider: &'a str,
    state: Option<&'a str>,
    at: String,
}

/// An account linked, as the notification reports it.
pub struct Linked<'a> {
    /// The sign-in's flow id: the event id derives from it, so the same sign-in is reported once.
    pub flow_id: &'a str,
    pub account_id: &'a str,
    pub provider: &'a str,
    pub state: Option<&'a str>,
    /// A reconnection of an existing account (`?account_id=`) rather than a new link.
    pub reconnected: bool,
}

struct Receiver {
    url: reqwest::Url,
    client: reqwest::Client,
    /// The receiver's host and port, for logs: the URL's path or query may hold a token of the host's.
    host: String,
}

pub struct Notifier {
    receiver: Option<Receiver>,
    key: Option<SecretString>,
    settings: NotifySettings,
    outbox: Box<dyn Outbox>,
    /// How long an event id is remembered, so a sign-in reported by several tabs is sent once.
    remember: Duration,
    /// This replica, as it claims notifications.
    holder: String,
    wake: Notify,
    in_flight: AtomicUsize,
    /// The store did not answer the last look at the queue (logged once until it answers again).
    store_down: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("notify.url is set but NOTIFY_SECRET is not: set NOTIFY_SECRET (at least 32 characters, `openssl rand -hex 32`) in the environment or .env, or remove notify.url")]
    MissingSecret,
    #[error("NOTIFY_SECRET must be at least 32 characters long (generate one with `openssl rand -hex 32`)")]
    WeakSecret,
    #[error("invalid setting `notify.url`: {0}")]
    Url(String),
    #[error("the HTTP client for notify.url could not be built: {0}")]
    Client(String),
}

impl Notifier {
    pub fn new(
        settings: &NotifySettings,
        key: Option<SecretString>,
        outbox: Box<dyn Outbox>,
        remember: Duration,
        holder: String,
    ) -> Result<Notifier, NotifyError> {
        if key.as_ref().is_some_and(|k| k.expose_secret().len() < 32) {
            return Err(NotifyError::WeakSecret);
        }
        let receiver = match &settings.url {
            None => None,
            Some(_) if key.is_none() => return Err(NotifyError::MissingSecret),
            Some(url) => {
                let url = super::settings::notify_url(url).map_err(NotifyError::Url)?;
                let client = reqwest::Client::builder()
                    // A redirect would send the signed body elsewhere: it counts as not acknowledged.
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_millis(settings.timeout_ms.get()))
                    .connect_timeout(Duration::from_millis(settings.timeout_ms.get()))
                    .user_agent(concat!("credentials-flow/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| NotifyError::Client(e.without_url().to_string()))?;
                let host = match url.port_or_known_default() {
                    Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                    None => url.host_str().unwrap_or_default().to_owned(),
                };
                Some(Receiver { url, client, host })
            }
        };
        Ok(Notifier {
            receiver,
            key,
            settings: settings.clone(),
            outbox,
            remember,
            holder,
            wake: Notify::new(),
            in_flight: AtomicUsize::new(0),
            store_down: AtomicBool::new(false),
        })
    }

    /// Whether notifications are sent (`notify.url` set).
    pub fn enabled(&self) -> bool {
        self.receiver.is_some()
    }

    /// The `signature` parameter of a return link carrying `params`, when `NOTIFY_SECRET` is set.
    pub fn sign_return(&self, params: &[(&str, Option<&str>)]) -> Option<String> {
        let key = self.key.as_ref()?;
        let payload = return_payload(params);
        Some(signature(
            key.expose_secret().as_bytes(),
            unix_secs(),
            payload.as_bytes(),
        ))
    }

    /// `url` with `params` and, when `NOTIFY_SECRET` is set, their `signature` added to its query.
    pub fn return_link(&self, url: &str, params: &[(&str, Option<&str>)]) -> String {
        let signature = self.sign_return(params);
        let mut all = params.to_vec();
        all.push(("signature", signature.as_deref()));
        crate::catalogue::with_query(url, &all)
    }

    /// Queues the notification of a linked account (when `notify.url` is set) and wakes the sender. The
    /// same sign-in reported twice is queued once.
    pub async fn linked(&self, metrics: &Metrics, linked: Linked<'_>) {
        if self.receiver.is_none() {
            return;
        }
        let id = format!("evt_{}", linked.flow_id);
        let body = serde_json::to_string(&Event {
            event: if linked.reconnected {
                "account.reconnected"
            } else {
                "account.linked"
            },
            id: &id,
            account_id: linked.account_id,
            provider: linked.provider,
            state: linked.state,
            at: rfc3339(unix_ms()),
        })
        .unwrap_or_default();
        match self.outbox.add(&id, &body, unix_ms(), self.remember).await {
            Ok(true) => {
                tracing::info!(event_id = %id, provider = linked.provider, "notification queued");
                self.wake.notify_one();
            }
            Ok(false) => {}
            Err(e) => {
                metrics.notification_failed();
                tracing::error!(event_id = %id, provider = linked.provider, cause = %e,
                    "notification lost: the flow store did not take it");
            }
        }
    }

    /// Sends what falls due, for as long as the process runs (nothing without `notify.url`).
    pub fn spawn_sender(app: super::state::AppState) {
        if !app.notifier.enabled() {
            return;
        }
        tokio::spawn(async move {
            loop {
                let wait = app.notifier.round(&app).await;
                let _ = tokio::time::timeout(wait, app.notifier.wake.notified()).await;
            }
        });
    }

    /// Claims what is due and starts an attempt for each; how long to sleep before the next look.
    async fn round(&self, app: &super::state::AppState) -> Duration {
        let free = IN_FLIGHT.saturating_sub(self.in_flight.load(Relaxed));
        let now = unix_ms();
        if free > 0 {
            let lease = self.settings.timeout_ms.get() + LEASE_MARGIN_MS;
            match self.outbox.claim(&self.holder, now, lease, free).await {
                Ok(claimed) => {
                    if self.store_down.swap(false, Relaxed) {
                        tracing::info!("notifications: the flow store answers again");
                    }
                    for pending in claimed {
                        self.in_flight.fetch_add(1, Relaxed);
                        let app = app.clone();
                        tokio::spawn(async move {
                            app.notifier.attempt(&app.metrics, pending).await;
                            app.notifier.in_flight.fetch_sub(1, Relaxed);
                            app.notifier.wake.notify_one();
                        });
                    }
                }
                Err(e) => {
                    if !self.store_down.swap(true, Relaxed) {
                        tracing::warn!(cause = %e, "notifications wait: the flow store does not answer");
                    }
                    return LOOK_AGAIN;
                }
            }
        }
        match self.outbox.queue().await {
            Ok(queue) => {
                app.metrics.oldest_pending_notification(queue.oldest_ms);
                let now = unix_ms();
                match queue.next_due_ms {
                    Some(due) if free > 0 || due > now => {
                        Duration::from_millis(due.saturating_sub(now)).min(LOOK_AGAIN)
                    }
                    _ => LOOK_AGAIN,
                }
            }
            Err(_) => LOOK_AGAIN,
        }
    }

    /// One attempt at one notification: acknowledged, retried later, or given up.
    async fn attempt(&self, metrics: &Metrics, pending: Pending) {
        let (Some(receiver), Some(key)) = (&self.receiver, &self.key) else {
            return;
        };
        let attempt = pending.failures + 1;
        let signed = signature(
            key.expose_secret().as_bytes(),
            unix_secs(),
            pending.body.as_bytes(),
        );
        let answer = receiver
            .client
            .post(receiver.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signed)
            .body(pending.body.clone())
            .send()
            .await;
        let refused = match answer {
            Ok(response) if response.status().is_success() => None,
            Ok(response) if response.status().is_redirection() => Some(format!(
                "answered {} (a redirect, not followed)",
                response.status().as_u16()
            )),
            Ok(response) => Some(format!("answered {}", response.status().as_u16())),
            Err(e) if e.is_timeout() => Some(format!(
                "no answer within notify.timeout_ms ({} ms)",
                self.settings.timeout_ms
            )),
            Err(e) if e.is_connect() => Some("connection refused or unreachable".to_owned()),
            Err(e) => Some(e.without_url().to_string()),
        };
        let Some(cause) = refused else {
            metrics.notification_sent();
            tracing::info!(event_id = %pending.id, attempt, receiver = %receiver.host, "notification delivered");
            if let Err(e) = self.outbox.remove(&pending.id, &self.holder).await {
                tracing::warn!(event_id = %pending.id, cause = %e, "delivered notification not removed: it may be sent again");
            }
            return;
        };
        let now = unix_ms();
        let give_up_at = pending.first_ms + self.settings.give_up_after_secs.get() * 1000;
        if now >= give_up_at {
            metrics.notification_failed();
            tracing::error!(event_id = %pending.id, attempts = attempt, receiver = %receiver.host, %cause,
                "notification given up: not acknowledged within notify.give_up_after_secs");
            if let Err(e) = self.outbox.remove(&pending.id, &self.holder).await {
                tracing::warn!(event_id = %pending.id, cause = %e, "given-up notification not removed");
            }
            return;
        }
        let wait = backoff(&self.settings, attempt);
        let due = (now + wait).min(give_up_at);
        metrics.notification_retried();
        tracing::warn!(event_id = %pending.id, attempt, receiver = %receiver.host, %cause,
            retry_in_ms = due - now, "notification not acknowledged: it will be sent again");
        if let Err(e) = self.outbox.retry(&pending.id, &self.holder, due).await {
            tracing::warn!(event_id = %pending.id, cause = %e,
                "retry not recorded: the notification is sent again when its claim runs out");
        }
    }

    /// At shutdown: waits up to `deadline` for the notifications this process keeps (or, with Redis, for
    /// its attempts in flight), then logs each one it could not send. Returns their ids.
    pub async fn drain(&self, deadline: Duration) -> Vec<String> {
        if !self.enabled() {
            return Vec::new();
        }
        let until = tokio::time::Instant::now() + deadline;
        let shared = self.outbox.shared();
        loop {
            let done = if shared {
                self.in_flight.load(Relaxed) == 0
            } else {
                matches!(self.outbox.queue().await, Ok(q) if q.count == 0)
            };
            if done || tokio::time::Instant::now() >= until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if shared {
            if let Ok(queue) = self.outbox.queue().await {
                if queue.count > 0 {
                    tracing::info!(
                        pending = queue.count,
                        "notifications still pending stay in Redis for the other replicas"
                    );
                }
            }
            return Vec::new();
        }
        let left = self.outbox.list(usize::MAX).await.unwrap_or_default();
        for (id, failures) in &left {
            tracing::error!(event_id = %id, attempts = failures, "notification not sent before shutdown: it is lost");
        }
        left.into_iter().map(|(id, _)| id).collect()
    }
}

/// Where "Cancel and return to the application" (or "Return to the application" after an error that ends
/// the flow) leads: `/connect/<provider>/exit?failure_url=…&state=…&error=…`. It sends the browser on to
/// the host's `failure_url` with `error`, `provider` and `state` and, when `NOTIFY_SECRET` is set, their
/// `signature`, made at the moment the user leaves. `error` is `cancelled` or one of the codes that end a
/// flow (anything else reads as `cancelled`): a user may always leave, so a failure link grants nothing and
/// its signature only says that this server sent it.
pub async fn exit(
    axum::extract::State(app): axum::extract::State<super::state::AppState>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> axum::response::Response {
    use crate::{catalogue, components::embed, error::ErrorCode};
    use axum::{
        http::{header, StatusCode},
        response::IntoResponse,
    };
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let refused = |status: StatusCode, text: &'static str| {
        (status, [(header::CACHE_CONTROL, "no-store")], text).into_response()
    };
    let Some(provider) = catalogue::find(&provider).filter(|p| app.settings.is_offered(p.id))
    else {
        return refused(
            StatusCode::NOT_FOUND,
            "This provider is not offered here. Go back to the application and start again from there.\n",
        );
    };
    let failure_url = catalogue::redirect_params(
        "",
        param("failure_url"),
        &app.settings.embed.allowed_origins,
    )
    .ok()
    .and_then(|(_, failure)| failure);
    let state = catalogue::link_params("", param("state")).map(|(_, state)| state);
    let (Some(failure_url), Ok(state)) = (failure_url, state) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "This return address is not allowed for this application. Go back to the application and start again from there.\n",
        );
    };
    let error = ErrorCode::ALL
        .iter()
        .copied()
        .filter(|code| embed::ends_the_flow(*code))
        .map(embed::code_name)
        .find(|name| name == param("error"))
        .unwrap_or_else(|| "cancelled".to_owned());
    let location = app.notifier.return_link(
        &failure_url,
        &[
            ("error", Some(error.as_str())),
            ("provider", Some(provider.id)),
            ("state", state.as_deref()),
        ],
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// The wait after the `attempt`-th failed attempt: `retry_initial_ms`, doubling, at most `retry_max_ms`.
pub fn backoff(settings: &NotifySettings, attempt: u32) -> u64 {
    let doubled = settings
        .retry_initial_ms
        .get()
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(40));
    doubled.min(settings.retry_max_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_time_a_dot_and_the_payload() {
        // Computed apart, with Python's hmac: HMAC-SHA256("Jefe", '1796601600.{"id":"evt_1"}').
        assert_eq!(
            signature(b"Jefe", 1_796_601_600, br#"{"id":"evt_1"}"#),
            "t=1796601600,v1=e190a3990be8b87b126dfa85bc4d26e2620e26b16c6a1f2a0e9a970b3db6cb43"
        );
        assert_eq!(
            return_payload(&[
                ("account_id", Some("acc_1")),
                ("provider", Some("x")),
                ("state", None)
            ]),
            "account_id=acc_1&provider=x"
        );
    }

    #[test]
    fn waits_double_from_the_first_up_to_the_longest() {
        let settings = NotifySettings {
            retry_initial_ms: std::num::NonZeroU64::new(1_000).expect("not 0"),
            retry_max_ms: 5_000,
            ..crate::server::settings::Settings::default().notify
        };
        let waits: Vec<u64> = (1..=5).map(|n| backoff(&settings, n)).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
        assert_eq!(backoff(&settings, 200), 5_000);
    }

    #[test]
    fn times_are_rfc_3339_in_utc() {
        assert_eq!(rfc3339(1_796_601_600_123), "2026-12-07T00:00:00Z");
    }
}
