//! `/api/v1/admin/audit-events/` (docs/operations.md, "Audit log").

use axum::extract::State;
use axum::response::Response;

use crate::domain::AuditQuery;
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{CurrentUser, ValidQuery};
use crate::http::views::audit::{AuditEventListView, AuditPageMetaView};
use crate::service::audit_log;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ValidQuery(query): ValidQuery<AuditQuery>,
) -> AppResult<Response> {
    let page = audit_log::list(&state, &caller, &query).await?;
    let meta = AuditPageMetaView {
        limit: query.limit,
        next_cursor: page.next_cursor.clone(),
    };
    let data = AuditEventListView::from_page(page);
    Ok(envelope::with_meta(&data, &meta))
}
