//! Roles: listing, reading, creating, updating and soft-deleting them, each change behind the
//! escalation guard (docs/architecture.md, "Authorization").

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{RoleCreate, RoleListQuery, RoleUpdate};
use crate::error::{AppError, AppResult};
use crate::security::permission;
use crate::service::access::{self, GRANT, REVOKE};
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::service::{Context, Listing};
use crate::store::rbac::{self, RoleRow};
use crate::store::roles::{self, NewRole, RoleChanges};
use crate::store::{DbClass, permissions};

/// A role and, where the route includes them, its own permissions (sorted).
#[derive(Debug)]
pub struct RoleEntry {
    pub role: RoleRow,
    pub permissions: Option<Vec<String>>,
}

/// A role with its own permissions, all it confers (own and inherited) and the inherited ones.
#[derive(Debug)]
pub struct RoleDetail {
    pub role: RoleRow,
    pub own: Vec<String>,
    pub all: Vec<String>,
    pub inherited: Vec<String>,
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
async fn reread(ctx: &Context, role_id: i32) -> AppResult<RoleEntry> {
    let role = roles::by_id(&ctx.db, role_id)
        .await?
        .ok_or_else(|| AppError::internal("role", "role vanished after write"))?;
    let own = roles::own_permissions(&ctx.db, role_id).await?;
    Ok(RoleEntry {
        role,
        permissions: Some(own),
    })
}

pub async fn list(
    ctx: &Context,
    caller: &Caller,
    query: &RoleListQuery,
) -> AppResult<Listing<RoleEntry>> {
    access::require_any(ctx, caller, &["roles:list", "roles:read"]).await?;
    let (limit, offset) = (query.page.limit(), query.page.offset());
    let (total, rows) = roles::page(&ctx.db, query.include_system, limit, offset).await?;
    let mut owned = if query.include_permissions {
        group_by_role(roles::page_permissions(&ctx.db, query.include_system, limit, offset).await?)
    } else {
        BTreeMap::new()
    };
    let items = rows
        .into_iter()
        .map(|role| {
            let permissions = query
                .include_permissions
                .then(|| owned.remove(&role.id).unwrap_or_default());
            RoleEntry { role, permissions }
        })
        .collect();
    Ok(Listing::new(items, total))
}

pub async fn get(ctx: &Context, caller: &Caller, name: &str) -> AppResult<RoleDetail> {
    access::require_any(ctx, caller, &["roles:read"]).await?;
    let role = roles::live_by_name(&ctx.db, name)
        .await?
        .ok_or_else(|| not_found_quoted(name))?;
    let own = roles::own_permissions(&ctx.db, role.id).await?;
    let inherited_all = match role.parent_role_id {
        Some(parent) => roles::chain_permissions(&ctx.db, parent, role.id).await?,
        None => Vec::new(),
    };
    let all: BTreeSet<String> = own.iter().chain(&inherited_all).cloned().collect();
    let inherited = all.iter().filter(|p| !own.contains(p)).cloned().collect();
    Ok(RoleDetail {
        role,
        own,
        all: all.into_iter().collect(),
        inherited,
    })
}

/// Live permission ids for `names`, in order; the first unknown name is returned as the error.
async fn resolve_all(ctx: &Context, names: &[String]) -> AppResult<Result<Vec<i32>, String>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        match permissions::live_by_name(&ctx.db, name).await? {
            Some(found) => ids.push(found.id),
            None => return Ok(Err(name.clone())),
        }
    }
    Ok(Ok(ids))
}

pub async fn create(
    ctx: &Context,
    caller: &Caller,
    input: RoleCreate,
    client: &ClientInfo,
) -> AppResult<RoleEntry> {
    let (held, lock) = access::require_serialized(ctx, caller, &["roles:create"]).await?;
    let name = input.name.as_str();
    let conflict = || AppError::Conflict(format!("Role '{name}' already exists"));
    if rbac::role_by_name_any(&ctx.db, name).await?.is_some() {
        return Err(conflict());
    }
    let parent = match &input.parent_role {
        Some(parent) => Some(
            roles::live_by_name(&ctx.db, parent)
                .await?
                .ok_or_else(|| not_found_plain(parent))?,
        ),
        None => None,
    };
    let permission_ids = resolve_all(ctx, &input.permissions)
        .await?
        .map_err(|missing| {
            AppError::ResourceNotFound(format!("Permission not found: {missing}"))
        })?;
    let mut conferred = input.permissions.clone();
    if let Some(parent) = &parent {
        conferred.extend(roles::chain_permissions(&ctx.db, parent.id, 0).await?);
    }
    access::guard(ctx, &held, &conferred, GRANT)?;
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
    let id = match roles::insert(&ctx.db, &new, &events).await {
        Err(err) if err.class() == DbClass::Unique => return Err(conflict()),
        other => other?,
    };
    lock.release().await;
    audit::announce(ctx, &events);
    reread(ctx, id).await
}

