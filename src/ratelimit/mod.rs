//! Rate limiting: limit syntax and classes, client IP behind trusted proxies, fixed-window
//! counters in memory or Redis, the response headers, and the per-account login throttle.
//!
//! The HTTP layer (`http::middleware::rate_limit`) finds the endpoint's [`RateClass`] in the
//! route table, takes that class's limits from the configuration, and asks the store:
//! ```text
//! let decision = store.hit("POST /api/v1/auth/login", &client_key(ip), limits).await?;
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod account;
mod breaker;
mod bucket_key;
mod client_ip;
mod coalesce;
mod decision;
mod error;
mod headers;
mod memory;
mod policy;
mod redis;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod redis_tests;
#[cfg(test)]
mod test_redis;

pub use self::account::{AccountLimits, AccountStatus, AccountThrottle, account_key};
pub use self::breaker::Breaker;
pub use self::client_ip::{TrustedProxies, client_ip, client_key};
use self::decision::Decision;
pub use self::error::StoreError;
pub use self::headers::apply_headers;
pub use self::memory::MemoryStore;
pub use self::policy::{Limit, MAX_PERIOD_SECS, RateClass, parse_limits};
pub use self::redis::RedisStore;

/// Where counters live: per process, or shared by all instances through Redis.
#[derive(Debug, Clone)]
pub enum LimiterStore {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl LimiterStore {
    /// A per-process store; spawns nothing (expired windows are purged lazily by hits).
    pub fn memory() -> Self {
        Self::Memory(MemoryStore::new())
    }

    /// A Redis store. Never fails because Redis is down (it logs a WARN and keeps
    /// reconnecting); only a malformed URL, or no Tokio runtime, is an error.
    pub async fn redis(url: &str) -> Result<Self, StoreError> {
        RedisStore::connect(url).await.map(Self::Redis)
    }

    /// Counts one request against every limit of the route — rejected requests count
    /// too — and decides. Redis: one atomic round trip, at most 500 ms.
    pub async fn hit(
        &self,
        route_key: &str,
        client_key: &str,
        limits: &[Limit],
    ) -> Result<Decision, StoreError> {
        match self {
            Self::Memory(store) => Ok(store.hit(route_key, client_key, limits)),
            Self::Redis(store) => store.hit(route_key, client_key, limits).await,
        }
    }

    /// Readiness probe: PING within 1 s for Redis; the memory store is always up.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(store) => store.ping().await,
        }
    }

    pub fn is_redis(&self) -> bool {
        matches!(self, Self::Redis(_))
    }
}
