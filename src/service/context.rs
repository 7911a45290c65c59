//! `service::Context`: what the services need and nothing more (database, token keys, password
//! hashing, metrics, mail, the account throttle and the few settings they read). The HTTP state
//! holds one and the command line builds its own, so both run the same service code.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::config::{AccountSettings, Config};
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::ratelimit::Breaker;
use crate::ratelimit::{AccountLimits, AccountThrottle, LimiterStore};
use crate::security::jwt::JwtKeys;
use crate::security::password_hash::HashAdmission;
use crate::store::Db;
use crate::telemetry::LogThrottle;

/// The settings the services read; everything else in `Config` stays with the HTTP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    /// Roles a registered account gets: sorted and without repeats, so inserts are ordered.
    pub default_roles: Vec<String>,
    pub account: AccountSettings,
    pub password_reset_url: String,
    pub email_verify_url: String,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        let mut default_roles = config.default_roles.clone();
        default_roles.sort();
        default_roles.dedup();
        Self {
            access_ttl_secs: config.access_ttl_secs,
            refresh_ttl_secs: config.refresh_ttl_secs,
            default_roles,
            account: config.account.clone(),
            password_reset_url: config.mail.password_reset_url.clone(),
            email_verify_url: config.mail.email_verify_url.clone(),
        }
    }
}

/// Cheap to clone: background work (the account e-mails) keeps its own handle.
#[derive(Clone)]
pub struct Context(Arc<Shared>);

pub struct Shared {
    pub db: Db,
    pub keys: JwtKeys,
    pub metrics: Metrics,
    /// Account e-mails leave through this queue, never inside a request.
    pub mailer: Mailer,
    pub settings: Settings,
    /// Bounds concurrent password hashing so memory stays flat under a login burst
    /// (each Argon2id verification holds 19 MiB), and the queue waiting for it.
    pub hashing: HashAdmission,
    /// Password verifications started (tests prove with it that a throttled login hashes nothing).
    pub password_checks: AtomicU64,
    /// This process's half of the authorization-change lock (`store::rbac_lock`).
    pub rbac_lock: tokio::sync::Mutex<()>,
    /// Failed password checks per email (docs/operations.md, "An account under attack").
    pub account_throttle: AccountThrottle,
    pub account_throttle_failure_log: LogThrottle,
    /// After a store failure, requests skip the store for a moment instead of each waiting for
    /// the reconnect timeout (chaos run: fail-open throughput fell to a third without it). The
    /// per-client limiter and the account throttle share the store, so they share the breaker.
    pub limiter_breaker: Breaker,
}

impl std::ops::Deref for Context {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Context {
    /// `counter_store` holds the account throttle's counters (memory or Redis).
    pub fn new(
        config: &Config,
        db: Db,
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
        Self(Arc::new(Shared {
            db,
            keys,
            metrics,
            mailer,
            settings: Settings::from_config(config),
            hashing,
            password_checks: AtomicU64::new(0),
            rbac_lock: tokio::sync::Mutex::new(()),
            account_throttle,
            account_throttle_failure_log: LogThrottle::default(),
            limiter_breaker: Breaker::default(),
        }))
    }

    /// For the command line: no HTTP, no mail delivery, counters in memory.
    pub fn offline(config: &Config, db: Db) -> Self {
        let metrics = Metrics::new(env!("CARGO_PKG_VERSION"), config.env.as_str());
        let mailer = Mailer::disabled(metrics.mail_messages.clone());
        Self::new(config, db, &LimiterStore::memory(), metrics, mailer)
    }
}
