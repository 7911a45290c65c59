//! `AppError`: every failure the API can report, mapped to status, code and message in one place.
//!
//! An error becomes a response carrying an [`ErrorPayload`] extension and no body; the render
//! middleware (`http::middleware::render`) writes the envelope, because only it knows the request
//! id and the JSON style of the environment.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::domain::ValidationErrors;
use crate::store::{DbClass, DbError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(ValidationErrors),
    #[error("authentication required: {0}")]
    Unauthorized(&'static str),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("token invalid: {0}")]
    TokenInvalid(&'static str),
    #[error("token expired")]
    TokenExpired,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("missing permission")]
    PermissionDenied { required: Vec<&'static str> },
    #[error("escalation guard: {message}")]
    EscalationDenied {
        message: &'static str,
        missing: Vec<String>,
    },
    #[error("route not found")]
    RouteNotFound,
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("rate limit exceeded")]
    RateLimited,
    #[error("account throttled")]
    AccountThrottled { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    ServiceUnavailable(&'static str),
    /// The password-hashing wait queue is full; answered with `Retry-After`.
    #[error("password hashing queue is full")]
    HashQueueFull,
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("internal ({kind}): {detail}")]
    Internal { kind: &'static str, detail: String },
}

pub type AppResult<T> = Result<T, AppError>;

/// What the render middleware needs to write an error envelope.
#[derive(Debug, Clone)]
pub struct ErrorPayload {
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// Internal cause for the log line of 5xx answers; never sent to clients in production.
    pub internal: Option<String>,
    /// Short category for the development 500 message `An unexpected error occurred (<kind>)`.
    pub kind: Option<&'static str>,
}

const UNAVAILABLE: &str = "The service is temporarily unavailable. Please try again later.";
/// A slot frees within one hash (~50 ms), so a second is ample and keeps retries spread.
const HASH_QUEUE_RETRY_AFTER_SECS: &str = "1";

impl AppError {
    pub fn internal(kind: &'static str, detail: impl std::fmt::Display) -> Self {
        Self::Internal {
            kind,
            detail: detail.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_)
            | Self::InvalidCredentials
            | Self::TokenInvalid(_)
            | Self::TokenExpired => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::PermissionDenied { .. } | Self::EscalationDenied { .. } => {
                StatusCode::FORBIDDEN
            }
            Self::RouteNotFound | Self::ResourceNotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::AlreadyExists(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited | Self::AccountThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable(_) | Self::HashQueueFull => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(err) => database_status(err.class()),
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn payload(&self) -> ErrorPayload {
        let simple = |code: &'static str, message: &str| ErrorPayload {
            code,
            message: message.to_string(),
            details: None,
            internal: None,
            kind: None,
        };
        match self {
            Self::Validation(errors) => ErrorPayload {
                details: Some(json!(errors)),
                ..simple("VALIDATION_ERROR", "Validation failed")
            },
            Self::Unauthorized(message) => simple("UNAUTHORIZED", message),
            Self::InvalidCredentials => simple("INVALID_CREDENTIALS", "Invalid email or password"),
            Self::TokenInvalid(message) => simple("TOKEN_INVALID", message),
            Self::TokenExpired => simple("TOKEN_EXPIRED", "Token has expired"),
            Self::Forbidden(message) => simple("FORBIDDEN", message),
            Self::PermissionDenied { required } => ErrorPayload {
                details: Some(json!({"required_permissions": required, "require_all": false})),
                ..simple("FORBIDDEN", "Insufficient permissions")
            },
            Self::EscalationDenied { message, missing } => ErrorPayload {
                details: Some(json!({"required_permissions": missing, "require_all": true})),
                ..simple("FORBIDDEN", message)
            },
            Self::RouteNotFound => simple("NOT_FOUND", "The requested resource was not found"),
            Self::ResourceNotFound(message) => simple("RESOURCE_NOT_FOUND", message),
            Self::MethodNotAllowed { .. } => {
                simple("METHOD_NOT_ALLOWED", "Method not allowed for this endpoint")
            }
            Self::Conflict(message) => simple("CONFLICT", message),
            Self::AlreadyExists(message) => simple("RESOURCE_ALREADY_EXISTS", message),
            Self::BadRequest(message) => simple("BAD_REQUEST", message),
            Self::PayloadTooLarge => simple(
                "PAYLOAD_TOO_LARGE",
                "The data value transmitted exceeds the capacity limit.",
            ),
            Self::RateLimited => simple(
                "RATE_LIMIT_EXCEEDED",
                "Too many requests. Please try again later.",
            ),
            Self::AccountThrottled { .. } => simple(
                "RATE_LIMIT_EXCEEDED",
                "Too many failed attempts for this account. Please try again later.",
            ),
            Self::ServiceUnavailable(cause) => ErrorPayload {
                internal: Some((*cause).to_string()),
                ..simple("SERVICE_UNAVAILABLE", UNAVAILABLE)
            },
            Self::HashQueueFull => ErrorPayload {
                internal: Some(self.to_string()),
                ..simple("SERVICE_UNAVAILABLE", UNAVAILABLE)
            },
            Self::Database(err) => {
                let class = err.class();
                ErrorPayload {
                    internal: Some(err.to_string()),
                    kind: Some("database"),
                    ..simple(class.code(), class.message())
                }
            }
            Self::Internal { kind, detail } => ErrorPayload {
                internal: Some(detail.clone()),
                kind: Some(kind),
                ..simple(
                    "INTERNAL_ERROR",
                    "An unexpected error occurred. Please try again later.",
                )
            },
        }
    }
}

/// unreachable → 503, data → 400, integrity → 409, anything else → 500.
fn database_status(class: DbClass) -> StatusCode {
    match class {
        DbClass::Unreachable => StatusCode::SERVICE_UNAVAILABLE,
        DbClass::Data => StatusCode::BAD_REQUEST,
        DbClass::Unique | DbClass::ForeignKey | DbClass::NotNull | DbClass::OtherIntegrity => {
            StatusCode::CONFLICT
        }
        DbClass::SchemaMissing | DbClass::Other => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        match &self {
            Self::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response
                        .headers_mut()
                        .insert(axum::http::header::ALLOW, value);
                }
            }
            Self::AccountThrottled { retry_after_secs } => {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    HeaderValue::from(*retry_after_secs),
                );
            }
            Self::HashQueueFull => {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    HeaderValue::from_static(HASH_QUEUE_RETRY_AFTER_SECS),
                );
            }
            _ => {}
        }
        response.extensions_mut().insert(self.payload());
        response
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(err: tokio::task::JoinError) -> Self {
        Self::internal("task", err)
    }
}
