//! The flow record: what must not be forged or replayed about a sign-in lives here, on the server, and the
//! flow cookie only points at it. Per flow id: the step's generation (a cookie of an older generation is
//! refused), wrong codes so far, when a code was last sent, and whether the flow is finished. Beside the
//! records, the counters of the rate limits.
//!
//! Two implementations of [`FlowRecords`]: [`MemoryStore`] (one replica, nothing to set up) and
//! [`RedisStore`] (`REDIS_URL`: every replica shares the records and the counters). Every operation is
//! atomic in both. No username, password, code or intent id is stored: keys are flow ids (random) and
//! keyed hashes.

use super::clock::Clock;
use futures::future::BoxFuture;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// The store could not be reached or answered nonsense; the caller refuses to go on (nothing is sent to
/// Unipile without its limits checked).
#[derive(Debug, thiserror::Error)]
#[error("flow store unavailable: {0}")]
pub struct StoreError(pub String);

/// A flow's generation, as a state-changing call finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// The call's generation was the current one; this is the next.
    Advanced(u64),
    /// The call carries an older generation: a replayed cookie, or a second call racing the first.
    Stale,
    /// The flow is over (linked, or cancelled); nothing may act on it again.
    Finished,
    /// No record: the flow expired, or never was.
    Missing,
}

/// A start link's nonce, as [`FlowRecords::link_nonce`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkNonce {
    /// No sign-in has used it yet (and, when looked at without spending, it is still not taken).
    Unused,
    /// Spent by this holder: the browser that started its sign-in, which may go on with it.
    Mine,
    /// Spent by another holder: the link was used elsewhere.
    Spent,
}

