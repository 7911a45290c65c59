//! `REQUEST_TIMEOUT_SECS`: a request still running is answered 503 `SERVICE_UNAVAILABLE`.

use std::time::Duration;

use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

/// Runs `answer`, or answers 503 once it has run longer than the limit.
pub async fn limit_duration(state: &AppState, answer: impl Future<Output = Response>) -> Response {
    let limit = Duration::from_secs(state.config.request_timeout_secs);
    match tokio::time::timeout(limit, answer).await {
        Ok(response) => response,
        Err(_) => AppError::ServiceUnavailable("request timed out").into_response(),
    }
}
