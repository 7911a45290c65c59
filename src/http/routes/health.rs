//! `/api/v1/`, `/api/v1/health`, `/livez`, `/readyz`, `/metrics` (docs/operations.md).

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::envelope;
use crate::http::views::health::{
    ApiHealth, ApiHealthView, ApiVersion, CheckState, Connection, DatabaseCheck,
    DatabaseConnection, Liveness, LivenessView, ReadinessChecks, ReadinessStatus, ReadinessView,
    ServiceStatus, WelcomeView,
};
use crate::service::health::{DependencyState, Readiness, check, redis_required};
use crate::state::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

pub async fn welcome() -> Response {
    let view = WelcomeView {
        message: "Welcome to warden!",
        status: ServiceStatus::Running,
        version: VERSION,
        api_version: ApiVersion::V1,
    };
    envelope::view(StatusCode::OK, &view)
}

pub async fn api_health(State(state): State<AppState>) -> Response {
    let report = check(&state).await;
    let database = if report.database == DependencyState::Up {
        DatabaseConnection::Connected
    } else {
        DatabaseConnection::Disconnected
    };
    let redis = match report.redis {
        DependencyState::Up => Connection::Connected,
        DependencyState::Down => Connection::Disconnected,
        DependencyState::NotConfigured => Connection::NotConfigured,
    };
    let view = ApiHealthView {
        status: if report.healthy() {
            ApiHealth::Healthy
        } else {
            ApiHealth::Degraded
        },
        database,
        redis,
        api_version: ApiVersion::V1,
        version: VERSION,
    };
    envelope::view(StatusCode::OK, &view)
}

pub async fn livez() -> Response {
    envelope::bare(
        StatusCode::OK,
        &LivenessView {
            status: Liveness::Ok,
        },
    )
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let report = check(&state).await;
    let database = if report.database == DependencyState::Up {
        DatabaseCheck::Ok
    } else {
        DatabaseCheck::Error
    };
    let redis = match report.redis {
        DependencyState::Up => CheckState::Ok,
        DependencyState::Down => CheckState::Error,
        DependencyState::NotConfigured => CheckState::NotConfigured,
    };
    let checks = ReadinessChecks { database, redis };
    let (status, label) = if state.is_shutting_down() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            ReadinessStatus::ShuttingDown,
        )
    } else {
        match report.readiness(redis_required(&state.config)) {
            Readiness::Ready => (StatusCode::OK, ReadinessStatus::Ready),
            Readiness::Degraded => (StatusCode::OK, ReadinessStatus::Degraded),
            Readiness::NotReady => (StatusCode::SERVICE_UNAVAILABLE, ReadinessStatus::NotReady),
        }
    };
    envelope::bare(
        status,
        &ReadinessView {
            status: label,
            checks,
        },
    )
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    if !state.config.metrics_enabled {
        return AppError::RouteNotFound.into_response();
    }
    let body = state.metrics.render(state.db.pool_stats());
    let mut response = body.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
