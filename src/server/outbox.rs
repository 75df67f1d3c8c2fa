//! The notifications waiting to reach the host's backend, kept in the flow store: in this process
//! ([`MemoryOutbox`], kept until the process stops) or in Redis ([`RedisOutbox`], shared by every replica,
//! so a replica that dies loses none). A delivery is claimed by one replica at a time for a lease: its due
//! time moves past the lease, so if that replica dies mid-attempt the delivery falls due again and another
//! replica claims it. Every operation is atomic (a Lua script in Redis).

use super::store::StoreError;
use futures::future::BoxFuture;
use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// A notification to send, as claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The event id, also the idempotency key the host sees.
    pub id: String,
    /// The JSON body, as it is sent on every attempt.
    pub body: String,
    /// When it was added (ms since the epoch): the give-up time counts from here.
    pub first_ms: u64,
    /// Attempts that failed so far.
    pub failures: u32,
}

/// The queue as a whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    pub count: u64,
    /// When the oldest pending notification was added.
    pub oldest_ms: Option<u64>,
    /// When the next one falls due (claimed ones: when their lease ends).
    pub next_due_ms: Option<u64>,
}

pub trait Outbox: Send + Sync {
    /// Adds a notification due at `now_ms`, unless one with this id was added within `remember` (the same
    /// account linked once, reported by several waiting tabs); false then.
    fn add(
        &self,
        id: &str,
        body: &str,
        now_ms: u64,
        remember: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Claims for `holder` at most `max` notifications due at `now_ms`; each stays claimed for `lease_ms`.
    fn claim(
        &self,
        holder: &str,
        now_ms: u64,
        lease_ms: u64,
        max: usize,
    ) -> BoxFuture<'_, Result<Vec<Pending>, StoreError>>;
    /// An attempt of `holder` failed: due again at `due_ms`, one failure more. Nothing if the claim was lost.
    fn retry(&self, id: &str, holder: &str, due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Acknowledged or given up: gone. Nothing if the claim was lost.
    fn remove(&self, id: &str, holder: &str) -> BoxFuture<'_, Result<(), StoreError>>;
    fn queue(&self) -> BoxFuture<'_, Result<Queue, StoreError>>;
    /// The pending notifications' ids and failures so far, at most `max`, oldest first.
    fn list(&self, max: usize) -> BoxFuture<'_, Result<Vec<(String, u32)>, StoreError>>;
    /// Whether pending notifications outlive this process.
    fn shared(&self) -> bool;
}

fn ready<T: Send + 'static>(value: T) -> BoxFuture<'static, T> {
    Box::pin(std::future::ready(value))
}

// ---------------------------------------------------------------------------------------------------------
// In memory

struct Item {
    body: String,
    first_ms: u64,
    failures: u32,
    due_ms: u64,
    holder: Option<String>,
}

#[derive(Default)]
struct Memory {
    items: HashMap<String, Item>,
    /// Ids added lately, until when they are remembered.
    seen: HashMap<String, Instant>,
    sweep_above: usize,
}

/// Pending notifications in this process: one replica, kept until it stops.
#[derive(Default)]
pub struct MemoryOutbox(Mutex<Memory>);

impl MemoryOutbox {
    fn with<T>(&self, f: impl FnOnce(&mut Memory) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Outbox for MemoryOutbox {
    fn add(
        &self,
        id: &str,
        body: &str,
        now_ms: u64,
        remember: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let now = Instant::now();
        ready(Ok(self.with(|m| {
            if m.seen.len() > m.sweep_above.max(1024) {
                m.seen.retain(|_, until| *until > now);
                m.sweep_above = m.seen.len() * 2;
            }
            if m.seen.get(id).is_some_and(|until| *until > now) {
                return false;
            }
            m.seen.insert(id.to_owned(), now + remember);
            m.items.insert(
                id.to_owned(),
                Item {
                    body: body.to_owned(),
                    first_ms: now_ms,
                    failures: 0,
                    due_ms: now_ms,
                    holder: None,
                },
            );
            true
        })))
    }

    fn claim(
        &self,
        holder: &str,
        now_ms: u64,
        lease_ms: u64,
        max: usize,
    ) -> BoxFuture<'_, Result<Vec<Pending>, StoreError>> {
        ready(Ok(self.with(|m| {
            let mut due: Vec<(&String, &mut Item)> = m
                .items
                .iter_mut()
                .filter(|(_, item)| item.due_ms <= now_ms)
                .collect();
            due.sort_by_key(|(_, item)| item.due_ms);
            due.into_iter()
                .take(max)
                .map(|(id, item)| {
                    item.due_ms = now_ms + lease_ms;
                    item.holder = Some(holder.to_owned());
                    Pending {
                        id: id.clone(),
                        body: item.body.clone(),
                        first_ms: item.first_ms,
                        failures: item.failures,
                    }
                })
                .collect()
        })))
    }

    fn retry(&self, id: &str, holder: &str, due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.with(|m| {
            if let Some(item) = m.items.get_mut(id) {
                if item.holder.as_deref() == Some(holder) {
                    item.holder = None;
                    item.failures += 1;
                    item.due_ms = due_ms;
                }
            }
        });
        ready(Ok(()))
    }

    fn remove(&self, id: &str, holder: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        self.with(|m| {
            if m.items
                .get(id)
                .is_some_and(|item| item.holder.as_deref() == Some(holder))
            {
                m.items.remove(id);
            }
        });
        ready(Ok(()))
    }

    fn queue(&self) -> BoxFuture<'_, Result<Queue, StoreError>> {
        ready(Ok(self.with(|m| Queue {
            count: m.items.len() as u64,
            oldest_ms: m.items.values().map(|i| i.first_ms).min(),
            next_due_ms: m.items.values().map(|i| i.due_ms).min(),
        })))
    }

    fn list(&self, max: usize) -> BoxFuture<'_, Result<Vec<(String, u32)>, StoreError>> {
        ready(Ok(self.with(|m| {
            let mut all: Vec<(u64, String, u32)> = m
                .items
                .iter()
                .map(|(id, item)| (item.first_ms, id.clone(), item.failures))
                .collect();
            all.sort();
            all.into_iter()
                .take(max)
                .map(|(_, id, failures)| (id, failures))
                .collect()
        })))
    }

    fn shared(&self) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------------------------------------
// Redis

/// Pending notifications in Redis, shared by the replicas of one `REDIS_URL`. Keys: `cf:notify:due` (a
/// sorted set of ids by due time), `cf:notify:born` (ids by the time they were added), `cf:notify:<id>` (a
/// hash: `body`, `first`, `failures`, `holder`, expiring a day after the give-up time) and
/// `cf:notify:seen:<id>` (an id added lately).
pub struct RedisOutbox {
    connection: redis::aio::ConnectionManager,
    timeout: Duration,
    /// How long an item is kept at most: past the give-up time, so no replica left holding it forever.
    keep_ms: u64,
}

const DUE: &str = "cf:notify:due";
const BORN: &str = "cf:notify:born";
const ITEM_PREFIX: &str = "cf:notify:";

fn item_key(id: &str) -> String {
    format!("{ITEM_PREFIX}{id}")
}

const ADD: &str = r"
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[4]) then return 0 end
redis.call('HSET', KEYS[2], 'body', ARGV[2], 'first', ARGV[3], 'failures', 0)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
return 1
";

const CLAIM: &str = r"
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local key = ARGV[5] .. id
  local item = redis.call('HMGET', key, 'body', 'first', 'failures')
  if not item[1] then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  else
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    redis.call('HSET', key, 'holder', ARGV[4])
    table.insert(out, id)
    table.insert(out, item[1])
    table.insert(out, item[2])
    table.insert(out, item[3])
  end
end
return out
";

const RETRY: &str = r"
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[2] then return 0 end
redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HDEL', KEYS[1], 'holder')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
";

const REMOVE: &str = r"
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
";

const QUEUE: &str = r"
local count = redis.call('ZCARD', KEYS[1])
local due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local born = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {count, due[2] or '-1', born[2] or '-1'}
";

impl RedisOutbox {
    /// An outbox on the Redis of `url` (the flow store's `REDIS_URL`), connected on first use and again
    /// whenever the connection drops. Items are kept at most `keep` in all.
    pub fn new(url: &str, keep: Duration) -> Result<RedisOutbox, StoreError> {
        let client = redis::Client::open(url).map_err(|_| {
            StoreError("REDIS_URL is not a Redis URL (redis://[:password@]host:port[/db])".into())
        })?;
        let timeout = Duration::from_secs(2);
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = redis::aio::ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError(e.to_string()))?;
        Ok(RedisOutbox {
            connection,
            timeout,
            keep_ms: keep.as_millis() as u64,
        })
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        code: &str,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, StoreError> {
        super::store::run_script(&self.connection, self.timeout, code, keys, args).await
    }
}

fn score(value: &str) -> Option<u64> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| *v >= 0.0)
        .map(|v| v as u64)
}

