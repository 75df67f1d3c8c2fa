//! The time the server decides by: when a checkpoint expires, when a code may be sent again, which
//! rate-limit window a call falls in, when an in-process record or lease runs out. It is real time, and a
//! test can move it forward ([`Clock::advance`]) to see a cooldown end or a lifetime pass without waiting
//! for it. What Redis expires stays with Redis's own clock.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// Milliseconds since the Unix epoch, by the system's clock: for times read outside this server (a
/// notification's timestamp and signature), which must be real whatever [`Clock`] says.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Real time, moved ahead by whatever [`Clock::advance`] added (nothing, unless a test called it). Clones
/// share one clock: the app state's, the in-process store's.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    ahead_ms: Arc<AtomicU64>,
}

impl Clock {
    fn ahead(&self) -> Duration {
        Duration::from_millis(self.ahead_ms.load(Ordering::Relaxed))
    }

    /// Milliseconds since the Unix epoch: what cookies and shared records hold.
    pub fn now_ms(&self) -> u64 {
        unix_ms() + self.ahead().as_millis() as u64
    }

    /// Whole seconds since the Unix epoch: what start links are signed with.
    pub fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// A monotonic instant, for expiries that never leave this process.
    pub fn instant(&self) -> Instant {
        Instant::now() + self.ahead()
    }

    /// Moves the clock forward by `by`, for every holder of it. Tests call it to pass a cooldown or a
    /// lifetime at once; the server itself never does. It never goes back.
    pub fn advance(&self, by: Duration) {
        self.ahead_ms
            .fetch_add(by.as_millis() as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone_and_both_readings_by_the_same_amount() {
        let clock = Clock::default();
        let other = clock.clone();
        let (ms, instant) = (clock.now_ms(), clock.instant());
        other.advance(Duration::from_secs(90));
        assert!(clock.now_ms() >= ms + 90_000);
        assert!(clock.instant() >= instant + Duration::from_secs(90));
        assert!(clock.now_ms() - unix_ms() >= 90_000);
    }
}
