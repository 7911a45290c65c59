//! What users hold: their roles and permissions (§5.17, §5.22), role assignment (§5.18, §5.19)
//! and direct permission grants (§5.23, §5.24), each mutation behind the guard of §3.7.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::domain::{PermissionGrant, RoleAssign, UserIdParam};
use crate::error::{AppError, AppResult};
use crate::service::access::{self, GRANT, REVOKE};
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::service::roles::{group_by_role, role_json};
use crate::service::users::existing;
use crate::state::AppState;
use crate::store::permissions::{self, PermissionRow};
use crate::store::rbac::{self, RoleRow};
use crate::store::roles;

fn role_not_found(name: &str) -> AppError {
    AppError::ResourceNotFound(format!("Role '{name}' not found"))
}

fn permission_not_found(name: &str) -> AppError {
    AppError::ResourceNotFound(format!("Permission '{name}' not found"))
}

async fn live_role(state: &AppState, name: &str) -> AppResult<RoleRow> {
    roles::live_by_name(&state.db, name)
        .await?
        .ok_or_else(|| role_not_found(name))
}

async fn live_permission(state: &AppState, name: &str) -> AppResult<PermissionRow> {
    permissions::live_by_name(&state.db, name)
        .await?
        .ok_or_else(|| permission_not_found(name))
}

/// §5.17: the user's live roles (each with its own permissions) and their effective set.
pub async fn user_roles(state: &AppState, caller: &Caller, id: &UserIdParam) -> AppResult<Value> {
    access::require_any(state, caller, &["roles:read", "users:read"]).await?;
    let user = existing(state, id).await?;
    let rows = rbac::user_roles(&state.db, user.id).await?;
    let mut owned = group_by_role(rbac::user_role_permissions(&state.db, user.id).await?);
    let roles: Vec<Value> = rows
        .iter()
        .map(|role| role_json(role, Some(&owned.remove(&role.id).unwrap_or_default())))
        .collect();
    let all = rbac::effective_permissions(&state.db, user.id).await?;
    Ok(json!({
        "user_id": user.id,
        "username": user.username,
        "roles": roles,
        "all_permissions": all,
    }))
}

/// §5.18: assign a live role; the caller must hold everything the role confers.
pub async fn assign_role(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
    input: &RoleAssign,
    client: &ClientInfo,
) -> AppResult<String> {
    let (held, lock) = access::require_serialized(state, caller, &["roles:assign"]).await?;
    let user = existing(state, id).await?;
    let name = input.role_name.as_str();
    let role = live_role(state, name).await?;
    let conferred = roles::chain_permissions(&state.db, role.id, 0).await?;
    access::guard(state, &held, &conferred, GRANT)?;
    let events = [AuditEvent::RoleAssigned {
        caller_id: caller.user.id,
        target_id: user.id,
        role: name.to_owned(),
    }
    .stamp(client)];
    if !rbac::assign_role(&state.db, user.id, role.id, Some(caller.user.id), &events).await? {
        return Err(AppError::BadRequest(format!(
            "User already has role '{name}'"
        )));
    }
    lock.release().await;
    audit::announce(state, &events);
    Ok(format!(
        "Role '{name}' assigned to user '{}'",
        user.username
    ))
}

/// §5.19: revoke a live role; the caller must hold everything the role confers.
pub async fn revoke_role(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
    name: &str,
    client: &ClientInfo,
) -> AppResult<String> {
    let (held, lock) = access::require_serialized(state, caller, &["roles:revoke"]).await?;
    let user = existing(state, id).await?;
    let role = live_role(state, name).await?;
    let removed = roles::chain_permissions(&state.db, role.id, 0).await?;
    access::guard(state, &held, &removed, REVOKE)?;
    let events = [AuditEvent::RoleRevoked {
        caller_id: caller.user.id,
        target_id: user.id,
        role: name.to_owned(),
    }
    .stamp(client)];
    if !rbac::revoke_role(&state.db, user.id, role.id, &events).await? {
        return Err(AppError::BadRequest(format!(
            "User doesn't have role '{name}'"
        )));
    }
    lock.release().await;
    audit::announce(state, &events);
    Ok(format!(
        "Role '{name}' revoked from user '{}'",
        user.username
    ))
}

