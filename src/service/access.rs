//! Authorization decisions: route permissions and the escalation guards (docs/architecture.md,
//! "Authorization").

use crate::error::{AppError, AppResult};
use crate::security::permission;
use crate::service::Context;
use crate::service::auth::Caller;
use crate::store::rbac;
use crate::store::rbac_lock::{self, RbacLock};

/// The caller's effective permissions (one query).
pub async fn effective(ctx: &Context, user_id: i32) -> AppResult<Vec<String>> {
    Ok(rbac::effective_permissions(&ctx.db, user_id).await?)
}

/// 403 naming the required permissions (any one suffices) unless the caller holds one.
pub async fn require_any(
    ctx: &Context,
    caller: &Caller,
    required: &[&'static str],
) -> AppResult<Vec<String>> {
    let held = effective(ctx, caller.user.id).await?;
    if permission::has_any(&held, required) {
        return Ok(held);
    }
    ctx.metrics.auth_failure("permission_denied");
    tracing::info!(user_id = caller.user.id, required = %required.join(","), "permission denied");
    Err(AppError::PermissionDenied {
        required: required.to_vec(),
    })
}

/// `required` checked, then the authorization-change lock taken and `required` checked again
/// under it: the permissions the guard compares against are the caller's at write time, and no
/// other guarded change can land between the guard's check and the write. The first check keeps
/// callers without the permission from ever waiting on (or opening) the lock.
pub async fn require_serialized<'a>(
    ctx: &'a Context,
    caller: &Caller,
    required: &[&'static str],
) -> AppResult<(Vec<String>, RbacLock<'a>)> {
    require_any(ctx, caller, required).await?;
    let lock = rbac_lock::acquire(&ctx.db, &ctx.rbac_lock).await?;
    let held = require_any(ctx, caller, required).await?;
    Ok((held, lock))
}

pub const GRANT: &str = "Cannot grant permissions you do not hold";
pub const REVOKE: &str = "Cannot revoke permissions you do not hold";
pub const MANAGE_USER: &str = "Cannot manage a user who holds permissions you do not hold";

/// The escalation guard: the caller must satisfy every permission in `set`.
pub fn guard<S: AsRef<str>>(
    ctx: &Context,
    caller_held: &[String],
    set: &[S],
    message: &'static str,
) -> AppResult<()> {
    let missing = permission::missing(caller_held, set);
    if missing.is_empty() {
        return Ok(());
    }
    ctx.metrics.auth_failure("escalation_denied");
    tracing::warn!(missing = %missing.join(","), "escalation denied");
    Err(AppError::EscalationDenied { message, missing })
}

/// The target guard: acting on another user's account state needs all of their permissions.
pub async fn guard_target(ctx: &Context, caller_held: &[String], target_id: i32) -> AppResult<()> {
    let target = effective(ctx, target_id).await?;
    guard(ctx, caller_held, &target, MANAGE_USER)
}
