//! Self-service and admin session management: list live sessions, revoke one, the others, or
//! all of a user's.

use uuid::Uuid;

use crate::domain::UserIdParam;
use crate::error::{AppError, AppResult};
use crate::service::Context;
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::service::recovery::count_revoked;
use crate::service::{access, users};
use crate::store::sessions::{self, SessionRow};
use crate::store::{Tx, audit_events};

/// A live session and whether it is the one of the presented token.
pub struct SessionInfo {
    pub row: SessionRow,
    pub current: bool,
}

fn session_not_found() -> AppError {
    AppError::ResourceNotFound("Session not found".into())
}

/// Record `auth.sessions_revoked` in the revocation's transaction, commit, then log and count.
async fn commit_revocation(
    ctx: &Context,
    mut tx: Tx,
    caller: &Caller,
    owner_id: i32,
    reason: &'static str,
    revoked: u64,
    client: &ClientInfo,
) -> AppResult<()> {
    let event = AuditEvent::SessionsRevoked {
        caller_id: caller.user.id,
        owner_id,
        count: revoked,
        reason,
    };
    let events = [event.stamp(client)];
    audit_events::insert_in(&mut tx, &events).await?;
    tx.commit().await?;
    audit::announce(ctx, &events);
    count_revoked(ctx, reason, revoked);
    Ok(())
}

async fn live_sessions(
    ctx: &Context,
    caller: &Caller,
    user_id: i32,
) -> AppResult<Vec<SessionInfo>> {
    let rows = sessions::list_live(&ctx.db, user_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| SessionInfo {
            current: row.id.0 == caller.session_id,
            row,
        })
        .collect())
}

/// The caller's own live sessions.
pub async fn list_own(ctx: &Context, caller: &Caller) -> AppResult<Vec<SessionInfo>> {
    live_sessions(ctx, caller, caller.user.id).await
}

/// Revoke one of the caller's live sessions (the current one included: a logout).
pub async fn revoke_own(
    ctx: &Context,
    caller: &Caller,
    session_id: &str,
    client: &ClientInfo,
) -> AppResult<()> {
    let id = Uuid::parse_str(session_id).map_err(|_| session_not_found())?;
    let mut tx = ctx.db.begin().await?;
    if !sessions::revoke_owned(&mut tx, caller.user.id, id, "user_revoked").await? {
        return Err(session_not_found());
    }
    commit_revocation(ctx, tx, caller, caller.user.id, "user_revoked", 1, client).await
}

/// Revoke every live session of the caller except the current one.
pub async fn revoke_others(ctx: &Context, caller: &Caller, client: &ClientInfo) -> AppResult<u64> {
    let mut tx = ctx.db.begin().await?;
    let revoked =
        sessions::revoke_others(&mut tx, caller.user.id, caller.session_id, "user_revoked").await?;
    commit_revocation(
        ctx,
        tx,
        caller,
        caller.user.id,
        "user_revoked",
        revoked,
        client,
    )
    .await?;
    Ok(revoked)
}

/// A user's live sessions: self, or `users:read` (checked before the user is looked up).
pub async fn list_for_user(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
) -> AppResult<Vec<SessionInfo>> {
    if !users::is_self(caller, id) {
        access::require_any(ctx, caller, &["users:read"]).await?;
    }
    let target = users::existing(ctx, id).await?;
    live_sessions(ctx, caller, target.id).await
}

/// Revoke all of a user's live sessions: self, or `users:update` plus the target guard.
pub async fn revoke_for_user(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
    client: &ClientInfo,
) -> AppResult<u64> {
    let own = users::is_self(caller, id);
    let held = if own {
        None
    } else {
        Some(access::require_any(ctx, caller, &["users:update"]).await?)
    };
    let target = users::existing(ctx, id).await?;
    if let Some(held) = &held {
        access::guard_target(ctx, held, target.id).await?;
    }
    let reason = if own { "user_revoked" } else { "admin_revoked" };
    let mut tx = ctx.db.begin().await?;
    let revoked = sessions::revoke_all_live(&mut tx, target.id, reason).await?;
    commit_revocation(ctx, tx, caller, target.id, reason, revoked, client).await?;
    Ok(revoked)
}
