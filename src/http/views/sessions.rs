//! The session object and the session list.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::views::schema::{Instant, NullableInstant, SessionId};
use crate::service::sessions::SessionInfo;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
#[serde(deny_unknown_fields)]
pub struct SessionView {
    #[schema(value_type = SessionId, inline)]
    pub id: String,
    #[schema(value_type = Instant, inline)]
    pub created_at: String,
    #[schema(required = true, value_type = NullableInstant, inline)]
    pub refreshed_at: Option<String>,
    #[schema(value_type = Instant, inline)]
    pub expires_at: String,
    #[schema(required = true)]
    pub ip_address: Option<String>,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    // True for the session of the presented token.
    pub current: bool,
}

impl From<SessionInfo> for SessionView {
    fn from(info: SessionInfo) -> Self {
        let row = info.row;
        Self {
            id: row.id.0.hyphenated().to_string(),
            created_at: row.created_at.to_api(),
            refreshed_at: row.refreshed_at.map(|t| t.to_api()),
            expires_at: row.expires_at.to_api(),
            ip_address: row.ip_address,
            user_agent: row.user_agent,
            current: info.current,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionListView {
    // Newest first, at most `store::sessions::LIST_LIMIT` (the attribute takes a literal).
    #[schema(max_items = 100)]
    pub sessions: Vec<SessionView>,
}

impl From<Vec<SessionInfo>> for SessionListView {
    fn from(list: Vec<SessionInfo>) -> Self {
        Self {
            sessions: list.into_iter().map(SessionView::from).collect(),
        }
    }
}
