//! `AppState`: everything a request handler needs, cheap to clone.
//!
//! The services get only their part of it, the [`Context`]: `AppState` dereferences to it (via
//! `Inner`), so a handler passes `&state` where a service takes `&Context`, and middleware reads
//! shared parts such as `state.metrics` directly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::config::Config;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::ratelimit::LimiterStore;
use crate::service::Context;
use crate::store::Db;
use crate::telemetry::LogThrottle;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    /// What the services work with (database, keys, hashing, metrics, mail, throttle).
    pub services: Context,
    /// `None` when rate limiting is disabled.
    pub limiter: Option<LimiterStore>,
    /// The Redis that health and readiness probe, if one is configured.
    pub health_redis: Option<LimiterStore>,
    pub started: Instant,
    shutting_down: AtomicBool,
    pub db_failure_log: LogThrottle,
    pub redis_failure_log: LogThrottle,
    pub limiter_failure_log: LogThrottle,
    pub health_probe: crate::service::health::HealthProbe,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::ops::Deref for Inner {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.services
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
        let services = Context::new(&config, db, counter_store, metrics, mailer);
        Self(Arc::new(Inner {
            config,
            services,
            limiter,
            health_redis,
            started: Instant::now(),
            shutting_down: AtomicBool::new(false),
            db_failure_log: LogThrottle::default(),
            health_probe: crate::service::health::HealthProbe::default(),
            redis_failure_log: LogThrottle::default(),
            limiter_failure_log: LogThrottle::default(),
        }))
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
