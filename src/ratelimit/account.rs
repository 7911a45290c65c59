//! Per-account login throttle (docs/operations.md, "An account under attack"): failed password
//! checks counted per submitted email, whether or not an account has it, in the same store as
//! the per-client limits (memory, or Redis so that instances share the count).
//!
//! A fixed window starts with the first failure and lasts `LOGIN_ACCOUNT_WINDOW_SECS`; once it
//! holds `LOGIN_ACCOUNT_MAX_FAILURES` failures, every further attempt for that email is refused
//! *before* any password hashing until the window ends. Counting a failure is one atomic step
//! (one Lua script on Redis, one short lock in memory).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::Script;
use sha2::{Digest, Sha256};

use super::LimiterStore;
use super::error::StoreError;
use super::redis::{OPERATION_TIMEOUT, RedisStore, within};

/// Redis key prefix; the rest is the SHA-256 hex of the trimmed, lower-cased email, so the key
/// (and anything that lists keys) never shows an address.
pub const ACCOUNT_KEY_PREFIX: &str = "warden:acct:";
/// How often the memory counters drop windows that have ended.
const MEMORY_PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// INCR the failure counter; a new key (count 1), or one somehow left without expiry, gets the
/// window as its TTL. Returns `{count, pttl}`.
const FAILURE_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, ttl}
";
/// The current count and its remaining window, read together. Returns `{count, pttl}`.
const READ_SCRIPT: &str = r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('PTTL', KEYS[1])}
";

/// `warden:acct:<sha256 hex of the trimmed, lower-cased email>`.
pub fn account_key(email: &str) -> String {
    let normalised = email.trim().to_lowercase();
    format!(
        "{ACCOUNT_KEY_PREFIX}{}",
        hex::encode(Sha256::digest(normalised.as_bytes()))
    )
}

/// The throttle's settings; `max_failures == 0` disables it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimits {
    pub max_failures: u64,
    pub window: Duration,
}

/// The counter of one email after a read or a counted failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    pub failures: u64,
    /// Whole seconds, rounded up and at least 1, until the window ends.
    pub retry_after_secs: u64,
}

impl FailureWindow {
    fn new(failures: u64, remaining_ms: u64) -> Self {
        Self {
            failures,
            retry_after_secs: remaining_ms.div_ceil(1000).max(1),
        }
    }
}

/// The throttle verdict for one email, before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Open,
    Throttled { retry_after_secs: u64 },
}

/// Per-account failure counters. Cloning shares them.
#[derive(Debug, Clone)]
pub struct AccountThrottle {
    limits: AccountLimits,
    counters: Counters,
}

#[derive(Debug, Clone)]
enum Counters {
    Memory(Arc<Mutex<MemoryCounters>>),
    Redis {
        store: RedisStore,
        failure: Arc<Script>,
        read: Arc<Script>,
    },
}

#[derive(Debug)]
struct MemoryCounters {
    windows: HashMap<String, (u64, Instant)>,
    last_purge: Instant,
}

impl AccountThrottle {
    /// Counters in the store the per-client limits use.
    pub fn new(store: &LimiterStore, limits: AccountLimits) -> Self {
        let counters = match store {
            LimiterStore::Memory(_) => Counters::Memory(Arc::new(Mutex::new(MemoryCounters {
                windows: HashMap::new(),
                last_purge: Instant::now(),
            }))),
            LimiterStore::Redis(store) => Counters::Redis {
                store: store.clone(),
                failure: Arc::new(Script::new(FAILURE_SCRIPT)),
                read: Arc::new(Script::new(READ_SCRIPT)),
            },
        };
        Self { limits, counters }
    }

    pub fn limits(&self) -> AccountLimits {
        self.limits
    }

    pub fn enabled(&self) -> bool {
        self.limits.max_failures > 0
    }

    /// Whether attempts for this email are refused right now. Counts nothing.
    pub async fn check(&self, email: &str) -> Result<AccountStatus, StoreError> {
        if !self.enabled() {
            return Ok(AccountStatus::Open);
        }
        let window = match &self.counters {
            Counters::Memory(counters) => memory_read(counters, &account_key(email)),
            Counters::Redis { store, read, .. } => {
                redis_run(store, read, &account_key(email), self.window_ms()).await?
            }
        };
        Ok(match window {
            Some(w) if w.failures >= self.limits.max_failures => AccountStatus::Throttled {
                retry_after_secs: w.retry_after_secs,
            },
            _ => AccountStatus::Open,
        })
    }

    /// Count one failed password check; `None` when the throttle is disabled.
    pub async fn record_failure(&self, email: &str) -> Result<Option<FailureWindow>, StoreError> {
        if !self.enabled() {
            return Ok(None);
        }
        let key = account_key(email);
        match &self.counters {
            Counters::Memory(counters) => Ok(Some(memory_count(counters, key, self.limits.window))),
            Counters::Redis { store, failure, .. } => {
                redis_run(store, failure, &key, self.window_ms()).await
            }
        }
    }