/// The flow records and the limit counters, as every replica sees them.
pub trait FlowRecords: Send + Sync {
    /// A new record at generation 1 for a flow on its first checkpoint (no wrong code yet, its code sent
    /// at `code_sent_at_ms`, 0 for none), kept for `ttl`.
    fn create(
        &self,
        flow: &str,
        code_sent_at_ms: u64,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<u64, StoreError>>;
    /// Moves the flow to its next generation if `generation` is the current one.
    fn advance(&self, flow: &str, generation: u64)
        -> BoxFuture<'_, Result<Generation, StoreError>>;
    /// Whether `generation` is the current one, without moving it (`Advanced` holds it unchanged).
    fn check(&self, flow: &str, generation: u64) -> BoxFuture<'_, Result<Generation, StoreError>>;
    /// A new checkpoint: no wrong code yet, and its code was sent at `now_ms`.
    fn new_step(&self, flow: &str, now_ms: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Counts a wrong code; the count so far.
    fn wrong_code(&self, flow: &str) -> BoxFuture<'_, Result<u32, StoreError>>;
    /// Takes the right to resend the code if the last one was sent at least `cooldown_ms` before
    /// `now_ms`; `Err(sent_at_ms)` with the last sending otherwise.
    fn resend(
        &self,
        flow: &str,
        now_ms: u64,
        cooldown_ms: u64,
    ) -> BoxFuture<'_, Result<Result<(), u64>, StoreError>>;
    /// Ends the flow: every later call on it is refused.
    fn finish(&self, flow: &str) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Counts one event for each key in turn, in the fixed window of `window` that `now_ms` falls in, and
    /// stops at the first whose count in that window goes past its limit: its index, or `None` when every
    /// key was within its limit. One round trip to the store, however many keys.
    fn hits(
        &self,
        limits: &[(&str, u32)],
        now_ms: u64,
        window: Duration,
    ) -> BoxFuture<'_, Result<Option<usize>, StoreError>>;
    /// Takes the flow's lease for `holder` if nobody holds it: the holder alone keeps the one call to
    /// Unipile that waits for an approval. True when taken by this call.
    fn lease(
        &self,
        flow: &str,
        holder: &str,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Extends `holder`'s lease; false when it has lost it.
    fn renew(
        &self,
        flow: &str,
        holder: &str,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Gives the lease up, if `holder` has it.
    fn release(&self, flow: &str, holder: &str) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Keeps what the wait of `generation` came to, and tells every replica's waiters.
    fn put_outcome(
        &self,
        flow: &str,
        generation: u64,
        outcome: &str,
    ) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The last wait outcome kept for the flow, with the generation it answers.
    fn outcome(&self, flow: &str) -> BoxFuture<'_, Result<Option<(u64, String)>, StoreError>>;
    /// Woken when an outcome is put for `flow`, by any replica.
    fn watch(&self, flow: &str) -> Arc<Notify>;
    /// A start link's `nonce`: with `spend`, taken for `holder` (the browser using the link) if nobody has
    /// it, and kept for `ttl` (until the link expires), in one atomic operation; without, only looked at.
    /// `Mine` when `holder` has it, `Spent` when another does.
    fn link_nonce(
        &self,
        nonce: &str,
        holder: &str,
        ttl: Duration,
        spend: bool,
    ) -> BoxFuture<'_, Result<LinkNonce, StoreError>>;
    /// Whether the store answers.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;
    /// For `/readyz` and logs.
    fn name(&self) -> &'static str;
}

/// The fixed window `now` falls in (its index), and the time left in it.
pub(super) fn window_of(now: u64, window: Duration) -> (u64, Duration) {
    let width = (window.as_millis() as u64).max(1);
    let index = now / width;
    (index, Duration::from_millis((index + 1) * width - now))
}

/// A map of this process whose dead entries are swept out once it has doubled since the last sweep: a
/// sweep then costs a constant amount per insert on average, however many entries are alive.
struct Swept<V> {
    map: HashMap<String, V>,
    sweep_above: usize,
}

impl<V> Default for Swept<V> {
    fn default() -> Self {
        Swept {
            map: HashMap::new(),
            sweep_above: SWEEP_ABOVE,
        }
    }
}

impl<V> Swept<V> {
    fn sweep_if_due(&mut self, alive: impl FnMut(&V) -> bool) {
        if self.map.len() > self.sweep_above {
            let mut alive = alive;
            self.map.retain(|_, v| alive(v));
            self.sweep_above = (self.map.len() * 2).max(SWEEP_ABOVE);
        }
    }
}

/// The waiters of this process, by flow: woken when an outcome is put (here or, through Redis, elsewhere).
#[derive(Default)]
pub struct Watchers(Mutex<Swept<Weak<Notify>>>);

impl Watchers {
    fn watch(&self, flow: &str) -> Arc<Notify> {
        let mut watchers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = watchers.map.get(flow).and_then(Weak::upgrade) {
            return notify;
        }
        watchers.sweep_if_due(|w| w.strong_count() > 0);
        let notify = Arc::new(Notify::new());
        watchers
            .map
            .insert(flow.to_owned(), Arc::downgrade(&notify));
        notify
    }

    fn wake(&self, flow: &str) {
        let watchers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = watchers.map.get(flow).and_then(Weak::upgrade) {
            notify.notify_waiters();
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// In memory

#[derive(Debug)]
struct Record {
    generation: u64,
    wrong_codes: u32,
    code_sent_at_ms: u64,
    finished: bool,
    expires: Instant,
    /// Who holds the wait's lease, until when.
    lease: Option<(String, Instant)>,
    outcome: Option<(u64, String)>,
}

/// Records in this process only: enough for one replica.
pub struct MemoryStore {
    /// What the records, leases, nonces and counters expire by.
    clock: Clock,
    records: Mutex<Swept<Record>>,
    /// Spent start-link nonces: their holder, until when.
    nonces: Mutex<Swept<(String, Instant)>>,
    counters: Mutex<Swept<(u64, Instant)>>,
    watchers: Watchers,
}

/// The fewest entries at which a map is swept of dead ones.
const SWEEP_ABOVE: usize = 10_000;

impl MemoryStore {
    pub fn new(clock: Clock) -> MemoryStore {
        MemoryStore {
            clock,
            records: Mutex::default(),
            nonces: Mutex::default(),
            counters: Mutex::default(),
            watchers: Watchers::default(),
        }
    }

    fn with_record<T>(&self, flow: &str, f: impl FnOnce(Option<&mut Record>) -> T) -> T {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.instant();
        let record = records.map.get_mut(flow).filter(|r| r.expires > now);
        f(record)
    }
}

fn ready<T: Send + 'static>(value: T) -> BoxFuture<'static, T> {
    Box::pin(std::future::ready(value))
}

impl FlowRecords for MemoryStore {
    fn create(
        &self,
        flow: &str,
        code_sent_at_ms: u64,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.instant();
        records.sweep_if_due(|r| r.expires > now);
        records.map.insert(
            flow.to_owned(),
            Record {
                generation: 1,
                wrong_codes: 0,
                code_sent_at_ms,
                finished: false,
                expires: now + ttl,
                lease: None,
                outcome: None,
            },
        );
        ready(Ok(1))
    }

    fn advance(
        &self,
        flow: &str,
        generation: u64,
    ) -> BoxFuture<'_, Result<Generation, StoreError>> {
        ready(Ok(self.with_record(flow, |record| match record {
            None => Generation::Missing,
            Some(r) if r.finished => Generation::Finished,
            Some(r) if r.generation != generation => Generation::Stale,
            Some(r) => {
                r.generation += 1;
                Generation::Advanced(r.generation)
            }
        })))
    }

    fn check(&self, flow: &str, generation: u64) -> BoxFuture<'_, Result<Generation, StoreError>> {
        ready(Ok(self.with_record(flow, |record| match record {
            None => Generation::Missing,
            Some(r) if r.finished => Generation::Finished,
            Some(r) if r.generation != generation => Generation::Stale,
            Some(r) => Generation::Advanced(r.generation),
        })))
    }

    fn new_step(&self, flow: &str, now_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.with_record(flow, |record| {
            if let Some(r) = record {
                r.wrong_codes = 0;
                r.code_sent_at_ms = now_ms;
            }
        });
        ready(Ok(()))
    }

    fn wrong_code(&self, flow: &str) -> BoxFuture<'_, Result<u32, StoreError>> {
        ready(Ok(self.with_record(flow, |record| match record {
            Some(r) => {
                r.wrong_codes += 1;
                r.wrong_codes
            }
            // A flow without a record has nothing left to guess on.
            None => u32::MAX,
        })))
    }

    fn resend(
        &self,
        flow: &str,
        now_ms: u64,
        cooldown_ms: u64,
    ) -> BoxFuture<'_, Result<Result<(), u64>, StoreError>> {
        ready(Ok(self.with_record(flow, |record| match record {
            Some(r) if now_ms >= r.code_sent_at_ms.saturating_add(cooldown_ms) => {
                r.code_sent_at_ms = now_ms;
                Ok(())
            }
            Some(r) => Err(r.code_sent_at_ms),
            None => Err(now_ms),
        })))
    }

    fn finish(&self, flow: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        self.with_record(flow, |record| {
            if let Some(r) = record {
                r.finished = true;
            }
        });
        ready(Ok(()))
    }

    fn hits(
        &self,
        limits: &[(&str, u32)],
        now_ms: u64,
        window: Duration,
    ) -> BoxFuture<'_, Result<Option<usize>, StoreError>> {
        let (index, left) = window_of(now_ms, window);
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.instant();
        counters.sweep_if_due(|(_, until)| *until > now);
        let over = limits.iter().position(|(key, limit)| {
            let entry = counters
                .map
                .entry(format!("{key}:{index}"))
                .or_insert((0, now + left));
            entry.0 += 1;
            entry.0 > u64::from(*limit)
        });
        ready(Ok(over))
    }

    fn lease(
        &self,
        flow: &str,
        holder: &str,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let now = self.clock.instant();
        ready(Ok(self.with_record(flow, |record| match record {
            Some(r) if r.lease.as_ref().is_none_or(|(_, until)| *until <= now) => {
                r.lease = Some((holder.to_owned(), now + ttl));
                true
            }
            _ => false,
        })))
    }

    fn renew(
        &self,
        flow: &str,
        holder: &str,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let now = self.clock.instant();
        ready(Ok(self.with_record(flow, |record| match record {
            Some(r) => match &mut r.lease {
                Some((by, until)) if by == holder => {
                    *until = now + ttl;
                    true
                }
                _ => false,
            },
            None => false,
        })))
    }

    fn release(&self, flow: &str, holder: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        self.with_record(flow, |record| {
            if let Some(r) = record {
                if r.lease.as_ref().is_some_and(|(by, _)| by == holder) {
                    r.lease = None;
                }
            }
        });
        ready(Ok(()))
    }

    fn put_outcome(
        &self,
        flow: &str,
        generation: u64,
        outcome: &str,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.with_record(flow, |record| {
            if let Some(r) = record {
                r.outcome = Some((generation, outcome.to_owned()));
            }
        });
        self.watchers.wake(flow);
        ready(Ok(()))
    }

    fn outcome(&self, flow: &str) -> BoxFuture<'_, Result<Option<(u64, String)>, StoreError>> {
        ready(Ok(self.with_record(flow, |record| {
            record.and_then(|r| r.outcome.clone())
        })))
    }

    fn watch(&self, flow: &str) -> Arc<Notify> {
        self.watchers.watch(flow)
    }

    fn link_nonce(
        &self,
        nonce: &str,
        holder: &str,
        ttl: Duration,
        spend: bool,
    ) -> BoxFuture<'_, Result<LinkNonce, StoreError>> {
        let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.instant();
        nonces.sweep_if_due(|(_, until)| *until > now);
        let found = match nonces.map.get(nonce).filter(|(_, until)| *until > now) {
            Some((by, _)) if by == holder => LinkNonce::Mine,
            Some(_) => LinkNonce::Spent,
            None if spend => {
                nonces
                    .map
                    .insert(nonce.to_owned(), (holder.to_owned(), now + ttl));
                LinkNonce::Mine
            }
            None => LinkNonce::Unused,
        };
        ready(Ok(found))
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(Ok(()))
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}

// ---------------------------------------------------------------------------------------------------------
// Redis

/// Records in Redis, shared by every replica with the same `REDIS_URL`. Each operation is one script or
/// command, so it is atomic whatever the other replicas do. Keys: `cf:flow:<id>` (a hash: `gen`, `wrong`,
/// `sent`, `done`), `cf:hit:<key>:<window>` (a counter), `cf:link:<nonce>` (the holder of a spent start-link
/// nonce, until the link expires); all expire.
pub struct RedisStore {
    connection: redis::aio::ConnectionManager,
    /// Longest wait for any answer: past it the store counts as unreachable.
    timeout: Duration,
    watchers: Arc<Watchers>,
}

/// The channel outcomes are announced on; a message is the flow id.
const OUTCOMES: &str = "cf:outcomes";

/// A Redis answer within `timeout`; past it the store counts as unreachable.
async fn within<T>(
    timeout: Duration,
    request: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(StoreError(e.to_string())),
        Err(_) => Err(StoreError("no answer in time".into())),
    }
}