/// §5.22: role-derived, direct and effective permissions of a user.
pub async fn user_permissions(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
) -> AppResult<Value> {
    access::require_any(state, caller, &["permissions:read", "users:read"]).await?;
    let user = existing(state, id).await?;
    let role_names: Vec<String> = rbac::user_roles(&state.db, user.id)
        .await?
        .into_iter()
        .map(|role| role.name)
        .collect();
    let from_roles = rbac::role_derived_permissions(&state.db, user.id).await?;
    let direct = permissions::direct_names(&state.db, user.id).await?;
    let effective: BTreeSet<&String> = from_roles.iter().chain(&direct).collect();
    Ok(json!({
        "user_id": user.id,
        "username": user.username,
        "roles": role_names,
        "role_permissions": from_roles,
        "direct_permissions": direct,
        "effective_permissions": effective,
    }))
}

/// §5.23: grant a direct permission with its audit columns.
pub async fn grant(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
    input: &PermissionGrant,
    client: &ClientInfo,
) -> AppResult<String> {
    let (held, lock) = access::require_serialized(state, caller, &["permissions:assign"]).await?;
    let user = existing(state, id).await?;
    let name = input.permission.as_str();
    let permission = live_permission(state, name).await?;
    access::guard(state, &held, &[name], GRANT)?;
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
    if !permissions::grant(&state.db, &grant, &events).await? {
        return Err(AppError::BadRequest(format!(
            "User already has direct permission '{name}'"
        )));
    }
    lock.release().await;
    audit::announce(state, &events);
    Ok(format!(
        "Permission '{name}' granted to user '{}'",
        user.username
    ))
}

/// §5.24: revoke a direct permission (the path value is used as-is).
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
    name: &str,
    client: &ClientInfo,
) -> AppResult<String> {
    let (held, lock) = access::require_serialized(state, caller, &["permissions:revoke"]).await?;
    let user = existing(state, id).await?;
    let permission = live_permission(state, name).await?;
    access::guard(state, &held, &[name], REVOKE)?;
    let events = [AuditEvent::PermissionRevoked {
        caller_id: caller.user.id,
        target_id: user.id,
        permission: name.to_owned(),
    }
    .stamp(client)];
    if !permissions::revoke(&state.db, user.id, permission.id, &events).await? {
        return Err(AppError::BadRequest(format!(
            "User doesn't have direct permission '{name}'"
        )));
    }
    lock.release().await;
    audit::announce(state, &events);
    Ok(format!(
        "Permission '{name}' revoked from user '{}'",
        user.username
    ))
}

/// The permission object (§4.3).
pub fn permission_json(permission: &PermissionRow) -> Value {
    json!({
        "id": permission.id,
        "name": permission.name,
        "resource": permission.resource,
        "action": permission.action,
        "description": permission.description,
        "is_deleted": permission.is_deleted,
        "created_at": permission.created_at.to_api(),
        "updated_at": permission.updated_at.to_api(),
    })
}

pub struct PermissionPage {
    pub items: Vec<Value>,
    pub total: u64,
}

/// §5.20.
pub async fn list_permissions(
    state: &AppState,
    caller: &Caller,
    query: &crate::domain::PermissionListQuery,
) -> AppResult<PermissionPage> {
    access::require_any(state, caller, &["permissions:list", "permissions:read"]).await?;
    let resource = query.resource.as_deref().unwrap_or_default();
    let (limit, offset) = (query.page.limit(), query.page.offset());
    let (total, rows) = permissions::page(&state.db, resource, limit, offset).await?;
    Ok(PermissionPage {
        items: rows.iter().map(permission_json).collect(),
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// §5.21.
pub async fn get_permission(state: &AppState, caller: &Caller, name: &str) -> AppResult<Value> {
    access::require_any(state, caller, &["permissions:read"]).await?;
    Ok(permission_json(&live_permission(state, name).await?))
}
