//! One `request completed` line per request and the HTTP metrics of docs/operations.md.

use std::time::Instant;

use axum::extract::Request;
use axum::http::header::USER_AGENT;
use axum::response::Response;

use crate::error::ErrorPayload;
use crate::http::middleware::{ClientIp, MatchedRoute, RouteLabel};
use crate::metrics::{RequestLabels, RouteLabels, method_label};
use crate::state::AppState;

/// What the access log needs from the request, taken before it is handed on. Counts the
/// request as in flight until dropped, so a request whose client went away mid-way is not
/// counted for ever.
pub struct Started {
    state: AppState,
    at: Instant,
    method: &'static str,
    client_ip: String,
    user_agent: String,
}

impl Started {
    pub fn new(state: &AppState, request: &Request) -> Self {
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
        Self {
            state: state.clone(),
            at: Instant::now(),
            method: method_label(request.method()),
            client_ip,
            user_agent,
        }
    }

    /// Counts the answer in the HTTP metrics and writes its `request completed` line.
    pub fn finish(self, response: &Response) {
        let elapsed = self.at.elapsed();
        let status = response.status().as_u16();
        // Probes would drown the log: their successful answers are logged at DEBUG.
        let quiet = response
            .extensions()
            .get::<MatchedRoute>()
            .is_some_and(|matched| matched.0.probe);
        let route = response
            .extensions()
            .get::<RouteLabel>()
            .map_or("unmatched", |label| label.0);
        let metrics = &self.state.metrics;
        let method = self.method;
        metrics
            .http_requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        metrics
            .http_duration
            .get_or_create(&RouteLabels { method, route })
            .observe(elapsed.as_secs_f64());

        let duration_ms = (elapsed.as_secs_f64() * 100_000.0).round() / 100.0;
        let (client_ip, user_agent) = (&self.client_ip, &self.user_agent);
        if status >= 500 {
            let error = response
                .extensions()
                .get::<ErrorPayload>()
                .and_then(|p| p.internal.as_deref())
                .unwrap_or_default();
            tracing::error!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, error, "request completed");
        } else if status >= 400 {
            tracing::warn!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, "request completed");
        } else if quiet {
            tracing::debug!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, "request completed");
        } else {
            tracing::info!(target: "warden::http", route, status, duration_ms, client_ip, user_agent, "request completed");
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        self.state.metrics.in_flight.dec();
    }
}
