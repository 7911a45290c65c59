//! What users hold: their roles and permissions, role assignment and direct permission grants,
//! each change behind the escalation guard (docs/architecture.md, "Authorization").

use std::collections::BTreeSet;

use crate::domain::{PermissionGrant, RoleAssign, UserIdParam};
use crate::error::{AppError, AppResult};
use crate::service::access::{self, GRANT, REVOKE};
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::service::roles::group_by_role;
use crate::service::users::existing;
use crate::service::{Context, Listing};
use crate::store::audit_events::NewAuditEvent;
use crate::store::permissions::{self, PermissionRow};
use crate::store::rbac::{self, RoleRow};
use crate::store::rbac_lock::RbacLock;
use crate::store::roles;
use crate::store::users::UserRow;

fn role_not_found(name: &str) -> AppError {
    AppError::ResourceNotFound(format!("Role '{name}' not found"))
}

fn permission_not_found(name: &str) -> AppError {
    AppError::ResourceNotFound(format!("Permission '{name}' not found"))
}

async fn live_role(ctx: &Context, name: &str) -> AppResult<RoleRow> {
    roles::live_by_name(&ctx.db, name)
        .await?
        .ok_or_else(|| role_not_found(name))
}

async fn live_permission(ctx: &Context, name: &str) -> AppResult<PermissionRow> {
    permissions::live_by_name(&ctx.db, name)
        .await?
        .ok_or_else(|| permission_not_found(name))
}

/// The opening of every grant change: the caller's permissions re-read under the RBAC lock, and the
/// target user.
async fn serialized<'a>(
    ctx: &'a Context,
    caller: &Caller,
    required: &'static str,
    id: &UserIdParam,
) -> AppResult<(Vec<String>, RbacLock<'a>, UserRow)> {
    let (held, lock) = access::require_serialized(ctx, caller, &[required]).await?;
    let user = existing(ctx, id).await?;
    Ok((held, lock, user))
}

/// A live role the caller may move in `direction`: they must hold everything it confers.
async fn guarded_role(
    ctx: &Context,
    held: &[String],
    name: &str,
    direction: &'static str,
) -> AppResult<RoleRow> {
    let role = live_role(ctx, name).await?;
    let conferred = roles::chain_permissions(&ctx.db, role.id, 0).await?;
    access::guard(ctx, held, &conferred, direction)?;
    Ok(role)
}

/// A live permission the caller may move in `direction`: they must hold it themselves.
async fn guarded_permission(
    ctx: &Context,
    held: &[String],
    name: &str,
    direction: &'static str,
) -> AppResult<PermissionRow> {
    let permission = live_permission(ctx, name).await?;
    access::guard(ctx, held, &[name], direction)?;
    Ok(permission)
}

/// The close of every grant change. A write that changed nothing is refused; otherwise the lock is
/// released before the events are announced, so nothing is logged for a change still in flight.
async fn settle(
    ctx: &Context,
    lock: RbacLock<'_>,
    events: &[NewAuditEvent],
    changed: bool,
    refusal: impl FnOnce() -> String,
) -> AppResult<()> {
    if !changed {
        return Err(AppError::BadRequest(refusal()));
    }
    lock.release().await;
    audit::announce(ctx, events);
    Ok(())
}

/// A user's live roles, each with its own permissions, and the user's effective permissions.
#[derive(Debug)]
pub struct UserRoles {
    pub user: UserRow,
    pub roles: Vec<(RoleRow, Vec<String>)>,
    pub all: Vec<String>,
}

/// A user's permissions by origin: role-derived, direct, and both together (each sorted).
#[derive(Debug)]
pub struct UserPermissions {
    pub user: UserRow,
    pub roles: Vec<String>,
    pub from_roles: Vec<String>,
    pub direct: Vec<String>,
    pub effective: Vec<String>,
}

/// The user's live roles (each with its own permissions) and their effective set.
pub async fn user_roles(ctx: &Context, caller: &Caller, id: &UserIdParam) -> AppResult<UserRoles> {
    access::require_any(ctx, caller, &["roles:read", "users:read"]).await?;
    let user = existing(ctx, id).await?;
    let rows = rbac::user_roles(&ctx.db, user.id).await?;
    let mut owned = group_by_role(rbac::user_role_permissions(&ctx.db, user.id).await?);
    let roles = rows
        .into_iter()
        .map(|role| {
            let own = owned.remove(&role.id).unwrap_or_default();
            (role, own)
        })
        .collect();
    let all = rbac::effective_permissions(&ctx.db, user.id).await?;
    Ok(UserRoles { user, roles, all })
}

