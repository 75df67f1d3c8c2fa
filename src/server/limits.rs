//! Rate limits on starting a sign-in, against credential stuffing: per client address and per username
//! (`governor`, GCRA). The counters live in this process: behind a load balancer each replica enforces
//! them on the requests it sees, so the effective limit grows with the number of replicas.

use super::settings::LimitSettings;
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::{
    borrow::Cow,
    hash::{BuildHasher, Hash, RandomState},
    net::IpAddr,
    num::NonZeroU32,
    time::Duration,
};

/// Above this many tracked keys, keys whose quota is full again are dropped.
const RETAIN_ABOVE: usize = 10_000;

/// Which limit refused a request, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    ClientAddress,
    Username,
}

pub struct StartLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Keyed by a hash of the provider and the username, with a key random to this process: the
    /// limiter keeps no usernames, and no one can pick two names that share a budget.
    per_username: DefaultKeyedRateLimiter<u64>,
    names: RandomState,
}

impl StartLimits {
    pub fn new(settings: &LimitSettings) -> StartLimits {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        StartLimits {
            per_ip: RateLimiter::keyed(per_minute(settings.start_per_ip_per_minute)),
            per_username: RateLimiter::keyed(per_minute(settings.start_per_username_per_minute)),
            names: RandomState::new(),
        }
    }

    /// Counts one sign-in from `ip`; `Err` holds how long until the next one is allowed.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Duration> {
        check(&self.per_ip, &ip)
    }

    /// Counts one sign-in for `username` of `provider` (case-insensitive).
    pub fn check_username(&self, provider: &str, username: &str) -> Result<(), Duration> {
        let username = username.trim();
        let lower = if username
            .bytes()
            .any(|b| !b.is_ascii() || b.is_ascii_uppercase())
        {
            Cow::Owned(username.to_lowercase())
        } else {
            Cow::Borrowed(username)
        };
        check(
            &self.per_username,
            &self.names.hash_one((provider, lower.as_ref())),
        )
    }
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Duration> {
    if limiter.len() > RETAIN_ABOVE {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| {
        not_until.wait_time_from(governor::clock::DefaultClock::default().now())
    })
}

/// Whole seconds for `Retry-After`, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_ip: u32, per_username: u32) -> StartLimits {
        StartLimits::new(&LimitSettings {
            start_per_ip_per_minute: per_ip,
            start_per_username_per_minute: per_username,
            ..LimitSettings::default()
        })
    }

    #[test]
    fn each_address_and_each_username_has_its_own_budget() {
        let limits = limits(2, 1);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(limits.check_ip(a).is_ok() && limits.check_ip(a).is_ok());
        let wait = limits.check_ip(a).expect_err("third from a");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(limits.check_ip(b).is_ok());

        assert!(limits
            .check_username("linkedin", "Alice@Example.com")
            .is_ok());
        assert!(
            limits
                .check_username("linkedin", " alice@example.com")
                .is_err(),
            "same user, other case"
        );
        assert!(limits
            .check_username("instagram", "alice@example.com")
            .is_ok());
        assert!(limits.check_username("linkedin", "Élodie").is_ok());
        assert!(
            limits.check_username("linkedin", "éLODIE ").is_err(),
            "same user, other case, beyond ASCII"
        );
        assert!(limits.check_username("linkedin", "elodie").is_ok());
    }

    #[test]
    fn retry_after_is_rounded_up_to_a_whole_second() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(12)), 12);
        assert_eq!(retry_after_secs(Duration::from_millis(11_200)), 12);
    }
}