/// Runs the Lua script `code` with `keys` and `args` on `connection`, within `timeout` (the flow records'
/// and the notification outbox's scripts alike).
pub(super) async fn run_script<T: redis::FromRedisValue>(
    connection: &redis::aio::ConnectionManager,
    timeout: Duration,
    code: &str,
    keys: &[&str],
    args: &[&str],
) -> Result<T, StoreError> {
    let script = redis::Script::new(code);
    let mut invocation = script.prepare_invoke();
    for key in keys {
        invocation.key(*key);
    }
    for arg in args {
        invocation.arg(*arg);
    }
    let mut connection = connection.clone();
    within(timeout, invocation.invoke_async(&mut connection)).await
}

const ADVANCE: &str = r"
local gen = redis.call('HGET', KEYS[1], 'gen')
if not gen then return -1 end
if redis.call('HGET', KEYS[1], 'done') == '1' then return -2 end
if tonumber(gen) ~= tonumber(ARGV[1]) then return -3 end
if ARGV[2] == '1' then return redis.call('HINCRBY', KEYS[1], 'gen', 1) end
return tonumber(gen)
";

const RESEND: &str = r"
local sent = redis.call('HGET', KEYS[1], 'sent')
if not sent then return -1 end
if tonumber(ARGV[1]) >= tonumber(sent) + tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'sent', ARGV[1])
  return -2
