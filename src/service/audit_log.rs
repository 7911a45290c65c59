//! Reading the audit log: the admin route (behind `audit:read`) and `warden audit tail` share
//! one keyset page, newest first, so a page never repeats or skips an event while new ones are
//! being written.

use crate::domain::{AuditQuery, EventMatch, encode_cursor};
use crate::error::AppResult;
use crate::service::Context;
use crate::service::access;
use crate::service::auth::Caller;
use crate::store::audit_events::{self, AuditEventRow, EventFilter};
use crate::store::types::Ts;
use crate::store::{Db, DbError};

/// The permission that opens the audit log.
pub const AUDIT_READ: &str = "audit:read";

/// One page of events and the cursor of the next one (`None` on the last page).
#[derive(Debug)]
pub struct AuditPage {
    pub events: Vec<AuditEventRow>,
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/admin/audit-events/`.
pub async fn list(ctx: &Context, caller: &Caller, query: &AuditQuery) -> AppResult<AuditPage> {
    access::require_any(ctx, caller, &[AUDIT_READ]).await?;
    Ok(page(&ctx.db, query).await?)
}

fn filter(query: &AuditQuery) -> EventFilter {
    let (event, event_prefix) = match &query.event {
        Some(EventMatch::Exact(name)) => (Some(name.clone()), None),
        Some(EventMatch::Prefix(prefix)) => (None, Some(prefix.clone())),
        None => (None, None),
    };
    EventFilter {
        before_id: query.before_id,
        event,
        event_prefix,
        user_id: query.user_id,
        since: query.since.map(Ts),
        until: query.until.map(Ts),
    }
}

/// The page `query` names. One row more than asked tells whether another page follows.
pub async fn page(db: &Db, query: &AuditQuery) -> Result<AuditPage, DbError> {
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let mut events = audit_events::page(db, &filter(query), i64::from(query.limit) + 1).await?;
    let next_cursor = if events.len() > limit {
        events.truncate(limit);
        events.last().map(|row| encode_cursor(row.id))
    } else {
        None
    };
    Ok(AuditPage {
        events,
        next_cursor,
    })
}
