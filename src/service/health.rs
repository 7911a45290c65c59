//! Dependency checks shared by `/api/v1/health`, `/readyz` and the HTML pages.

use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use crate::config::Config;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyState {
    Up,
    Down,
    NotConfigured,
}

#[derive(Debug, Clone, Copy)]
pub struct HealthReport {
    pub database: DependencyState,
    pub redis: DependencyState,
}

impl HealthReport {
    pub fn healthy(&self) -> bool {
        self.database == DependencyState::Up && self.redis != DependencyState::Down
    }

    /// Whether this instance should receive traffic. Redis alone only makes it unready when
    /// the limiter must refuse requests without it; otherwise the API still serves and taking
    /// every instance out of rotation at once would turn a Redis outage into a total one
    /// (docs/operations.md).
    pub fn readiness(&self, redis_required: bool) -> Readiness {
        let redis_down = self.redis == DependencyState::Down;
        if self.database != DependencyState::Up || (redis_down && redis_required) {
            Readiness::NotReady
        } else if redis_down {
            Readiness::Degraded
        } else {
            Readiness::Ready
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    Degraded,
    NotReady,
}

/// True when requests cannot be served while the health-checked Redis is down: it is the
/// rate limiter's store and the limiter fails closed.
pub fn redis_required(config: &Config) -> bool {
    let limits = &config.rate_limit;
    limits.enabled && limits.redis_url.is_some() && !limits.fail_open
}

const DB_TIMEOUT: Duration = Duration::from_secs(2);
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

async fn check_database(state: &AppState) -> DependencyState {
    match tokio::time::timeout(DB_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => DependencyState::Up,
        outcome => {
            if state.db_failure_log.allow() {
                let error = match outcome {
                    Ok(Err(err)) => err.to_string(),
                    _ => "timed out".to_string(),
                };
                tracing::error!(error, "database health check failed");
            }
            DependencyState::Down
        }
    }
}

async fn check_redis(state: &AppState) -> DependencyState {
    let Some(redis) = state.health_redis.as_ref() else {
        return DependencyState::NotConfigured;
    };
    match tokio::time::timeout(REDIS_TIMEOUT, redis.ping()).await {
        Ok(Ok(())) => DependencyState::Up,
        _ => {
            if state.redis_failure_log.allow() {
                tracing::error!("redis health check failed");
            }
            DependencyState::Down
        }
    }
}

/// Both checks, concurrently.
async fn run_checks(state: &AppState) -> HealthReport {
    let (database, redis) = tokio::join!(check_database(state), check_redis(state));
    HealthReport { database, redis }
}

type SharedProbe = Shared<BoxFuture<'static, HealthReport>>;

/// Coalesces concurrent health checks: a request that arrives while a probe is in flight awaits
/// that probe instead of starting its own, so every answer still comes from a probe that ended
/// after the request arrived, but N concurrent callers (load balancers, dashboards, a scrape
/// storm) cost one `SELECT 1` and one `PING` instead of N.
/// perf: `GET /api/v1/health` c=16 went from one database round trip per request to ~one per
/// round-trip time (docs/performance.md).
#[derive(Default)]
pub struct HealthProbe {
    in_flight: Mutex<Option<SharedProbe>>,
}

impl HealthProbe {
    /// Awaits the probe in flight, or the one `start` creates when none is.
    async fn run(&self, start: impl FnOnce() -> BoxFuture<'static, HealthReport>) -> HealthReport {
        let probe = {
            let mut slot = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match slot.as_ref().filter(|p| p.peek().is_none()) {
                Some(running) => running.clone(),
                None => {
                    let started = start().shared();
                    *slot = Some(started.clone());
                    started
                }
            }
        };
        probe.await
    }
}

/// The dependency report for one health, readiness or page request (coalesced, see
/// [`HealthProbe`]).
pub async fn check(state: &AppState) -> HealthReport {
    let owned = state.clone();
    state
        .health_probe
        .run(move || async move { run_checks(&owned).await }.boxed())
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn counting_probe(
        started: &Arc<AtomicUsize>,
        database: DependencyState,
    ) -> impl FnOnce() -> BoxFuture<'static, HealthReport> + use<> {
        let started = Arc::clone(started);
        move || {
            started.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                HealthReport {
                    database,
                    redis: DependencyState::NotConfigured,
                }
            }
            .boxed()
        }
    }

    #[tokio::test]
    async fn concurrent_checks_share_one_probe() {
        let probe = Arc::new(HealthProbe::default());
        let started = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..20)
            .map(|_| {
                let probe = Arc::clone(&probe);
                let start = counting_probe(&started, DependencyState::Up);
                tokio::spawn(async move { probe.run(start).await })
            })
            .collect();
        for caller in callers {
            let report = caller.await.expect("caller task");
            assert!(report.healthy());
        }
        assert_eq!(started.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn only_a_required_redis_makes_a_redis_outage_unready() {
        let report = |database, redis| HealthReport { database, redis };
        let (up, down) = (DependencyState::Up, DependencyState::Down);
        assert_eq!(report(up, down).readiness(false), Readiness::Degraded);
        assert_eq!(report(up, down).readiness(true), Readiness::NotReady);
        assert_eq!(report(down, up).readiness(false), Readiness::NotReady);
        assert_eq!(report(up, up).readiness(true), Readiness::Ready);
        assert_eq!(
            report(up, DependencyState::NotConfigured).readiness(true),
            Readiness::Ready
        );
    }

    #[test]
    fn redis_is_required_only_by_a_fail_closed_redis_limiter() {
        let config = |pairs: &[(&'static str, &'static str)]| {
            let mut vars = vec![("APP_ENV", "testing"), ("DATABASE_URL", "sqlite::memory:")];
            vars.extend_from_slice(pairs);
            Config::from_vars(&crate::config::Vars::from_pairs(vars)).expect("config")
        };
        let store = ("RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:1");
        let closed = ("RATE_LIMIT_FAIL_OPEN", "false");
        assert!(redis_required(&config(&[store, closed])));
        assert!(!redis_required(&config(&[store])));
        assert!(!redis_required(&config(&[
            store,
            closed,
            ("RATE_LIMIT_ENABLED", "false")
        ])));
        assert!(!redis_required(&config(&[
            ("REDIS_URL", "redis://127.0.0.1:1"),
            ("RATE_LIMIT_STORAGE_URL", "memory://"),
            closed
        ])));
    }

    #[tokio::test]
    async fn a_finished_probe_is_never_reused() {
        let probe = HealthProbe::default();
        let started = Arc::new(AtomicUsize::new(0));
        let first = probe
            .run(counting_probe(&started, DependencyState::Up))
            .await;
        let second = probe
            .run(counting_probe(&started, DependencyState::Down))
            .await;
        assert!(first.healthy());
        assert!(
            !second.healthy(),
            "the second caller must see the new state"
        );
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }
}
