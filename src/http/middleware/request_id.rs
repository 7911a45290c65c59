//! Request id, client IP and the request's tracing span.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderValue;
use axum::response::Response;
use tracing::Span;

use crate::ratelimit::client_ip;
use crate::state::AppState;

pub const HEADER: &str = "x-request-id";

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

/// Reuse an inbound id only when it is 1–128 visible ASCII characters.
pub fn accept_inbound(value: &HeaderValue) -> Option<String> {
    let bytes = value.as_bytes();
    let visible =
        !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    visible.then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Gives the request its id (the inbound one when acceptable) and its client IP, as request
/// extensions; returns the id.
pub fn assign(state: &AppState, request: &mut Request) -> String {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(accept_inbound)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
    let client = client_ip(
        peer,
        request.headers(),
        &state.config.rate_limit.trusted_proxies,
    );
    request.extensions_mut().insert(RequestId(id.clone()));
    request.extensions_mut().insert(ClientIp(client));
    id
}

/// The span every log line of the request is written in.
pub fn span(id: &str, request: &Request) -> Span {
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        user_id = tracing::field::Empty,
    )
}

/// The answer carries the request's id.
pub fn echo(response: &mut Response, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(HEADER, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_ascii_up_to_128_is_reused() {
        assert_eq!(
            accept_inbound(&HeaderValue::from_static("abc-123")),
            Some("abc-123".into())
        );
        assert_eq!(accept_inbound(&HeaderValue::from_static("has space")), None);
        assert_eq!(
            accept_inbound(&HeaderValue::from_str(&"a".repeat(129)).unwrap()),
            None
        );
        assert_eq!(
            accept_inbound(&HeaderValue::from_str(&"a".repeat(128)).unwrap()).map(|s| s.len()),
            Some(128)
        );
    }
}