end
return tonumber(sent)
";

const WRONG_CODE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'wrong', 1)
";

const NEW_STEP: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'wrong', 0, 'sent', ARGV[1]) end
return 0
";

const FINISH: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'done', 1) end
return 0
";

const LEASE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
";

const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
";

const PUT_OUTCOME: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'outcome', ARGV[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return 0
";

const LINK_NONCE: &str = r"
local by = redis.call('GET', KEYS[1])
if by then
  if by == ARGV[1] then return 1 end
  return 2
end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
";

/// KEYS: the counters; ARGV: the window's time left, then each counter's limit. The 1-based index of the
/// first counter past its limit (those after it are not counted), or 0.
const HITS: &str = r"
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  if n > tonumber(ARGV[i + 1]) then return i end
end
return 0
";

fn flow_key(flow: &str) -> String {
    format!("cf:flow:{flow}")
}

fn link_key(nonce: &str) -> String {
    format!("cf:link:{nonce}")
}

fn lease_key(flow: &str) -> String {
    format!("cf:lease:{flow}")
}

impl RedisStore {
    /// A store on `url` (`redis://[:password@]host:port[/db]`). No connection is made yet: the first
    /// operation makes it, and a dropped one is made again, so a Redis that is down at start-up or
    /// restarted later is used as soon as it answers.
    pub fn new(url: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url)
            // The URL may hold a password: the error does not repeat it.
            .map_err(|_| {
                StoreError(
                    "REDIS_URL is not a Redis URL (redis://[:password@]host:port[/db])".into(),
                )
            })?;
        let timeout = Duration::from_secs(2);
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection =
            redis::aio::ConnectionManager::new_lazy_with_config(client.clone(), config)
                .map_err(|e| StoreError(e.to_string()))?;
        let watchers = Arc::new(Watchers::default());
        tokio::spawn(listen(client, Arc::downgrade(&watchers)));
        Ok(RedisStore {
            connection,
            timeout,
            watchers,
        })
    }

    async fn scripted(&self, code: &str, keys: &[&str], args: &[&str]) -> Result<i64, StoreError> {
        run_script(&self.connection, self.timeout, code, keys, args).await
    }

    /// A request's answer, or the store counted as unreachable past its timeout.
    async fn bounded<T>(
        &self,
        request: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        within(self.timeout, request).await
    }

    async fn script(&self, code: &str, key: &str, args: &[&str]) -> Result<i64, StoreError> {
        self.scripted(code, &[key], args).await
    }

    async fn generation(
        &self,
        flow: &str,
        generation: u64,
        advance: bool,
    ) -> Result<Generation, StoreError> {
        let generation = generation.to_string();
        let advance = if advance { "1" } else { "0" };
        Ok(
            match self
                .script(ADVANCE, &flow_key(flow), &[&generation, advance])
                .await?
            {
                -1 => Generation::Missing,
                -2 => Generation::Finished,
                -3 => Generation::Stale,
                n => Generation::Advanced(n.max(0) as u64),
            },
        )
    }
}

