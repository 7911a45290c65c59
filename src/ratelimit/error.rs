//! Limiter store errors. Every variant means "the store did not answer"; the HTTP layer
//! maps them all to fail-open or 503 (`RATE_LIMIT_FAIL_OPEN`), never to a 500.

use std::time::Duration;

/// Why a store operation (or building a store) failed. Messages never contain the
/// storage URL, which may carry a password.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The Redis URL does not parse (the reason comes from the redis crate).
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
    /// A Redis store needs a Tokio runtime for its connection task.
    #[error("the Redis rate-limit store must be created inside a Tokio runtime")]
    NoRuntime,
    /// Redis did not answer in time (it may be down or reconnecting).
    #[error("rate-limit store did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// Redis answered with an error, or the connection failed.
    #[error("rate-limit store error: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis answered something the limiter's commands never return.
    #[error("unexpected reply from rate-limit store: {0}")]
    Protocol(&'static str),
}
