//! The session object and the session list.

use serde::Serialize;
use utoipa::ToSchema;

use crate::service::sessions::SessionInfo;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    pub id: String,
    pub created_at: String,
    pub refreshed_at: Option<String>,
    pub expires_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// True for the session of the presented token.
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
pub struct SessionListView {
    pub sessions: Vec<SessionView>,
}

impl From<Vec<SessionInfo>> for SessionListView {
    fn from(list: Vec<SessionInfo>) -> Self {
        Self {
            sessions: list.into_iter().map(SessionView::from).collect(),
        }
    }
}
