//! One `request completed` line per request and the HTTP metrics of docs/operations.md.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::USER_AGENT;
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ErrorPayload;
use crate::http::middleware::{ClientIp, MatchedRoute, RouteLabel};
use crate::metrics::{RequestLabels, RouteLabels, method_label};
use crate::state::AppState;

pub async fn log_and_measure(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let client_ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let user_agent: String = request
        .headers()
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(256).collect())
        .unwrap_or_default();
    tracing::debug!(target: "warden::http", "request started");
    state.metrics.in_flight.inc();
    let response = next.run(request).await;
    state.metrics.in_flight.dec();

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    // Probes would drown the log: their successful answers are logged at DEBUG.
    let quiet = response
        .extensions()
        .get::<MatchedRoute>()
        .is_some_and(|matched| matched.0.probe);
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or("unmatched", |label| label.0)
        .to_string();
    state
        .metrics
        .http_requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .http_duration
        .get_or_create(&RouteLabels {
            method,
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());

    let duration_ms = (elapsed.as_secs_f64() * 100_000.0).round() / 100.0;
    let internal = response
        .extensions()
        .get::<ErrorPayload>()
        .and_then(|p| p.internal.clone());
    if status >= 500 {
        tracing::error!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, error = internal.unwrap_or_default(), "request completed");
    } else if status >= 400 {
        tracing::warn!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, "request completed");
    } else if quiet {
        tracing::debug!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, "request completed");
    } else {
        tracing::info!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, "request completed");
    }
    response
}
