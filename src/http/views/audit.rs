//! The audit event object and the page of `GET /api/v1/admin/audit-events/`.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::service::audit_log::AuditPage;
use crate::store::audit_events::AuditEventRow;

/// One recorded security event.
/// Every field is always present (nullable ones as `null`), hence `required` on each.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEvent)]
pub struct AuditEventView {
    pub id: i64,
    /// RFC 3339, UTC, whole seconds.
    pub occurred_at: String,
    /// e.g. `auth.login_failed`.
    pub event: String,
    #[schema(required = true)]
    pub actor_user_id: Option<i32>,
    #[schema(required = true)]
    pub subject_user_id: Option<i32>,
    #[schema(required = true)]
    pub ip_address: Option<String>,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// Event-specific facts (never passwords, tokens, hashes or `bio` values).
    #[schema(value_type = Object)]
    pub details: Value,
}

impl From<AuditEventRow> for AuditEventView {
    fn from(row: AuditEventRow) -> Self {
        let details = serde_json::from_str(&row.details)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| Value::Object(Map::new()));
        Self {
            id: row.id,
            occurred_at: row.occurred_at.to_api(),
            event: row.event,
            actor_user_id: row.actor_user_id,
            subject_user_id: row.subject_user_id,
            ip_address: row.ip_address,
            user_agent: row.user_agent,
            request_id: row.request_id,
            details,
        }
    }
}

/// `data` of the audit page.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEventList)]
pub struct AuditEventListView {
    /// Newest first.
    pub events: Vec<AuditEventView>,
}

/// `meta` of the audit page.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditPageMeta)]
pub struct AuditPageMetaView {
    pub limit: u32,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl AuditEventListView {
    pub fn from_page(page: AuditPage) -> Self {
        Self {
            events: page.events.into_iter().map(AuditEventView::from).collect(),
        }
    }
}
