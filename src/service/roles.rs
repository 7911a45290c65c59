//! `/admin/roles`: listing, reading, creating, updating and soft-deleting roles (§5.12–§5.16),
//! each mutation behind the escalation guard of §3.7.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::domain::{RoleCreate, RoleListQuery, RoleUpdate};
use crate::error::{AppError, AppResult};
use crate::security::permission;
use crate::service::access::{self, GRANT, REVOKE};
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::state::AppState;
use crate::store::rbac::{self, RoleRow};
use crate::store::roles::{self, NewRole, RoleChanges};
use crate::store::{DbClass, permissions};

/// The role object (§4.2); `permissions` only when the route includes it.
pub fn role_json(role: &RoleRow, permissions: Option<&[String]>) -> Value {
    let mut value = json!({
        "id": role.id,
        "name": role.name,
        "display_name": role.display_name,
        "description": role.description,
        "is_system_role": role.is_system_role,
        "parent_role_id": role.parent_role_id,
        "parent_role_name": role.parent_role_name,
        "is_deleted": role.is_deleted,
        "created_at": role.created_at.to_api(),
        "updated_at": role.updated_at.to_api(),
    });
    if let (Some(names), Value::Object(fields)) = (permissions, &mut value) {
        fields.insert("permissions".into(), json!(names));
    }
    value
}

/// Group `(role_id, name)` pairs into sorted name lists per role.
pub fn group_by_role(pairs: Vec<(i32, String)>) -> BTreeMap<i32, Vec<String>> {
    let mut grouped: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for (role_id, name) in pairs {
        grouped.entry(role_id).or_default().insert(name);
    }
    grouped
        .into_iter()
        .map(|(id, names)| (id, names.into_iter().collect()))
        .collect()
}

fn not_found_quoted(name: &str) -> AppError {
    AppError::ResourceNotFound(format!("Role '{name}' not found"))
}

fn not_found_plain(name: &str) -> AppError {
    AppError::ResourceNotFound(format!("Role not found: {name}"))
}

/// The role object with its own permissions, re-read after a write.
async fn reread(state: &AppState, role_id: i32) -> AppResult<Value> {
    let role = roles::by_id(&state.db, role_id)
        .await?
        .ok_or_else(|| AppError::internal("role", "role vanished after write"))?;
    let own = roles::own_permissions(&state.db, role_id).await?;
    Ok(role_json(&role, Some(&own)))
}

pub struct RolePage {
    pub items: Vec<Value>,
    pub total: u64,
}

