//! Writes JSON bodies: success payloads and the error envelope (the one place errors become
//! bytes, with the request id and the environment's JSON style).

use axum::body::Body;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::Response;

use crate::error::ErrorPayload;
use crate::http::envelope::{JsonPayload, error_body, finish};
use crate::state::AppState;

/// Writes the body of an answer that carries a JSON payload or an error; other answers (pages,
/// documents, bare statuses) pass untouched. A `HEAD` answer gets the headers only.
pub fn write_body(state: &AppState, response: &mut Response, request_id: &str, is_head: bool) {
    let pretty = state.config.pretty_json();
    let payload = if let Some(payload) = response.extensions().get::<ErrorPayload>() {
        let message = error_message(payload, state.config.env.is_production());
        JsonPayload::Value(error_body(
            payload.code,
            &message,
            payload.details.as_ref(),
            request_id,
        ))
    } else if let Some(payload) = response.extensions_mut().remove::<JsonPayload>() {
        payload
    } else {
        return;
    };
    let bytes = finish(payload, pretty);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    if !is_head {
        *response.body_mut() = Body::from(bytes);
    }
}

/// Development and testing name the kind of an unexpected error; production never does.
fn error_message(payload: &ErrorPayload, production: bool) -> String {
    match (payload.code, payload.kind, production) {
        ("INTERNAL_ERROR", Some(kind), false) => {
            format!("An unexpected error occurred ({kind}). Check logs.")
        }
        _ => payload.message.clone(),
    }
}
