//! A declared `Content-Length` above `MAX_BODY_BYTES` is refused before routing;
//! streamed bodies are cut off by the JSON extractor.

use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

pub async fn check_declared_length(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.config.max_body_bytes as u64) {
        return AppError::PayloadTooLarge.into_response();
    }
    next.run(request).await
}
