//! Redis-backed fixed-window counters shared by all instances.
//!
//! One `MULTI` creates every counter of the route with its expiry unless it exists and raises
//! it, so instances never disagree about where a window starts; concurrent hits share one
//! call (`coalesce`). The
//! connection is a lazily created `ConnectionManager`: building the store never fails
//! because Redis is down, and the manager reconnects by itself afterwards.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::coalesce::{CounterHit, HitQueue};
use super::decision::{Decision, Reading, Reporter};
use super::error::StoreError;
use super::policy::Limit;

/// Every Redis operation of a request is cut off after this.
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(500);
/// Readiness PING budget.
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// Redis limiter store. Cloning shares the connection.
#[derive(Clone)]
pub struct RedisStore {
    pub(super) connection: ConnectionManager,
    hits: HitQueue,
}

/// Hand-written so the URL (and its password) never reaches a log.
impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Builds the store and tries one PING so an unreachable Redis is reported at
    /// startup (WARN) — without failing: the connection keeps being retried.
    /// Only a malformed URL (or no Tokio runtime) is an error.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = Self::new_lazy(url)?;
        if let Err(err) = store.ping_within(OPERATION_TIMEOUT).await {
            tracing::warn!(error = %err, "rate limit store unreachable at startup; retrying in the background");
        }
        Ok(store)
    }

    /// Builds the store without touching the network.
    pub fn new_lazy(url: &str) -> Result<Self, StoreError> {
        // The redis crate spawns onto the ambient runtime and would panic without one.
        tokio::runtime::Handle::try_current().map_err(|_| StoreError::NoRuntime)?;
        install_tls_provider();
        let client =
            redis::Client::open(url).map_err(|err| StoreError::InvalidUrl(err.to_string()))?;
        let connection = ConnectionManager::new_lazy_with_config(client, manager_config())?;
        Ok(Self {
            hits: HitQueue::spawn(connection.clone()),
            connection,
        })
    }

    /// Counts one request against every limit in one Redis call (shared with the hits
    /// queued meanwhile) and decides.
    pub async fn hit(
        &self,
        route_key: &str,
        client_key: &str,
        limits: &[Limit],
    ) -> Result<Decision, StoreError> {
        if limits.is_empty() {
            return Ok(Decision::unlimited());
        }
        let periods = distinct_periods(limits);
        let counters = periods
            .iter()
            .map(|limit| CounterHit {
                key: redis_key(route_key, limit.period_secs, client_key),
                period_ms: limit.period_ms(),
            })
            .collect();
        let reply = self.hits.hit(counters).await?;
        decide(limits, &periods, &reply)
    }

    /// PING with the readiness budget.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.ping_within(PING_TIMEOUT).await
    }

    async fn ping_within(&self, limit: Duration) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let ping = redis::cmd("PING");
        within(limit, ping.query_async::<String>(&mut connection)).await?;
        Ok(())
    }
}

/// rustls panics at connect time when no process-wide crypto provider can be chosen
/// (none, or several enabled in the dependency graph). Installing ring is a no-op when
/// the application already installed one, so `rediss://` can never panic a request.
fn install_tls_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

/// Reconnect attempts are short so a reconnect in progress never outlives a request's
/// 500 ms budget by much; the manager starts a fresh attempt on the next failure anyway.
fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(OPERATION_TIMEOUT))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(25))
        .set_max_delay(Duration::from_millis(500))
}

/// `warden:rl:<route key>:<period seconds>:<client key>` (MUST: instances of
/// different versions share counters through it).
pub fn redis_key(route_key: &str, period_secs: u64, client_key: &str) -> String {
    format!("warden:rl:{route_key}:{period_secs}:{client_key}")
}

/// One entry per period: limits sharing a period share one key, which must be
/// incremented once per request.
fn distinct_periods(limits: &[Limit]) -> Vec<Limit> {
    let mut periods: Vec<Limit> = Vec::with_capacity(limits.len());
    for limit in limits {
        if !periods.iter().any(|p| p.period_secs == limit.period_secs) {
            periods.push(*limit);
        }
    }
    periods
}

fn decide(limits: &[Limit], periods: &[Limit], reply: &[i64]) -> Result<Decision, StoreError> {
    if reply.len() != periods.len() * 2 {
        return Err(StoreError::Protocol("wrong number of values"));
    }
    let mut reporter = Reporter::default();
    for limit in limits {
        let index = periods
            .iter()
            .position(|p| p.period_secs == limit.period_secs)
            .ok_or(StoreError::Protocol("unknown period"))?;
        let (Some(&count), Some(&pttl)) = (reply.get(2 * index), reply.get(2 * index + 1)) else {
            return Err(StoreError::Protocol("missing value"));
        };
        reporter.observe(reading(*limit, count, pttl)?);
    }
    Ok(reporter.finish())
}

fn reading(limit: Limit, count: i64, pttl: i64) -> Result<Reading, StoreError> {
    let count = u64::try_from(count).map_err(|_| StoreError::Protocol("negative count"))?;
    // A counter without TTL gets its window in the same call; a negative TTL can only mean
    // the counter expired in between, so report a full window rather than nonsense.
    let reset_ms = u64::try_from(pttl).unwrap_or_else(|_| limit.period_ms());
    Ok(Reading {
        limit,
        count,
        reset_ms,
    })
}

/// `operation`'s result, or `Timeout` when it takes longer than `limit`.
pub(super) async fn within<T, E>(
    limit: Duration,
    operation: impl Future<Output = Result<T, E>>,
) -> Result<T, StoreError>
where
    StoreError: From<E>,
{
    match tokio::time::timeout(limit, operation).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(StoreError::Timeout(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_format_is_exact() {
        assert_eq!(
            redis_key("GET /api/v1/users/{user_id}", 3_600, "2001:db8:1:2::/64"),
            "warden:rl:GET /api/v1/users/{user_id}:3600:2001:db8:1:2::/64"
        );
        assert_eq!(
            redis_key("POST /api/v1/auth/login", 60, "203.0.113.7"),
            "warden:rl:POST /api/v1/auth/login:60:203.0.113.7"
        );
    }

    #[test]
    fn decides_from_reply() {
        let limits = [Limit::new(50, 3_600), Limit::new(200, 86_400)];
        let periods = distinct_periods(&limits);
        let d = decide(&limits, &periods, &[51, 41_500, 51, 80_000_000]).unwrap();
        assert_eq!(
            d,
            Decision {
                allowed: false,
                limit: 50,
                remaining: 0,
                reset_secs: 42
            }
        );
    }

    #[test]
    fn duplicate_periods_use_one_key() {
        let limits = [Limit::new(10, 60), Limit::new(2, 60), Limit::new(5, 1)];
        let periods = distinct_periods(&limits);
        assert_eq!(periods.len(), 2);
        let d = decide(&limits, &periods, &[2, 59_000, 1, 1_000]).unwrap();
        assert_eq!((d.allowed, d.limit, d.remaining), (true, 2, 0));
    }

    #[test]
    fn rejects_malformed_replies() {
        let limits = [Limit::new(5, 60)];
        let periods = distinct_periods(&limits);
        assert!(matches!(
            decide(&limits, &periods, &[1]),
            Err(StoreError::Protocol(_))
        ));
        assert!(matches!(
            decide(&limits, &periods, &[-1, 5]),
            Err(StoreError::Protocol(_))
        ));
        let d = decide(&limits, &periods, &[1, -1]).unwrap();
        assert_eq!(d.reset_secs, 60);
    }
}