/// The parent an update asks for: `Ok(None)` = keep, `Ok(Some(None))` = clear.
async fn requested_parent(
    ctx: &Context,
    role: &RoleRow,
    update: &RoleUpdate,
) -> AppResult<Option<Option<i32>>> {
    let Some(parent_name) = update.parent_role.as_deref() else {
        return Ok(None);
    };
    if update.clears_parent() {
        return Ok(Some(None));
    }
    let parent = roles::live_by_name(&ctx.db, parent_name)
        .await?
        .ok_or_else(|| not_found_plain(parent_name))?;
    if roles::is_self_or_descendant(&ctx.db, role.id, parent.id).await? {
        return Err(AppError::BadRequest(format!(
            "Setting parent role '{parent_name}' would create a cycle"
        )));
    }
    Ok(Some(Some(parent.id)))
}

/// Live permission ids and names of the requested set; unknown or deleted names are skipped.
async fn resolve_known(ctx: &Context, names: &[String]) -> AppResult<(Vec<i32>, Vec<String>)> {
    let (mut ids, mut known) = (Vec::new(), Vec::new());
    for name in names {
        if let Some(found) = permissions::live_by_name(&ctx.db, name).await? {
            ids.push(found.id);
            known.push(found.name);
        }
    }
    known.sort();
    known.dedup();
    Ok((ids, known))
}

/// An update gains and loses permissions: the caller must hold every one that changes; the
/// refusal says "grant" when a missing one would be gained, "revoke" otherwise.
fn guard_update(
    ctx: &Context,
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
    access::guard(ctx, held, &changed, message)
}

pub async fn update(
    ctx: &Context,
    caller: &Caller,
    name: &str,
    input: RoleUpdate,
    client: &ClientInfo,
) -> AppResult<RoleEntry> {
    let (held, lock) = access::require_serialized(ctx, caller, &["roles:update"]).await?;
    let role = roles::live_by_name(&ctx.db, name)
        .await?
        .ok_or_else(|| not_found_plain(name))?;
    let parent_id = requested_parent(ctx, &role, &input)
        .await?
        .unwrap_or(role.parent_role_id);
    let own_before = roles::own_permissions(&ctx.db, role.id).await?;
    let (permission_ids, own_after) = match &input.permissions {
        Some(names) => {
            let (ids, known) = resolve_known(ctx, names).await?;
            (Some(ids), known)
        }
        None => (None, own_before.clone()),
    };
    let before: BTreeSet<String> = roles::chain_permissions(&ctx.db, role.id, 0)
        .await?
        .into_iter()
        .collect();
    let mut after: BTreeSet<String> = own_after.iter().cloned().collect();
    if let Some(parent) = parent_id {
        after.extend(roles::chain_permissions(&ctx.db, parent, role.id).await?);
    }
    guard_update(ctx, &held, &before, &after)?;
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
    if roles::update(&ctx.db, &role, &changes, &events).await? {
        audit::announce(ctx, &events);
    }
    reread(ctx, role.id).await
}

pub async fn delete(
    ctx: &Context,
    caller: &Caller,
    name: &str,
    client: &ClientInfo,
) -> AppResult<()> {
    let (held, lock) = access::require_serialized(ctx, caller, &["roles:delete"]).await?;
    let role = roles::live_by_name(&ctx.db, name)
        .await?
        .ok_or_else(|| not_found_quoted(name))?;
    if role.is_system_role {
        return Err(AppError::Forbidden(format!(
            "Cannot delete system role '{name}'"
        )));
    }
    let effective = roles::chain_permissions(&ctx.db, role.id, 0).await?;
    access::guard(ctx, &held, &effective, REVOKE)?;
    let event = AuditEvent::RoleDeleted {
        caller_id: caller.user.id,
        role: name.to_owned(),
    };
    let events = [event.stamp(client)];
    if !roles::soft_delete(&ctx.db, role.id, &events).await? {
        return Err(not_found_quoted(name));
    }
    lock.release().await;
    audit::announce(ctx, &events);
    Ok(())
}