pub async fn list(state: &AppState, caller: &Caller, query: &RoleListQuery) -> AppResult<RolePage> {
    access::require_any(state, caller, &["roles:list", "roles:read"]).await?;
    let (limit, offset) = (query.page.limit(), query.page.offset());
    let (total, rows) = roles::page(&state.db, query.include_system, limit, offset).await?;
    let mut owned = if query.include_permissions {
        group_by_role(
            roles::page_permissions(&state.db, query.include_system, limit, offset).await?,
        )
    } else {
        BTreeMap::new()
    };
    let items = rows
        .iter()
        .map(|role| {
            let own = query
                .include_permissions
                .then(|| owned.remove(&role.id).unwrap_or_default());
            role_json(role, own.as_deref())
        })
        .collect();
    Ok(RolePage {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub async fn get(state: &AppState, caller: &Caller, name: &str) -> AppResult<Value> {
    access::require_any(state, caller, &["roles:read"]).await?;
    let role = roles::live_by_name(&state.db, name)
        .await?
        .ok_or_else(|| not_found_quoted(name))?;
    let own = roles::own_permissions(&state.db, role.id).await?;
    let inherited_all = match role.parent_role_id {
        Some(parent) => roles::chain_permissions(&state.db, parent, role.id).await?,
        None => Vec::new(),
    };
    let all: BTreeSet<String> = own.iter().chain(&inherited_all).cloned().collect();
    let inherited: Vec<&String> = all.iter().filter(|p| !own.contains(p)).collect();
    let mut value = role_json(&role, Some(&own));
    if let Value::Object(fields) = &mut value {
        fields.insert("all_permissions".into(), json!(all));
        fields.insert("inherited_permissions".into(), json!(inherited));
    }
    Ok(value)
}

/// Live permission ids for `names`, in order; the first unknown name is returned as the error.
async fn resolve_all(state: &AppState, names: &[String]) -> AppResult<Result<Vec<i32>, String>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        match permissions::live_by_name(&state.db, name).await? {
            Some(found) => ids.push(found.id),
            None => return Ok(Err(name.clone())),
        }
    }
    Ok(Ok(ids))
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: RoleCreate,
    client: &ClientInfo,
) -> AppResult<Value> {
    let (held, lock) = access::require_serialized(state, caller, &["roles:create"]).await?;
    let name = input.name.as_str();
    let conflict = || AppError::Conflict(format!("Role '{name}' already exists"));
    if rbac::role_by_name_any(&state.db, name).await?.is_some() {
        return Err(conflict());
    }
    let parent = match &input.parent_role {
        Some(parent) => Some(
            roles::live_by_name(&state.db, parent)
                .await?
                .ok_or_else(|| not_found_plain(parent))?,
        ),
        None => None,
    };
    let permission_ids = resolve_all(state, &input.permissions)
        .await?
        .map_err(|missing| {
            AppError::ResourceNotFound(format!("Permission not found: {missing}"))
        })?;
    let mut conferred = input.permissions.clone();
    if let Some(parent) = &parent {
        conferred.extend(roles::chain_permissions(&state.db, parent.id, 0).await?);
    }
    access::guard(state, &held, &conferred, GRANT)?;
    let new = NewRole {
        name,
        display_name: &input.display_name,
        description: input.description.as_deref(),
        parent_role_id: parent.as_ref().map(|p| p.id),
        permission_ids: &permission_ids,
    };
    let event = AuditEvent::RoleCreated {
        caller_id: caller.user.id,
        role: name.to_owned(),
    };
    let events = [event.stamp(client)];
    let id = match roles::insert(&state.db, &new, &events).await {
        Err(err) if err.class() == DbClass::Unique => return Err(conflict()),
        other => other?,
    };
    lock.release().await;
    audit::announce(state, &events);
    reread(state, id).await
}

/// The parent an update asks for: `Ok(None)` = keep, `Ok(Some(None))` = clear.
async fn requested_parent(
    state: &AppState,
    role: &RoleRow,
    update: &RoleUpdate,
) -> AppResult<Option<Option<i32>>> {
    let Some(parent_name) = update.parent_role.as_deref() else {
        return Ok(None);
    };
    if update.clears_parent() {
        return Ok(Some(None));
    }
    let parent = roles::live_by_name(&state.db, parent_name)
        .await?
        .ok_or_else(|| not_found_plain(parent_name))?;
    if roles::is_self_or_descendant(&state.db, role.id, parent.id).await? {
        return Err(AppError::BadRequest(format!(
            "Setting parent role '{parent_name}' would create a cycle"
        )));
    }
    Ok(Some(Some(parent.id)))
}

/// Live permission ids and names of the requested set; unknown or deleted names are skipped.
async fn resolve_known(state: &AppState, names: &[String]) -> AppResult<(Vec<i32>, Vec<String>)> {
    let (mut ids, mut known) = (Vec::new(), Vec::new());
    for name in names {
        if let Some(found) = permissions::live_by_name(&state.db, name).await? {
            ids.push(found.id);
            known.push(found.name);
        }
    }
    known.sort();
    known.dedup();
    Ok((ids, known))
}

/// §3.7 update row: check the symmetric difference; GRANT if a missing one would be gained.
fn guard_update(
    state: &AppState,
    held: &[String],
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
) -> AppResult<()> {
    let changed: Vec<&String> = before.symmetric_difference(after).collect();
    let missing = permission::missing(held, &changed);
    let message = if missing
        .iter()
        .any(|p| after.contains(p) && !before.contains(p))
    {
        GRANT
    } else {
        REVOKE
    };
    access::guard(state, held, &changed, message)
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    name: &str,
    input: RoleUpdate,
    client: &ClientInfo,
) -> AppResult<Value> {
    let (held, lock) = access::require_serialized(state, caller, &["roles:update"]).await?;
    let role = roles::live_by_name(&state.db, name)
        .await?
        .ok_or_else(|| not_found_plain(name))?;
    let parent_id = requested_parent(state, &role, &input)
        .await?
        .unwrap_or(role.parent_role_id);
    let own_before = roles::own_permissions(&state.db, role.id).await?;
    let (permission_ids, own_after) = match &input.permissions {
        Some(names) => {
            let (ids, known) = resolve_known(state, names).await?;
            (Some(ids), known)
        }
        None => (None, own_before.clone()),
    };
    let before: BTreeSet<String> = roles::chain_permissions(&state.db, role.id, 0)
        .await?
        .into_iter()
        .collect();
    let mut after: BTreeSet<String> = own_after.iter().cloned().collect();
    if let Some(parent) = parent_id {
        after.extend(roles::chain_permissions(&state.db, parent, role.id).await?);
    }
    guard_update(state, &held, &before, &after)?;
    let display_name = input
        .display_name
        .unwrap_or_else(|| role.display_name.clone());
    let description = input.description.or_else(|| role.description.clone());
    let changes = RoleChanges {
        changed: display_name != role.display_name
            || description != role.description
            || parent_id != role.parent_role_id
            || own_after != own_before,
        display_name,
        description,
        parent_role_id: parent_id,
        permission_ids,
    };
    lock.release().await;
    let event = AuditEvent::RoleUpdated {
        caller_id: caller.user.id,
        role: name.to_owned(),
    };
    let events = [event.stamp(client)];
    if roles::update(&state.db, &role, &changes, &events).await? {
        audit::announce(state, &events);
    }
    reread(state, role.id).await
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    name: &str,
    client: &ClientInfo,
) -> AppResult<()> {
    let (held, lock) = access::require_serialized(state, caller, &["roles:delete"]).await?;
    let role = roles::live_by_name(&state.db, name)
        .await?
        .ok_or_else(|| not_found_quoted(name))?;
    if role.is_system_role {
        return Err(AppError::Forbidden(format!(
            "Cannot delete system role '{name}'"
        )));
    }
    let effective = roles::chain_permissions(&state.db, role.id, 0).await?;
    access::guard(state, &held, &effective, REVOKE)?;
    let event = AuditEvent::RoleDeleted {
        caller_id: caller.user.id,
        role: name.to_owned(),
    };
    let events = [event.stamp(client)];
    if !roles::soft_delete(&state.db, role.id, &events).await? {
        return Err(not_found_quoted(name));
    }
    lock.release().await;
    audit::announce(state, &events);
    Ok(())
}
