//! Fixed-window rate limiting per client and route (§6), on the routes the policy names.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::middleware::{ClientIp, RouteLabel};
use crate::http::routes::route_methods;
use crate::metrics::RouteOnly;
use crate::ratelimit::{Limit, client_key, headers_for};
use crate::state::AppState;

/// Upper bound on one store round trip, on top of the store's own 500 ms timeout.
const STORE_DEADLINE: Duration = Duration::from_millis(750);

/// The limits of a route, or `None` when it is exempt (§6.1).
fn limits_for<'a>(state: &'a AppState, method: &str, route: &str) -> Option<&'a [Limit]> {
    let settings = &state.config.rate_limit;
    match (method, route) {
        ("POST", "/api/v1/auth/login") => Some(&settings.login_limits),
        ("POST", "/api/v1/auth/register") => Some(&settings.register_limits),
        ("POST", "/api/v1/auth/password/change") => Some(&settings.password_change_limits),
        ("POST", "/api/v1/auth/password/forgot") => Some(&settings.password_forgot_limits),
        ("POST", "/api/v1/auth/password/reset") => Some(&settings.password_reset_limits),
        ("POST", "/api/v1/auth/email/verify/request" | "/api/v1/auth/email/verify") => {
            Some(&settings.email_verify_limits)
        }
        (_, "/api/v1/health") => None,
        (_, "/" | "/reset-password" | "/verify-email") => Some(&settings.default_limits),
        (_, r) if r.starts_with("/api/v1/") => Some(&settings.default_limits),
        _ => None,
    }
}

pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(store) = state.limiter.as_ref() else {
        return next.run(request).await;
    };
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let method = if request.method() == Method::HEAD {
        "GET"
    } else {
        request.method().as_str()
    }
    .to_string();
    let route = request
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    if !route_methods(&route).contains(&method.as_str()) {
        return next.run(request).await; // answered 405: not counted
    }
    let Some(limits) = limits_for(&state, &method, &route) else {
        return next.run(request).await;
    };
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0);
    if state.limiter_breaker.is_open() {
        return store_failed(
            &state,
            request,
            next,
            "store skipped after a recent failure",
        )
        .await;
    }
    let route_key = format!("{method} {route}");
    let outcome = tokio::time::timeout(
        STORE_DEADLINE,
        store.hit(&route_key, &client_key(ip), limits),
    )
    .await;
    let decision = match outcome {
        Ok(Ok(decision)) => decision,
        Ok(Err(err)) => {
            state.limiter_breaker.trip();
            return store_failed(&state, request, next, &err.to_string()).await;
        }
        Err(_) => {
            state.limiter_breaker.trip();
            return store_failed(&state, request, next, "timed out").await;
        }
    };
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        state
            .metrics
            .rate_limit_rejections
            .get_or_create(&RouteOnly {
                route: route.clone(),
            })
            .inc();
        tracing::warn!(route, "rate limit exceeded");
        AppError::RateLimited.into_response()
    };
    for (name, value) in headers_for(&decision) {
        response.headers_mut().insert(name, value);
    }
    response
}

async fn store_failed(state: &AppState, request: Request, next: Next, cause: &str) -> Response {
    state.metrics.rate_limit_storage_errors.inc();
    if state.limiter_failure_log.allow() {
        tracing::error!(error = cause, "rate limit store unavailable");
    }
    if state.config.rate_limit.fail_open {
        next.run(request).await
    } else {
        AppError::ServiceUnavailable("rate limit store unavailable").into_response()
    }
}