impl Outbox for RedisOutbox {
    fn add(
        &self,
        id: &str,
        body: &str,
        now_ms: u64,
        remember: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let (seen, item) = (format!("{ITEM_PREFIX}seen:{id}"), item_key(id));
        let (id, body) = (id.to_owned(), body.to_owned());
        Box::pin(async move {
            let now = now_ms.to_string();
            let remember = remember.as_millis().max(1).to_string();
            let keep = self.keep_ms.max(1).to_string();
            let added: i64 = self
                .run(
                    ADD,
                    &[&seen, &item, DUE, BORN],
                    &[&id, &body, &now, &remember, &keep],
                )
                .await?;
            Ok(added == 1)
        })
    }

    fn claim(
        &self,
        holder: &str,
        now_ms: u64,
        lease_ms: u64,
        max: usize,
    ) -> BoxFuture<'_, Result<Vec<Pending>, StoreError>> {
        let holder = holder.to_owned();
        Box::pin(async move {
            let args = [
                now_ms.to_string(),
                lease_ms.to_string(),
                max.to_string(),
                holder,
                ITEM_PREFIX.to_owned(),
            ];
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let flat: Vec<String> = self.run(CLAIM, &[DUE, BORN], &args).await?;
            Ok(flat
                .chunks_exact(4)
                .map(|c| Pending {
                    id: c[0].clone(),
                    body: c[1].clone(),
                    first_ms: c[2].parse().unwrap_or(now_ms),
                    failures: c[3].parse().unwrap_or(0),
                })
                .collect())
        })
    }

    fn retry(&self, id: &str, holder: &str, due_ms: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let (item, id, holder) = (item_key(id), id.to_owned(), holder.to_owned());
        Box::pin(async move {
            self.run::<i64>(RETRY, &[&item, DUE], &[&id, &holder, &due_ms.to_string()])
                .await
                .map(drop)
        })
    }

    fn remove(&self, id: &str, holder: &str) -> BoxFuture<'_, Result<(), StoreError>> {
        let (item, id, holder) = (item_key(id), id.to_owned(), holder.to_owned());
        Box::pin(async move {
            self.run::<i64>(REMOVE, &[&item, DUE, BORN], &[&id, &holder])
                .await
                .map(drop)
        })
    }

    fn queue(&self) -> BoxFuture<'_, Result<Queue, StoreError>> {
        Box::pin(async move {
            let (count, due, born): (u64, String, String) =
                self.run(QUEUE, &[DUE, BORN], &[]).await?;
            Ok(Queue {
                count,
                oldest_ms: score(&born),
                next_due_ms: score(&due),
            })
        })
    }

    fn list(&self, max: usize) -> BoxFuture<'_, Result<Vec<(String, u32)>, StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let mut command = redis::cmd("ZRANGE");
            command.arg(BORN).arg(0).arg(max.saturating_sub(1));
            let ids = match tokio::time::timeout(
                self.timeout,
                command.query_async::<Vec<String>>(&mut connection),
            )
            .await
            {
                Ok(Ok(ids)) => ids,
                Ok(Err(e)) => return Err(StoreError(e.to_string())),
                Err(_) => return Err(StoreError("no answer in time".into())),
            };
            Ok(ids.into_iter().map(|id| (id, 0)).collect())
        })
    }

    fn shared(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_notification_is_claimed_by_one_holder_at_a_time_and_falls_due_again_when_its_lease_ends(
    ) {
        let outbox = MemoryOutbox::default();
        let remember = Duration::from_secs(60);
        assert_eq!(
            outbox.add("evt_1", "{}", 1_000, remember).await.ok(),
            Some(true)
        );
        // The same event reported again (another tab waiting on the same sign-in): not added twice.
        assert_eq!(
            outbox.add("evt_1", "{}", 1_001, remember).await.ok(),
            Some(false)
        );
        let claimed = outbox.claim("a", 1_000, 500, 10).await.unwrap_or_default();
        assert_eq!(claimed.len(), 1);
        assert!(outbox
            .claim("b", 1_200, 500, 10)
            .await
            .unwrap_or_default()
            .is_empty());
        // Holder a died: at the end of its lease b takes it, and a can no longer act on it.
        let taken = outbox.claim("b", 1_500, 500, 10).await.unwrap_or_default();
        assert_eq!(taken.len(), 1);
        outbox.remove("evt_1", "a").await.ok();
        assert_eq!(outbox.queue().await.ok().map(|q| q.count), Some(1));
        outbox.retry("evt_1", "b", 3_000).await.ok();
        let queue = outbox.queue().await.unwrap_or_default();
        assert_eq!(
            (queue.count, queue.oldest_ms, queue.next_due_ms),
            (1, Some(1_000), Some(3_000))
        );
        let again = outbox.claim("b", 3_000, 500, 10).await.unwrap_or_default();
        assert_eq!(again.first().map(|p| p.failures), Some(1));
        outbox.remove("evt_1", "b").await.ok();
        assert_eq!(outbox.queue().await.ok(), Some(Queue::default()));
        // Delivered, then reported again by a tab that was still waiting: remembered, not sent again.
        assert_eq!(
            outbox.add("evt_1", "{}", 3_100, remember).await.ok(),
            Some(false)
        );
        assert_eq!(outbox.queue().await.ok().map(|q| q.count), Some(0));
    }
}
