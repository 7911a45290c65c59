//! `REQUEST_TIMEOUT_SECS`: a request still running is answered 503 `SERVICE_UNAVAILABLE`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

pub async fn limit_duration(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = Duration::from_secs(state.config.request_timeout_secs);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::ServiceUnavailable("request timed out").into_response(),
    }
}
