//! Errors of the telemetry module.

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `LOG_LEVEL` is not a level or a valid filter directive list.
    #[error("LOG_LEVEL: invalid filter {value:?}: {reason}")]
    InvalidFilter { value: String, reason: String },
    /// `LOG_FORMAT` is neither `pretty` nor `json`.
    #[error("LOG_FORMAT: must be 'pretty' or 'json', got {0:?}")]
    InvalidFormat(String),
    /// `init` was called after a global subscriber was installed.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInitialized,
}
