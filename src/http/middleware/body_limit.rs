//! A declared `Content-Length` above `MAX_BODY_BYTES` is refused before routing;
//! streamed bodies are cut off by the JSON extractor.

use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;

use crate::error::AppError;
use crate::state::AppState;

/// The 413 for a request whose declared length is above the limit.
pub fn check_declared_length(state: &AppState, request: &Request) -> Result<(), AppError> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.config.max_body_bytes as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(())
}