    /// Forget the email's failures (a password reset proves ownership).
    pub async fn clear(&self, email: &str) -> Result<(), StoreError> {
        let key = account_key(email);
        match &self.counters {
            Counters::Memory(counters) => {
                lock(counters).windows.remove(&key);
                Ok(())
            }
            Counters::Redis { store, .. } => {
                let mut connection = store.connection.clone();
                let command = redis::cmd("DEL").arg(&key).to_owned();
                within(
                    OPERATION_TIMEOUT,
                    command.query_async::<i64>(&mut connection),
                )
                .await?;
                Ok(())
            }
        }
    }

    /// True when this failure is the one that reached the limit (logged and audited once).
    pub fn reached_limit_now(&self, window: &FailureWindow) -> bool {
        self.enabled() && window.failures == self.limits.max_failures
    }

    fn window_ms(&self) -> u64 {
        u64::try_from(self.limits.window.as_millis()).unwrap_or(u64::MAX)
    }
}

fn lock(counters: &Mutex<MemoryCounters>) -> std::sync::MutexGuard<'_, MemoryCounters> {
    counters.lock().unwrap_or_else(PoisonError::into_inner)
}

fn remaining_ms(ends: Instant, now: Instant) -> u64 {
    u64::try_from(ends.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX)
}

fn memory_read(counters: &Mutex<MemoryCounters>, key: &str) -> Option<FailureWindow> {
    let now = Instant::now();
    let guard = lock(counters);
    let (failures, ends) = guard.windows.get(key).copied()?;
    (ends > now).then(|| FailureWindow::new(failures, remaining_ms(ends, now)))
}

fn memory_count(counters: &Mutex<MemoryCounters>, key: String, window: Duration) -> FailureWindow {
    let now = Instant::now();
    let mut guard = lock(counters);
    if now.duration_since(guard.last_purge) >= MEMORY_PURGE_INTERVAL {
        guard.windows.retain(|_, (_, ends)| *ends > now);
        guard.last_purge = now;
    }
    let entry = guard.windows.entry(key).or_insert((0, now + window));
    if entry.1 <= now {
        *entry = (0, now + window);
    }
    entry.0 += 1;
    FailureWindow::new(entry.0, remaining_ms(entry.1, now))
}

async fn redis_run(
    store: &RedisStore,
    script: &Script,
    key: &str,
    window_ms: u64,
) -> Result<Option<FailureWindow>, StoreError> {
    let mut connection = store.connection.clone();
    let mut invocation = script.prepare_invoke();
    invocation.key(key).arg(window_ms);
    let reply: Vec<i64> =
        within(OPERATION_TIMEOUT, invocation.invoke_async(&mut connection)).await?;
    let [count, pttl] = reply[..] else {
        return Err(StoreError::Protocol("expected {count, pttl}"));
    };
    let failures = u64::try_from(count).map_err(|_| StoreError::Protocol("negative count"))?;
    if failures == 0 {
        return Ok(None);
    }
    Ok(Some(FailureWindow::new(
        failures,
        u64::try_from(pttl).unwrap_or(window_ms),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(max_failures: u64) -> AccountThrottle {
        AccountThrottle::new(
            &LimiterStore::memory(),
            AccountLimits {
                max_failures,
                window: Duration::from_secs(900),
            },
        )
    }

    #[test]
    fn key_hashes_the_trimmed_lower_cased_email() {
        assert_eq!(
            account_key(" John@Example.COM "),
            account_key("john@example.com")
        );
        assert_eq!(
            account_key("john@example.com"),
            format!(
                "warden:acct:{}",
                hex::encode(Sha256::digest(b"john@example.com"))
            )
        );
    }

    #[tokio::test]
    async fn the_limit_throttles_until_cleared() {
        let throttle = throttle(3);
        for expected in 1..=3 {
            assert_eq!(throttle.check("a@b.c").await.unwrap(), AccountStatus::Open);
            let window = throttle.record_failure("A@b.c").await.unwrap().unwrap();
            assert_eq!(window.failures, expected);
            assert_eq!(throttle.reached_limit_now(&window), expected == 3);
        }
        let AccountStatus::Throttled { retry_after_secs } = throttle.check("a@b.c").await.unwrap()
        else {
            panic!("expected throttled");
        };
        assert!((899..=900).contains(&retry_after_secs));
        assert_eq!(
            throttle.check("other@b.c").await.unwrap(),
            AccountStatus::Open
        );
        throttle.clear("a@B.c").await.unwrap();
        assert_eq!(throttle.check("a@b.c").await.unwrap(), AccountStatus::Open);
    }

    #[tokio::test]
    async fn zero_disables_the_throttle() {
        let throttle = throttle(0);
        assert_eq!(throttle.record_failure("a@b.c").await.unwrap(), None);
        assert_eq!(throttle.check("a@b.c").await.unwrap(), AccountStatus::Open);
    }
}
