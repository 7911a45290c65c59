//! The public user object; the password hash never leaves the service.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::views::SortedKeys;
use crate::http::views::schema::{Positive, Timestamp};
use crate::store::users::UserRow;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
#[serde(deny_unknown_fields)]
pub struct UserView {
    #[schema(required = true)]
    pub bio: Option<String>,
    #[schema(value_type = Timestamp, inline)]
    pub created_at: String,
    pub email: String,
    /// The current address was proven by a verification or reset link
    pub email_verified: bool,
    pub first_name: String,
    #[schema(value_type = Positive, inline)]
    pub id: i32,
    pub is_active: bool,
    pub is_deleted: bool,
    #[schema(required = true)]
    pub last_name: Option<String>,
    #[schema(required = true)]
    pub middle_name: Option<String>,
    #[schema(value_type = Timestamp, inline)]
    pub updated_at: String,
    pub username: String,
}

impl SortedKeys for UserView {}

impl From<&UserRow> for UserView {
    fn from(user: &UserRow) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            middle_name: user.middle_name.clone(),
            last_name: user.last_name.clone(),
            bio: user.bio.clone(),
            is_active: user.active(),
            is_deleted: user.is_deleted,
            email_verified: user.email_verified,
            created_at: user.created_at.to_api(),
            updated_at: user.updated_at.to_api(),
        }
    }
}
