//! Fixed-window rate limiting per client and route, on the endpoints the route table gives a
//! rate-limit class.

use std::time::Duration;

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::middleware::{ClientIp, MatchedRoute};
use crate::http::routes::table::Route;
use crate::metrics::RouteOnly;
use crate::ratelimit::{RateClass, apply_headers, client_key};
use crate::state::AppState;

/// Upper bound on one store round trip, on top of the store's own 500 ms timeout.
const STORE_DEADLINE: Duration = Duration::from_millis(750);

/// The rate-limit class of a request: the endpoint's class in the route table; `Exempt` for
/// OPTIONS and for a method the route does not have (answered 405, not counted). The OpenAPI
/// document derives its 429 responses from this function too.
pub fn rate_class(route: &Route, method: &str) -> RateClass {
    if method == Method::OPTIONS.as_str() {
        return RateClass::Exempt;
    }
    route
        .endpoint(method)
        .map_or(RateClass::Exempt, |endpoint| endpoint.limit)
}

/// Counts the request against its client's limit for the route, then runs it or answers 429.
pub async fn enforce(state: &AppState, request: Request, next: Next) -> Response {
    let Some(store) = state.limiter.as_ref() else {
        return next.run(request).await;
    };
    let Some(MatchedRoute(route)) = request.extensions().get::<MatchedRoute>().copied() else {
        return next.run(request).await;
    };
    let class = rate_class(route, request.method().as_str());
    let Some(limits) = state.config.rate_limit.limits(class) else {
        return next.run(request).await;
    };
    // HEAD shares GET's counters: it is the same resource.
    let method = if request.method() == Method::HEAD {
        "GET"
    } else {
        request.method().as_str()
    };
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0);
    if state.limiter_breaker.is_open() {
        return store_failed(state, request, next, "store skipped after a recent failure").await;
    }
    let route_key = format!("{method} {}", route.path);
    let outcome = tokio::time::timeout(
        STORE_DEADLINE,
        store.hit(&route_key, &client_key(ip), limits),
    )
    .await;
    let decision = match outcome {
        Ok(Ok(decision)) => decision,
        Ok(Err(err)) => {
            state.limiter_breaker.trip();
            return store_failed(state, request, next, &err.to_string()).await;
        }
        Err(_) => {
            state.limiter_breaker.trip();
            return store_failed(state, request, next, "timed out").await;
        }
    };
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        state
            .metrics
            .rate_limit_rejections
            .get_or_create(&RouteOnly { route: route.path })
            .inc();
        tracing::warn!(route = route.path, "rate limit exceeded");
        AppError::RateLimited.into_response()
    };
    apply_headers(&decision, response.headers_mut());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::routes::table::by_template;

    fn class(method: &str, template: &str) -> RateClass {
        by_template(template).map_or(RateClass::Exempt, |route| rate_class(route, method))
    }

    #[test]
    fn pages_and_the_api_are_limited_probes_and_docs_are_not() {
        for template in [
            "/",
            "/reset-password",
            "/api/v1/",
            "/api/v1/auth/me",
            "/api/v1/users/",
            "/api/v1/admin/roles/",
        ] {
            assert_eq!(class("GET", template), RateClass::Default, "{template}");
            assert_eq!(class("HEAD", template), RateClass::Default, "{template}");
            assert_eq!(class("OPTIONS", template), RateClass::Exempt, "{template}");
        }
        for template in [
            "/health",
            "/api/v1/health",
            "/livez",
            "/readyz",
            "/metrics",
            "/openapi.json",
            "/docs",
            "/redoc",
        ] {
            assert_eq!(class("GET", template), RateClass::Exempt, "{template}");
        }
    }

    #[test]
    fn credential_routes_have_their_own_classes_and_405s_are_not_counted() {
        assert_eq!(class("POST", "/api/v1/auth/login"), RateClass::Login);
        assert_eq!(class("GET", "/api/v1/auth/login"), RateClass::Exempt);
        assert_eq!(class("POST", "/api/v1/auth/register"), RateClass::Register);
        assert_eq!(
            class("POST", "/api/v1/auth/email/verify"),
            class("POST", "/api/v1/auth/email/verify/request")
        );
    }
}
