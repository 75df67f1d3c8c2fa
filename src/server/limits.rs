//! Rate limits, counted on the flow store so that they hold across replicas: sign-ins started per client
//! address (IPv6 per /64, what one subscriber usually holds) and per username, against credential stuffing;
//! and calls on a started sign-in per flow and per address. Each is a count per fixed one-minute window.
//!
//! Usernames are never stored: their key is an HMAC of the provider and the lower-cased name, with a key
//! derived from `SESSION_SECRET`, so every replica counts a name under the same key and nobody can pick
//! two names that share one.

use super::{
    settings::LimitSettings,
    store::{window_of, FlowRecords, StoreError},
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::{borrow::Cow, net::IpAddr, time::Duration};

const WINDOW: Duration = Duration::from_secs(60);

/// Which limit refused a request, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    ClientAddress,
    Username,
    FlowActions,
    AddressActions,
}

/// A refusal: which limit, and how long until its window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub limit: Limit,
    pub retry_after: Duration,
}

pub struct Limits {
    settings: LimitSettings,
    names: Hmac<Sha256>,
}

impl Limits {
    /// `master`: the deployment's secret (every replica must count a username under the same key).
    pub fn new(settings: &LimitSettings, master: &[u8]) -> Limits {
        let key = Sha256::new()
            .chain_update(b"credentials-flow usernames\0")
            .chain_update(master)
            .finalize();
        Limits {
            settings: settings.clone(),
            // HMAC takes a key of any length.
            names: Hmac::new_from_slice(&key).unwrap_or_else(|_| unreachable!()),
        }
    }

    /// Counts one sign-in from `ip` at `now_ms`, then for `username` of `provider` when there is one.
    pub async fn start(
        &self,
        store: &dyn FlowRecords,
        now_ms: u64,
        ip: IpAddr,
        provider: &str,
        username: Option<&str>,
    ) -> Result<Result<(), Refused>, StoreError> {
        let by_ip = format!("start:ip:{}", network(ip));
        let by_name = username
            .map(|username| format!("start:user:{}", self.username_key(provider, username)));
        let mut limits = vec![(by_ip.as_str(), self.settings.start_per_ip_per_minute.get())];
        let mut which = vec![Limit::ClientAddress];
        if let Some(by_name) = &by_name {
            limits.push((by_name, self.settings.start_per_username_per_minute.get()));
            which.push(Limit::Username);
        }
        count(store, now_ms, &limits, &which).await
    }

    /// Counts one call at `now_ms` on the sign-in `flow` when the call has one, then from `ip`.
    pub async fn action(
        &self,
        store: &dyn FlowRecords,
        now_ms: u64,
        ip: IpAddr,
        flow: Option<&str>,
    ) -> Result<Result<(), Refused>, StoreError> {
        let by_flow = flow.map(|flow| format!("act:flow:{flow}"));
        let by_ip = format!("act:ip:{}", network(ip));
        let mut limits = Vec::with_capacity(2);
        let mut which = Vec::with_capacity(2);
        if let Some(by_flow) = &by_flow {
            limits.push((
                by_flow.as_str(),
                self.settings.actions_per_flow_per_minute.get(),
            ));
            which.push(Limit::FlowActions);
        }
        limits.push((
            by_ip.as_str(),
            self.settings.actions_per_ip_per_minute.get(),
        ));
        which.push(Limit::AddressActions);
        count(store, now_ms, &limits, &which).await
    }

