//! CORS exactly as docs/configuration.md describes it (tower-http's CorsLayer answers every OPTIONS itself and cannot
//! intersect requested headers, hence this small middleware).

use axum::extract::Request;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::CorsSettings;

fn origin_matches(cors: &CorsSettings, origin: &str) -> bool {
    cors.wildcard() || cors.origins.iter().any(|o| o == origin)
}

fn header_value(text: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(text).ok()
}

/// Requested ∩ allowed header names: lower-cased, deduplicated, byte order, `, `-joined.
fn allowed_request_headers(cors: &CorsSettings, requested: &str) -> Option<String> {
    let mut names: Vec<String> = requested
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .filter(|name| {
            cors.allow_headers
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name))
        })
        .map(str::to_ascii_lowercase)
        .collect();
    names.sort();
    names.dedup();
    (!names.is_empty()).then(|| names.join(", "))
}

fn add_match_headers(headers: &mut HeaderMap, cors: &CorsSettings, origin: &str) {
    if let Some(value) = header_value(origin) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    if let Some(value) =
        header_value(&cors.expose_headers.join(", ")).filter(|_| !cors.expose_headers.is_empty())
    {
        headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, value);
    }
    if cors.credentials {
        headers.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    headers.append(VARY, HeaderValue::from_static("Origin"));
}

fn preflight(cors: &CorsSettings, origin: &str, request_headers: &HeaderMap) -> Response {
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    add_match_headers(headers, cors, origin);
    if let Some(value) = header_value(&cors.methods.join(", ")) {
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, value);
    }
    let requested = request_headers
        .get(ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(value) = allowed_request_headers(cors, requested).and_then(|v| header_value(&v)) {
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, value);
    }
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(cors.max_age));
    response
}

/// What CORS decided before the request went on.
pub enum Cors {
    /// A preflight from an allowed origin, answered here.
    Preflight(Response),
    /// Any other request: its answer gets the headers its origin calls for.
    Pass {
        allowed_origin: Option<String>,
        had_origin: bool,
    },
}

pub fn before(cors: &CorsSettings, request: &Request) -> Cors {
    let origin = request.headers().get(ORIGIN);
    let allowed_origin = origin
        .and_then(|v| v.to_str().ok())
        .filter(|o| origin_matches(cors, o))
        .map(str::to_string);
    if let Some(origin) = &allowed_origin {
        if request.method() == Method::OPTIONS
            && request
                .headers()
                .contains_key(ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Cors::Preflight(preflight(cors, origin, request.headers()));
        }
    }
    Cors::Pass {
        allowed_origin,
        had_origin: origin.is_some(),
    }
}

/// The CORS headers of an answer that was not a preflight.
pub fn after(
    cors: &CorsSettings,
    allowed_origin: Option<&str>,
    had_origin: bool,
    response: &mut Response,
) {
    match allowed_origin {
        Some(origin) => add_match_headers(response.headers_mut(), cors, origin),
        None if !had_origin && cors.wildcard() => {
            response
                .headers_mut()
                .insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CorsSettings {
        CorsSettings {
            origins: vec!["*".into()],
            methods: vec!["DELETE".into(), "GET".into()],
            allow_headers: vec![
                "Content-Type".into(),
                "Authorization".into(),
                "X-Request-ID".into(),
            ],
            expose_headers: vec![],
            credentials: false,
            max_age: 3600,
        }
    }

    #[test]
    fn requested_headers_are_intersected_lowercased_and_sorted() {
        let cors = settings();
        assert_eq!(
            allowed_request_headers(&cors, "X-Request-Id, Content-Type, X-Other, content-type"),
            Some("content-type, x-request-id".into())
        );
        assert_eq!(allowed_request_headers(&cors, "X-Other"), None);
        assert_eq!(allowed_request_headers(&cors, " , "), None);
    }
}