/// Assign a live role; the caller must hold everything the role confers.
pub async fn assign_role(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
    input: &RoleAssign,
    client: &ClientInfo,
) -> AppResult<UserRow> {
    let (held, lock, user) = serialized(ctx, caller, "roles:assign", id).await?;
    let name = input.role_name.as_str();
    let role = guarded_role(ctx, &held, name, GRANT).await?;
    let events = [AuditEvent::RoleAssigned {
        caller_id: caller.user.id,
        target_id: user.id,
        role: name.to_owned(),
    }
    .stamp(client)];
    let changed =
        rbac::assign_role(&ctx.db, user.id, role.id, Some(caller.user.id), &events).await?;
    settle(ctx, lock, &events, changed, || {
        format!("User already has role '{name}'")
    })
    .await?;
    Ok(user)
}

/// Revoke a live role; the caller must hold everything the role confers.
pub async fn revoke_role(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
    name: &str,
    client: &ClientInfo,
) -> AppResult<UserRow> {
    let (held, lock, user) = serialized(ctx, caller, "roles:revoke", id).await?;
    let role = guarded_role(ctx, &held, name, REVOKE).await?;
    let events = [AuditEvent::RoleRevoked {
        caller_id: caller.user.id,
        target_id: user.id,
        role: name.to_owned(),
    }
    .stamp(client)];
    let changed = rbac::revoke_role(&ctx.db, user.id, role.id, &events).await?;
    settle(ctx, lock, &events, changed, || {
        format!("User doesn't have role '{name}'")
    })
    .await?;
    Ok(user)
}

/// Role-derived, direct and effective permissions of a user.
pub async fn user_permissions(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
) -> AppResult<UserPermissions> {
    access::require_any(ctx, caller, &["permissions:read", "users:read"]).await?;
    let user = existing(ctx, id).await?;
    let role_names: Vec<String> = rbac::user_roles(&ctx.db, user.id)
        .await?
        .into_iter()
        .map(|role| role.name)
        .collect();
    let from_roles = rbac::role_derived_permissions(&ctx.db, user.id).await?;
    let direct = permissions::direct_names(&ctx.db, user.id).await?;
    let effective: BTreeSet<&String> = from_roles.iter().chain(&direct).collect();
    let effective = effective.into_iter().cloned().collect();
    Ok(UserPermissions {
        user,
        roles: role_names,
        from_roles,
        direct,
        effective,
    })
}

/// Grant a direct permission with its audit columns.
pub async fn grant(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
    input: &PermissionGrant,
    client: &ClientInfo,
) -> AppResult<UserRow> {
    let (held, lock, user) = serialized(ctx, caller, "permissions:assign", id).await?;
    let name = input.permission.as_str();
    let permission = guarded_permission(ctx, &held, name, GRANT).await?;
    let grant = permissions::Grant {
        user_id: user.id,
        permission_id: permission.id,
        granted_by: caller.user.id,
        reason: input.reason.as_deref(),
    };
    let events = [AuditEvent::PermissionGranted {
        caller_id: caller.user.id,
        target_id: user.id,
        permission: name.to_owned(),
    }
    .stamp(client)];
    let changed = permissions::grant(&ctx.db, &grant, &events).await?;
    settle(ctx, lock, &events, changed, || {
        format!("User already has direct permission '{name}'")
    })
    .await?;
    Ok(user)
}

/// Revoke a direct permission (the path value is used as-is).
pub async fn revoke(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
    name: &str,
    client: &ClientInfo,
) -> AppResult<UserRow> {
    let (held, lock, user) = serialized(ctx, caller, "permissions:revoke", id).await?;
    let permission = guarded_permission(ctx, &held, name, REVOKE).await?;
    let events = [AuditEvent::PermissionRevoked {
        caller_id: caller.user.id,
        target_id: user.id,
        permission: name.to_owned(),
    }
    .stamp(client)];
    let changed = permissions::revoke(&ctx.db, user.id, permission.id, &events).await?;
    settle(ctx, lock, &events, changed, || {
        format!("User doesn't have direct permission '{name}'")
    })
    .await?;
    Ok(user)
}

/// The live permissions, optionally of one resource.
pub async fn list_permissions(
    ctx: &Context,
    caller: &Caller,
    query: &crate::domain::PermissionListQuery,
) -> AppResult<Listing<PermissionRow>> {
    access::require_any(ctx, caller, &["permissions:list", "permissions:read"]).await?;
    let resource = query.resource.as_deref().unwrap_or_default();
    let (limit, offset) = (query.page.limit(), query.page.offset());
    let (total, rows) = permissions::page(&ctx.db, resource, limit, offset).await?;
    Ok(Listing::new(rows, total))
}

/// One live permission by name.
pub async fn get_permission(
    ctx: &Context,
    caller: &Caller,
    name: &str,
) -> AppResult<PermissionRow> {
    access::require_any(ctx, caller, &["permissions:read"]).await?;
    live_permission(ctx, name).await
}
