//! `/users`: listing, reading, updating and soft-deleting accounts with the self-or-permission
//! rules of §3.6 and the target guard of §3.7.

use crate::domain::{UserIdParam, UserListQuery, UserUpdate};
use crate::error::{AppError, AppResult};
use crate::service::access;
use crate::service::auth::Caller;
use crate::state::AppState;
use crate::store::users::{self, UserChanges, UserRow};

fn not_found(id: &UserIdParam) -> AppError {
    AppError::ResourceNotFound(format!("User with id={} not found", id.digits()))
}

pub(crate) fn is_self(caller: &Caller, id: &UserIdParam) -> bool {
    matches!(id, UserIdParam::Id(n) if *n == caller.user.id)
}

/// The live user behind a path id, or 404.
pub async fn existing(state: &AppState, id: &UserIdParam) -> AppResult<UserRow> {
    let UserIdParam::Id(n) = id else {
        return Err(not_found(id));
    };
    users::find_live_by_id(&state.db, *n)
        .await?
        .ok_or_else(|| not_found(id))
}

pub struct UserPage {
    pub items: Vec<UserRow>,
    pub total: u64,
}

pub async fn list(state: &AppState, caller: &Caller, query: &UserListQuery) -> AppResult<UserPage> {
    access::require_any(state, caller, &["users:list"]).await?;
    let total = users::count(&state.db, query.include_deleted).await?;
    let rows = users::page(
        &state.db,
        query.include_deleted,
        query.page.limit(),
        query.page.offset(),
    )
    .await?;
    Ok(UserPage {
        items: rows,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub async fn get(state: &AppState, caller: &Caller, id: &UserIdParam) -> AppResult<UserRow> {
    if is_self(caller, id) {
        // perf: the authentication query of this request has just read this row (live, not
        // deleted); reading it again is a second round trip for the same data.
        return Ok(caller.user.clone());
    }
    access::require_any(state, caller, &["users:read"]).await?;
    existing(state, id).await
}

fn merge(current: &UserRow, update: &UserUpdate) -> UserChanges {
    let pick = |field: &Option<Option<crate::domain::PersonName>>, now: &Option<String>| match field
    {
        Some(value) => value.as_ref().map(|v| v.as_str().to_string()),
        None => now.clone(),
    };
    UserChanges {
        first_name: update
            .first_name
            .as_ref()
            .map_or_else(|| current.first_name.clone(), |n| n.as_str().to_string()),
        middle_name: pick(&update.middle_name, &current.middle_name),
        last_name: pick(&update.last_name, &current.last_name),
        bio: match &update.bio {
            Some(value) => value.as_ref().map(|b| b.as_str().to_string()),
            None => current.bio.clone(),
        },
        is_active: update.is_active.or(current.is_active),
    }
}

fn changed(current: &UserRow, changes: &UserChanges) -> bool {
    current.first_name != changes.first_name
        || current.middle_name != changes.middle_name
        || current.last_name != changes.last_name
        || current.bio != changes.bio
        || current.is_active != changes.is_active
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
    update: UserUpdate,
) -> AppResult<UserRow> {
    let own_profile = is_self(caller, id) && !update.contains_is_active();
    let held = if own_profile {
        None
    } else {
        Some(access::require_any(state, caller, &["users:update"]).await?)
    };
    let current = existing(state, id).await?;
    if let (Some(held), true) = (&held, update.contains_is_active() && !is_self(caller, id)) {
        access::guard_target(state, held, current.id).await?;
    }
    let changes = merge(&current, &update);
    let deactivating = update.is_active == Some(false);
    let revoke = deactivating.then_some("user_deactivated");
    let updated = users::update_profile(
        &state.db,
        &current,
        &changes,
        changed(&current, &changes),
        revoke,
    )
    .await?
    .ok_or_else(|| not_found(id))?;
    if deactivating {
        state.metrics.session_revoked("user_deactivated");
    }
    Ok(updated)
}

pub async fn delete(state: &AppState, caller: &Caller, id: &UserIdParam) -> AppResult<i32> {
    let held = if is_self(caller, id) {
        None
    } else {
        Some(access::require_any(state, caller, &["users:delete"]).await?)
    };
    let current = existing(state, id).await?;
    if let Some(held) = &held {
        access::guard_target(state, held, current.id).await?;
    }
    if !users::soft_delete(&state.db, current.id).await? {
        return Err(not_found(id));
    }
    state.metrics.session_revoked("user_deleted");
    Ok(current.id)
}
