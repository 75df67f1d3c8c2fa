//! The HTTP/2 connections a client's calls share (its lanes), and which lane a call takes.
//!
//! A lane is one HTTP/2 connection. Each carries at most `calls_per_lane` calls at once. A call
//! takes the first open lane with room, so the lanes stay few; a new lane is opened only when
//! every lane is full; empty lanes at the end are closed again, keeping one in reserve; and a lane
//! nobody used for `idle_timeout`, or whose connection has ended, is dropped instead of trusted.

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What the pool asks of a lane beyond its count of calls.
pub(crate) trait Lane {
    /// The most calls this lane takes at once as far as its server is concerned, e.g. the
    /// streams an HTTP/2 server allows a connection. The pool's own limit applies as well.
    fn room(&self) -> usize {
        usize::MAX
    }

    /// The lane's connection has ended (closed by either side or broken): no new call takes it.
    fn closed(&self) -> bool {
        false
    }
}

#[derive(Debug)]
pub(crate) struct Pool<L> {
    calls_per_lane: usize,
    idle_timeout: Duration,
    open: Mutex<Vec<Arc<Slot<L>>>>,
}

#[derive(Debug)]
struct Slot<L> {
    lane: L,
    /// Calls on this lane; raised only under the pool's lock, lowered when a call ends.
    calls: AtomicUsize,
    /// When the last call ended (or the lane was made).
    idle_since: Mutex<Instant>,
}

impl<L> Slot<L> {
    fn idle(&self) -> bool {
        self.calls.load(Ordering::Acquire) == 0
    }
}

/// A lane taken for one call; gives its place back when dropped.
pub(crate) struct Checkout<L>(Arc<Slot<L>>);

impl<L> Deref for Checkout<L> {
    type Target = L;

    fn deref(&self) -> &L {
        &self.0.lane
    }
}

impl<L> Drop for Checkout<L> {
    fn drop(&mut self) {
        if self.0.calls.fetch_sub(1, Ordering::AcqRel) == 1 {
            *self
                .0
                .idle_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Instant::now();
        }
    }
}

impl<L: Lane> Pool<L> {
    /// A pool with no lane open yet; 0 calls per lane is taken as 1.
    pub fn new(calls_per_lane: usize, idle_timeout: Duration) -> Pool<L> {
        Pool {
            calls_per_lane: calls_per_lane.max(1),
            idle_timeout,
            open: Mutex::new(Vec::new()),
        }
    }

    /// Takes a place on a lane with room, opening one with `new` if every lane is full.
    pub fn checkout<E>(&self, new: impl FnOnce() -> Result<L, E>) -> Result<Checkout<L>, E> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let stale = |slot: &Slot<L>| {
            slot.lane.closed()
                || slot
                    .idle_since
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .elapsed()
                    > self.idle_timeout
        };
        open.retain(|slot| !(slot.idle() && stale(slot)));
        while open.len() > 1 && open[open.len() - 1].idle() && open[open.len() - 2].idle() {
            open.pop();
        }
        let free = open.iter().find(|slot| {
            let room = self.calls_per_lane.min(slot.lane.room());
            !slot.lane.closed() && slot.calls.load(Ordering::Acquire) < room
        });
        let slot = match free {
            Some(slot) => Arc::clone(slot),
            None => {
                let slot = Arc::new(Slot {
                    lane: new()?,
                    calls: AtomicUsize::new(0),
                    idle_since: Mutex::new(Instant::now()),
                });
                open.push(Arc::clone(&slot));
                slot
            }
        };
        slot.calls.fetch_add(1, Ordering::AcqRel);
        Ok(Checkout(slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[derive(Default)]
    struct Test {
        room: Option<usize>,
        closed: AtomicBool,
    }

    impl Lane for Test {
        fn room(&self) -> usize {
            self.room.unwrap_or(usize::MAX)
        }
        fn closed(&self) -> bool {
            self.closed.load(Ordering::Acquire)
        }
    }

    fn take(pool: &Pool<Test>, opened: &mut usize) -> Checkout<Test> {
        pool.checkout(|| {
            *opened += 1;
            Ok::<_, ()>(Test::default())
        })
        .expect("a lane")
    }

    #[test]
    fn calls_fill_the_first_lanes_and_empty_ones_close_but_one() {
        let pool = Pool::new(2, Duration::from_secs(60));
        let mut opened = 0;
        let calls: Vec<_> = (0..5).map(|_| take(&pool, &mut opened)).collect();
        assert_eq!(opened, 3);
        drop(calls);
        // Every lane is empty: the two at the end go, one stays for the next call.
        let again = take(&pool, &mut opened);
        assert_eq!(opened, 3);
        assert_eq!(pool.open.lock().unwrap().len(), 1);
        drop(again);
    }

    #[test]
    fn a_closed_or_idle_lane_is_replaced_and_a_failed_open_is_returned() {
        let pool = Pool::new(10, Duration::from_millis(50));
        let mut opened = 0;
        let call = take(&pool, &mut opened);
        call.closed.store(true, Ordering::Release);
        let other = take(&pool, &mut opened);
        assert_eq!(opened, 2, "a closed lane took a call");
        drop((call, other));
        std::thread::sleep(Duration::from_millis(80));
        drop(take(&pool, &mut opened));
        assert_eq!(opened, 3, "an idle lane was trusted");
        let failed = pool.checkout(|| Err::<Test, _>("refused")).err();
        assert_eq!(failed, None, "an open lane with room was not taken");
        let full = Pool::new(1, Duration::from_secs(60));
        let _busy = take(&full, &mut opened);
        assert_eq!(
            full.checkout(|| Err::<Test, _>("refused")).err(),
            Some("refused")
        );
    }

    #[test]
    fn a_lane_takes_no_more_calls_than_its_server_allows() {
        let pool = Pool::new(100, Duration::from_secs(60));
        let mut opened = 0;
        let narrow = || {
            Ok::<_, ()>(Test {
                room: Some(2),
                ..Test::default()
            })
        };
        let calls: Vec<_> = (0..5)
            .map(|_| {
                pool.checkout(|| {
                    opened += 1;
                    narrow()
                })
                .expect("a lane")
            })
            .collect();
        assert_eq!(opened, 3);
        drop(calls);
    }
}
