//! Security and caching headers on every response.

use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::response::Response;

use crate::state::AppState;

pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

fn no_store(path: &str) -> bool {
    path.starts_with("/api/v1/")
        || path == "/api/v1"
        || matches!(path, "/health" | "/livez" | "/readyz" | "/metrics")
}

fn is_docs_page(path: &str) -> bool {
    path.starts_with("/docs")
        || path.starts_with("/redoc")
        || path == "/openapi/swagger"
        || path == "/openapi/redoc"
        || path.starts_with("/openapi/swagger/")
        || path.starts_with("/openapi/redoc/")
}

/// What the headers depend on in the request's path, taken before the request goes on.
#[derive(Debug, Clone, Copy)]
pub struct PathKind {
    no_store: bool,
    docs_page: bool,
}

impl PathKind {
    pub fn of(path: &str) -> Self {
        Self {
            no_store: no_store(path),
            docs_page: is_docs_page(path),
        }
    }
}

/// Adds the security and caching headers for an answer to a path of this kind.
pub fn add(state: &AppState, path: PathKind, response: &mut Response) {
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.config.env.is_production() {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if path.no_store {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_html && !headers.contains_key(CONTENT_SECURITY_POLICY) {
        let csp = if path.docs_page { DOCS_CSP } else { PAGE_CSP };
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    }
}