impl FlowRecords for RedisStore {
    fn create(
        &self,
        flow: &str,
        code_sent_at_ms: u64,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        let key = flow_key(flow);
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.atomic()
                .hset_multiple(
                    &key,
                    &[
                        ("gen", 1u64),
                        ("wrong", 0),
                        ("sent", code_sent_at_ms),
                        ("done", 0),
                    ],
                )
                .ignore()
                .pexpire(&key, ttl.as_millis() as i64)
                .ignore();
            let mut connection = self.connection.clone();
            self.bounded(pipe.query_async::<()>(&mut connection))
                .await
                .map(|()| 1)
        })
    }

    fn advance(
        &self,
        flow: &str,
        generation: u64,
    ) -> BoxFuture<'_, Result<Generation, StoreError>> {
        let flow = flow.to_owned();
        Box::pin(async move { self.generation(&flow, generation, true).await })
    }

    fn check(&self, flow: &str, generation: u64) -> BoxFuture<'_, Result<Generation, StoreError>> {
        let flow = flow.to_owned();
        Box::pin(async move { self.generation(&flow, generation, false).await })
    }

    fn new_step(&self, flow: &str, now_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = flow_key(flow);
        Box::pin(async move {
            self.script(NEW_STEP, &key, &[&now_ms.to_string()])
                .await
                .map(drop)
        })
    }

    fn wrong_code(&self, flow: &str) -> BoxFuture<'_, Result<u32, StoreError>> {
        let key = flow_key(flow);
        Box::pin(async move {
            let n = self.script(WRONG_CODE, &key, &[]).await?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    fn resend(
        &self,
        flow: &str,
        now_ms: u64,
        cooldown_ms: u64,
    ) -> BoxFuture<'_, Result<Result<(), u64>, StoreError>> {
        let key = flow_key(flow);
        Box::pin(async move {
            let now = now_ms.to_string();
            let cooldown = cooldown_ms.to_string();
            Ok(match self.script(RESEND, &key, &[&now, &cooldown]).await? {
                -2 => Ok(()),
                -1 => Err(now_ms),
                sent => Err(sent.max(0) as u64),
            })
        })
    }

    fn finish(&self, flow: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = flow_key(flow);
        Box::pin(async move { self.script(FINISH, &key, &[]).await.map(drop) })
    }

    fn hits(
        &self,
        limits: &[(&str, u32)],
        now_ms: u64,
        window: Duration,
    ) -> BoxFuture<'_, Result<Option<usize>, StoreError>> {
        let (index, left) = window_of(now_ms, window);
        static SCRIPT: std::sync::LazyLock<redis::Script> =
            std::sync::LazyLock::new(|| redis::Script::new(HITS));
        let mut invocation = SCRIPT.prepare_invoke();
        invocation.arg(left.as_millis().max(1).to_string());
        for (key, limit) in limits {
            invocation.key(format!("cf:hit:{key}:{index}")).arg(*limit);
        }
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let over: i64 = self
                .bounded(invocation.invoke_async(&mut connection))
                .await?;
            Ok(usize::try_from(over).ok().and_then(|i| i.checked_sub(1)))
        })
    }

    fn lease(
        &self,
        flow: &str,
        holder: &str,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let (record, lease, holder) = (flow_key(flow), lease_key(flow), holder.to_owned());
        Box::pin(async move {
            let ttl = ttl.as_millis().to_string();
            Ok(self
                .scripted(LEASE, &[&record, &lease], &[&holder, &ttl])
                .await?
                == 1)
        })
    }

    fn renew(
        &self,
        flow: &str,
        holder: &str,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let (lease, holder) = (lease_key(flow), holder.to_owned());
        Box::pin(async move {
            let ttl = ttl.as_millis().to_string();
            Ok(self.script(RENEW, &lease, &[&holder, &ttl]).await? == 1)
        })
    }

    fn release(&self, flow: &str, holder: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let (lease, holder) = (lease_key(flow), holder.to_owned());
        Box::pin(async move { self.script(RELEASE, &lease, &[&holder]).await.map(drop) })
    }

    fn put_outcome(
        &self,
        flow: &str,
        generation: u64,
        outcome: &str,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let (key, flow) = (flow_key(flow), flow.to_owned());
        let value = format!("{generation}\n{outcome}");
        Box::pin(async move {
            self.script(PUT_OUTCOME, &key, &[&value, OUTCOMES, &flow])
                .await
                .map(drop)
        })
    }

    fn outcome(&self, flow: &str) -> BoxFuture<'_, Result<Option<(u64, String)>, StoreError>> {
        let key = flow_key(flow);
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let mut command = redis::cmd("HGET");
            command.arg(&key).arg("outcome");
            let value = self
                .bounded(command.query_async::<Option<String>>(&mut connection))
                .await?;
            Ok(value.and_then(|v| {
                let (generation, outcome) = v.split_once('\n')?;
                Some((generation.parse().ok()?, outcome.to_owned()))
            }))
        })
    }

    fn watch(&self, flow: &str) -> Arc<Notify> {
        self.watchers.watch(flow)
    }

    fn link_nonce(
        &self,
        nonce: &str,
        holder: &str,
        ttl: Duration,
        spend: bool,
    ) -> BoxFuture<'_, Result<LinkNonce, StoreError>> {
        let (key, holder) = (link_key(nonce), holder.to_owned());
        Box::pin(async move {
            let ttl = ttl.as_millis().max(1).to_string();
            let spend = if spend { "1" } else { "0" };
            Ok(
                match self
                    .script(LINK_NONCE, &key, &[&holder, &ttl, spend])
                    .await?
                {
                    0 => LinkNonce::Unused,
                    1 => LinkNonce::Mine,
                    _ => LinkNonce::Spent,
                },
            )
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            self.bounded(redis::cmd("PING").query_async::<String>(&mut connection))
                .await
                .map(drop)
        })
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}

