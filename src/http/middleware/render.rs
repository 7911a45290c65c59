//! Writes JSON bodies: success payloads and the error envelope (the one place errors become
//! bytes, with the request id and the environment's JSON style).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ErrorPayload;
use crate::http::envelope::{JsonPayload, error_body, render};
use crate::http::middleware::RequestId;
use crate::state::AppState;

pub async fn render_json(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let is_head = request.method() == Method::HEAD;
    let mut response = next.run(request).await;
    let pretty = state.config.pretty_json();
    let value = if let Some(payload) = response.extensions().get::<ErrorPayload>() {
        let message = error_message(payload, state.config.env.is_production());
        error_body(
            payload.code,
            &message,
            payload.details.as_ref(),
            &request_id,
        )
    } else if let Some(JsonPayload(value)) = response.extensions_mut().remove::<JsonPayload>() {
        value
    } else {
        return response;
    };
    let bytes = render(&value, pretty);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    if !is_head {
        *response.body_mut() = Body::from(bytes);
    }
    response
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
