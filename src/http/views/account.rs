//! Message answers: a route whose data would be empty answers `{"message": …}`, and a route
//! that returns an object folds its success message into it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::views::schema::Count;

// `{"message": …}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageView {
    pub message: String,
}

impl MessageView {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

// A message plus how many sessions were revoked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsRevokedView {
    pub message: &'static str,
    #[schema(value_type = Count, inline)]
    pub sessions_revoked: u64,
}

/// An object with the route's success message folded in.
#[derive(Debug, Serialize)]
pub struct WithMessage<T> {
    #[serde(flatten)]
    pub data: T,
    pub message: String,
}

impl<T> WithMessage<T> {
    pub fn new(data: T, message: impl Into<String>) -> Self {
        Self {
            data,
            message: message.into(),
        }
    }
}
