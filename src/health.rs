//! Dependency checks shared by `/api/v1/health`, `/readyz` and the HTML pages (§5.2, §7.3, §8).

use std::time::Duration;

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
pub async fn check(state: &AppState) -> HealthReport {
    let (database, redis) = tokio::join!(check_database(state), check_redis(state));
    HealthReport { database, redis }
}