    /// The key a username is counted under (case-insensitive, surrounding spaces ignored).
    fn username_key(&self, provider: &str, username: &str) -> String {
        let username = username.trim();
        let lower = if username
            .bytes()
            .any(|b| !b.is_ascii() || b.is_ascii_uppercase())
        {
            Cow::Owned(username.to_lowercase())
        } else {
            Cow::Borrowed(username)
        };
        let mut mac = self.names.clone();
        mac.update(provider.as_bytes());
        mac.update(b"\0");
        mac.update(lower.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Counts each limit in turn at `now_ms`, in one round trip to the store; the first one past its limit
/// refuses.
async fn count(
    store: &dyn FlowRecords,
    now_ms: u64,
    limits: &[(&str, u32)],
    which: &[Limit],
) -> Result<Result<(), Refused>, StoreError> {
    let Some(over) = store.hits(limits, now_ms, WINDOW).await? else {
        return Ok(Ok(()));
    };
    let (_, left) = window_of(now_ms, WINDOW);
    Ok(Err(Refused {
        limit: which[over],
        retry_after: left,
    }))
}

/// The address a limit counts: an IPv4 address, or the /64 an IPv6 address is in (IPv4-mapped IPv6
/// addresses count as their IPv4 address).
pub fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Whole seconds for `Retry-After`, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{clock::Clock, settings::Settings, store::MemoryStore};
    use std::num::NonZeroU32;

    /// A second into a one-minute window.
    const NOW: u64 = 60_001_000;

    fn limits(per_ip: u32, per_username: u32) -> Limits {
        let count = |n: u32| NonZeroU32::new(n).expect("a limit of at least 1");
        Limits::new(
            &LimitSettings {
                start_per_ip_per_minute: count(per_ip),
                start_per_username_per_minute: count(per_username),
                actions_per_flow_per_minute: count(2),
                actions_per_ip_per_minute: count(3),
                ..Settings::default().limits
            },
            b"secret",
        )
    }

    async fn ok(
        limits: &Limits,
        store: &MemoryStore,
        ip: IpAddr,
        provider: &str,
        name: &str,
    ) -> bool {
        limits
            .start(store, NOW, ip, provider, Some(name))
            .await
            .expect("store")
            .is_ok()
    }

    #[tokio::test]
    async fn each_address_and_each_username_has_its_own_budget() {
        let store = MemoryStore::new(Clock::default());
        let limits = limits(2, 1);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(ok(&limits, &store, a, "linkedin", "u1").await);
        assert!(ok(&limits, &store, a, "linkedin", "u2").await);
        let refused = limits
            .start(&store, NOW, a, "linkedin", Some("u3"))
            .await
            .expect("store")
            .expect_err("third from a");
        assert_eq!(refused.limit, Limit::ClientAddress);
        assert_eq!(refused.retry_after, WINDOW - Duration::from_secs(1));

        assert!(ok(&limits, &store, b, "linkedin", "u4").await);

        let limits = self::limits(100, 1);
        assert!(ok(&limits, &store, b, "linkedin", "Alice@Example.com").await);
        assert!(
            !ok(&limits, &store, b, "linkedin", " alice@example.com").await,
            "same user, other case"
        );
        assert!(ok(&limits, &store, b, "instagram", "alice@example.com").await);
        let c: IpAddr = [10, 0, 0, 3].into();
        assert!(ok(&limits, &store, c, "linkedin", "Élodie").await);
        assert!(
            !ok(&limits, &store, c, "linkedin", "éLODIE ").await,
            "same user, other case, beyond ASCII"
        );
    }

    #[tokio::test]
    async fn a_spent_budget_comes_back_when_its_window_ends() {
        let store = MemoryStore::new(Clock::default());
        let limits = limits(1, 100);
        let a: IpAddr = [10, 0, 0, 1].into();
        let start = |now| limits.start(&store, now, a, "linkedin", None);
        assert_eq!(start(NOW).await.ok(), Some(Ok(())));
        let refused = start(NOW).await.expect("store").expect_err("second from a");
        let window_end = NOW + refused.retry_after.as_millis() as u64;
        assert!(start(window_end - 1).await.expect("store").is_err());
        assert_eq!(start(window_end).await.ok(), Some(Ok(())));
    }

    #[tokio::test]
    async fn ipv6_addresses_count_per_64() {
        let store = MemoryStore::new(Clock::default());
        let limits = limits(1, 100);
        let one: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let other_64: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert!(ok(&limits, &store, one, "linkedin", "a").await);
        assert!(!ok(&limits, &store, same_64, "linkedin", "b").await);
        assert!(ok(&limits, &store, other_64, "linkedin", "c").await);
        assert_eq!(network("::ffff:10.1.2.3".parse().expect("ip")), "10.1.2.3");
    }

    #[tokio::test]
    async fn calls_on_a_sign_in_are_capped_per_flow_and_per_address() {
        let store = MemoryStore::new(Clock::default());
        let limits = limits(100, 100);
        let a: IpAddr = [10, 0, 0, 1].into();
        let action = |flow: &'static str| {
            let (limits, store) = (&limits, &store);
            async move {
                limits
                    .action(store, NOW, a, Some(flow))
                    .await
                    .expect("store")
            }
        };
        assert!(action("f1").await.is_ok() && action("f1").await.is_ok());
        assert_eq!(
            action("f1").await.map_err(|r| r.limit),
            Err(Limit::FlowActions)
        );
        assert!(action("f2").await.is_ok());
        assert_eq!(
            action("f2").await.map_err(|r| r.limit),
            Err(Limit::AddressActions)
        );
    }

    #[test]
    fn usernames_are_keyed_by_a_secret_and_never_kept() {
        let a = limits(1, 1).username_key("linkedin", "alice");
        assert_eq!(a, limits(1, 1).username_key("linkedin", " ALICE "));
        assert!(!a.contains("alice"));
        let other_secret = Limits::new(&Settings::default().limits, b"other");
        assert_ne!(a, other_secret.username_key("linkedin", "alice"));
    }

    #[test]
    fn retry_after_is_rounded_up_to_a_whole_second() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(12)), 12);
        assert_eq!(retry_after_secs(Duration::from_millis(11_200)), 12);
    }
}
