//! `/api/v1/`, `/api/v1/health`, `/livez`, `/readyz`, `/metrics` (docs/operations.md).

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::envelope;
use crate::http::views::health::{
    ApiHealthView, LivenessView, ReadinessChecks, ReadinessView, WelcomeView,
};
use crate::service::health::{DependencyState, Readiness, check, redis_required};
use crate::state::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

pub async fn welcome() -> Response {
    let view = WelcomeView {
        message: "Welcome to warden!",
        status: "running",
        version: VERSION,
        api_version: "v1",
    };
    envelope::view(StatusCode::OK, &view)
}

pub async fn api_health(State(state): State<AppState>) -> Response {
    let report = check(&state).await;
    let database = if report.database == DependencyState::Up {
        "connected"
    } else {
        "disconnected"
    };
    let redis = match report.redis {
        DependencyState::Up => "connected",
        DependencyState::Down => "disconnected",
        DependencyState::NotConfigured => "not_configured",
    };
    let view = ApiHealthView {
        status: if report.healthy() {
            "healthy"
        } else {
            "degraded"
        },
        database,
        redis,
        api_version: "v1",
        version: VERSION,
    };
    envelope::view(StatusCode::OK, &view)
}

pub async fn livez() -> Response {
    envelope::bare(StatusCode::OK, &LivenessView { status: "ok" })
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let report = check(&state).await;
    let database = if report.database == DependencyState::Up {
        "ok"
    } else {
        "error"
    };
    let redis = match report.redis {
        DependencyState::Up => "ok",
        DependencyState::Down => "error",
        DependencyState::NotConfigured => "not_configured",
    };
    let checks = ReadinessChecks { database, redis };
    let (status, label) = if state.is_shutting_down() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting_down")
    } else {
        match report.readiness(redis_required(&state.config)) {
            Readiness::Ready => (StatusCode::OK, "ready"),
            Readiness::Degraded => (StatusCode::OK, "degraded"),
            Readiness::NotReady => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
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