/// Listens for outcomes put by any replica and wakes this process's waiters, for as long as the store
/// lives; a dropped subscription is made again. Waiters also look at the record every few seconds, so a
/// message lost while reconnecting only delays them.
async fn listen(client: redis::Client, watchers: Weak<Watchers>) {
    use futures::StreamExt;
    while watchers.strong_count() > 0 {
        if let Ok(mut pubsub) = client.get_async_pubsub().await {
            if pubsub.subscribe(OUTCOMES).await.is_ok() {
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    let Some(watchers) = watchers.upgrade() else {
                        return;
                    };
                    if let Ok(flow) = message.get_payload::<String>() {
                        watchers.wake(&flow);
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn generations_are_single_use_and_a_finished_flow_refuses_everything() {
        let store = MemoryStore::new(Clock::default());
        let ttl = Duration::from_secs(60);
        assert_eq!(store.create("f1", 0, ttl).await.ok(), Some(1));
        assert_eq!(
            store.advance("f1", 1).await.ok(),
            Some(Generation::Advanced(2))
        );
        // The same cookie again: refused.
        assert_eq!(store.advance("f1", 1).await.ok(), Some(Generation::Stale));
        assert_eq!(
            store.check("f1", 2).await.ok(),
            Some(Generation::Advanced(2))
        );
        store.finish("f1").await.ok();
        assert_eq!(
            store.advance("f1", 2).await.ok(),
            Some(Generation::Finished)
        );
        assert_eq!(
            store.advance("nope", 1).await.ok(),
            Some(Generation::Missing)
        );
    }

    #[tokio::test]
    async fn wrong_codes_and_the_resend_cooldown_are_counted_on_the_record() {
        let store = MemoryStore::new(Clock::default());
        store.create("f", 1_000, Duration::from_secs(60)).await.ok();
        assert_eq!(store.wrong_code("f").await.ok(), Some(1));
        assert_eq!(store.wrong_code("f").await.ok(), Some(2));
        assert_eq!(store.resend("f", 1_500, 1_000).await.ok(), Some(Err(1_000)));
        assert_eq!(store.resend("f", 2_000, 1_000).await.ok(), Some(Ok(())));
        assert_eq!(store.resend("f", 2_100, 1_000).await.ok(), Some(Err(2_000)));
        store.new_step("f", 5_000).await.ok();
        assert_eq!(store.wrong_code("f").await.ok(), Some(1));
    }

    #[tokio::test]
    async fn a_record_expires_with_its_flow() {
        let clock = Clock::default();
        let store = MemoryStore::new(clock.clone());
        let ttl = Duration::from_secs(60);
        store.create("f", 0, ttl).await.ok();
        assert_eq!(
            store.check("f", 1).await.ok(),
            Some(Generation::Advanced(1))
        );
        clock.advance(ttl);
        assert_eq!(store.advance("f", 1).await.ok(), Some(Generation::Missing));
    }

    #[tokio::test]
    async fn expired_records_are_swept() {
        let store = MemoryStore::new(Clock::default());
        for i in 0..=SWEEP_ABOVE {
            store
                .create(&format!("short{i}"), 0, Duration::ZERO)
                .await
                .ok();
        }
        store.create("kept", 0, Duration::from_secs(60)).await.ok();
        let records = store.records.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(records.map.len() < 10, "{} records left", records.map.len());
        assert!(records.sweep_above >= SWEEP_ABOVE);
    }

    #[tokio::test]
    async fn a_link_nonce_is_spent_once_for_one_holder_until_it_expires() {
        let clock = Clock::default();
        let store = MemoryStore::new(clock.clone());
        let ttl = Duration::from_secs(60);
        let look = |holder| store.link_nonce("n-1", holder, ttl, false);
        assert_eq!(look("a").await.ok(), Some(LinkNonce::Unused));
        // Looking does not take it.
        assert_eq!(look("b").await.ok(), Some(LinkNonce::Unused));
        assert_eq!(
            store.link_nonce("n-1", "a", ttl, true).await.ok(),
            Some(LinkNonce::Mine)
        );
        assert_eq!(
            store.link_nonce("n-1", "a", ttl, true).await.ok(),
            Some(LinkNonce::Mine)
        );
        assert_eq!(
            store.link_nonce("n-1", "b", ttl, true).await.ok(),
            Some(LinkNonce::Spent)
        );
        assert_eq!(look("b").await.ok(), Some(LinkNonce::Spent));
        store.link_nonce("n-2", "a", ttl, true).await.ok();
        assert_eq!(
            store.link_nonce("n-2", "b", ttl, false).await.ok(),
            Some(LinkNonce::Spent)
        );
        clock.advance(ttl);
        assert_eq!(
            store.link_nonce("n-2", "b", ttl, false).await.ok(),
            Some(LinkNonce::Unused)
        );
    }

    #[tokio::test]
    async fn hits_count_per_key_within_a_window_and_stop_at_the_first_past_its_limit() {
        let store = MemoryStore::new(Clock::default());
        let window = Duration::from_secs(3600);
        // A second into a window (the third since the epoch), and the start of the next one.
        let (now, next) = (7_201_000, 10_800_000);
        assert_eq!(
            store.hits(&[("a", 2), ("b", 1)], now, window).await.ok(),
            Some(None)
        );
        assert_eq!(
            store.hits(&[("a", 2), ("b", 1)], now, window).await.ok(),
            Some(Some(1))
        );
        // `a` past its limit: `b` is not counted.
        assert_eq!(
            store.hits(&[("a", 2), ("b", 5)], now, window).await.ok(),
            Some(Some(0))
        );
        assert_eq!(
            store.hits(&[("b", 2)], now, window).await.ok(),
            Some(Some(0))
        );
        assert_eq!(store.hits(&[("c", 1)], now, window).await.ok(), Some(None));
        // The next window counts anew.
        assert_eq!(store.hits(&[("a", 2)], next, window).await.ok(), Some(None));
    }
}
