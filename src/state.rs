//! `AppState`: everything a request handler needs, cheap to clone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use crate::config::Config;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::ratelimit::{AccountLimits, AccountThrottle, LimiterStore};
use crate::security::jwt::JwtKeys;
use crate::security::password_hash::HashAdmission;
use crate::store::Db;
use crate::telemetry::LogThrottle;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub keys: JwtKeys,
    /// `None` when rate limiting is disabled.
    pub limiter: Option<LimiterStore>,
    /// The Redis that health and readiness probe, if one is configured.
    pub health_redis: Option<LimiterStore>,
    pub metrics: Metrics,
    pub started: Instant,
    shutting_down: AtomicBool,
    /// Bounds concurrent password hashing so memory stays flat under a login burst
    /// (each Argon2id verification holds 19 MiB), and the queue waiting for it.
    pub hashing: HashAdmission,
    /// This process's half of the authorization-change lock (`store::rbac_lock`).
    pub rbac_lock: tokio::sync::Mutex<()>,
    /// Password verifications started (tests prove with it that a throttled login hashes nothing).
    pub password_checks: AtomicU64,
    /// Failed password checks per email (docs/operations.md, "An account under attack").
    pub account_throttle: AccountThrottle,
    pub account_throttle_failure_log: LogThrottle,
    pub db_failure_log: LogThrottle,
    pub redis_failure_log: LogThrottle,
    pub limiter_failure_log: LogThrottle,
    /// After a store failure, requests skip the store for a moment instead of each waiting for
    /// the reconnect timeout (chaos run: fail-open throughput fell to a third without it).
    pub limiter_breaker: crate::ratelimit::Breaker,
    pub health_probe: crate::service::health::HealthProbe,
    /// Account e-mails leave through this queue, never inside a request.
    pub mailer: Mailer,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        config: Config,
        db: Db,
        limiter: Option<LimiterStore>,
        health_redis: Option<LimiterStore>,
        counter_store: &LimiterStore,
        metrics: Metrics,
        mailer: Mailer,
    ) -> Self {
        let account_throttle = AccountThrottle::new(
            counter_store,
            AccountLimits {
                max_failures: config.protection.max_failures,
                window: std::time::Duration::from_secs(config.protection.window_secs),
            },
        );
        let keys = JwtKeys::new(config.jwt_secret.expose().as_bytes());
        // One hash per core: more only queues CPU work and costs 19 MiB each (bench: login RSS).
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hashing = HashAdmission::new(permits, config.hash_queue_max);
        Self(Arc::new(Inner {
            config,
            db,
            keys,
            limiter,
            health_redis,
            metrics,
            started: Instant::now(),
            shutting_down: AtomicBool::new(false),
            hashing,
            rbac_lock: tokio::sync::Mutex::new(()),
            password_checks: AtomicU64::new(0),
            account_throttle,
            account_throttle_failure_log: LogThrottle::default(),
            db_failure_log: LogThrottle::default(),
            health_probe: crate::service::health::HealthProbe::default(),
            redis_failure_log: LogThrottle::default(),
            limiter_failure_log: LogThrottle::default(),
            limiter_breaker: crate::ratelimit::Breaker::default(),
            mailer,
        }))
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
