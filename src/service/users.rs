//! `/users`: listing, reading, updating and soft-deleting accounts with the self-or-permission
//! rules of §3.6 and the target guard of §3.7.

use crate::domain::{UserIdParam, UserListQuery, UserUpdate};
use crate::error::{AppError, AppResult};
use crate::service::access;
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::state::AppState;
use crate::store::users::{self, UserPatch, UserRow};

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
    let (rows, total) = users::page_with_total(
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

/// The present fields of the body, as stored text; absent fields stay out of the write.
fn patch(update: &UserUpdate) -> UserPatch {
    let text = |name: &crate::domain::PersonName| name.as_str().to_string();
    UserPatch {
        first_name: update.first_name.as_ref().map(text),
        middle_name: update.middle_name.as_ref().map(|v| v.as_ref().map(text)),
        last_name: update.last_name.as_ref().map(|v| v.as_ref().map(text)),
        bio: update
            .bio
            .as_ref()
            .map(|v| v.as_ref().map(|b| b.as_str().to_string())),
        is_active: update.is_active,
    }
}

/// The names of the columns the patch changes (never the values: `bio` is private).
fn changed_fields(current: &UserRow, patch: &UserPatch) -> Vec<&'static str> {
    fn differs<T: PartialEq>(present: Option<&T>, stored: &T) -> bool {
        present.is_some_and(|value| value != stored)
    }
    [
        (
            "first_name",
            differs(patch.first_name.as_ref(), &current.first_name),
        ),
        (
            "middle_name",
            differs(patch.middle_name.as_ref(), &current.middle_name),
        ),
        (
            "last_name",
            differs(patch.last_name.as_ref(), &current.last_name),
        ),
        ("bio", differs(patch.bio.as_ref(), &current.bio)),
        (
            "is_active",
            patch
                .is_active
                .is_some_and(|value| Some(value) != current.is_active),
        ),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect()
}

/// `user.updated` for a stored change, and `user.deactivated` when `is_active` became false.
fn update_events(
    caller: &Caller,
    target_id: i32,
    fields: &[&'static str],
    deactivated: bool,
) -> Vec<AuditEvent> {
    let caller_id = caller.user.id;
    let mut events = Vec::new();
    if !fields.is_empty() {
        events.push(AuditEvent::UserUpdated {
            caller_id,
            target_id,
            fields: fields.to_vec(),
        });
    }
    if deactivated {
        events.push(AuditEvent::UserDeactivated {
            caller_id,
            target_id,
        });
    }
    events
}

pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
    update: UserUpdate,
    client: &ClientInfo,
) -> AppResult<UserRow> {
    let own_profile = is_self(caller, id) && !update.contains_is_active();
    let guarded = update.contains_is_active() && !is_self(caller, id);
    let (held, lock) = match (own_profile, guarded) {
        (true, _) => (None, None),
        (false, false) => (
            Some(access::require_any(state, caller, &["users:update"]).await?),
            None,
        ),
        (false, true) => {
            let (held, lock) = access::require_serialized(state, caller, &["users:update"]).await?;
            (Some(held), Some(lock))
        }
    };
    let current = existing(state, id).await?;
    if let (Some(held), true) = (&held, guarded) {
        access::guard_target(state, held, current.id).await?;
    }
    let deactivating = update.is_active == Some(false);
    let revoke = deactivating.then_some("user_deactivated");
    let patch = patch(&update);
    let fields = changed_fields(&current, &patch);
    let deactivated = deactivating && fields.contains(&"is_active");
    let events: Vec<_> = update_events(caller, current.id, &fields, deactivated)
        .iter()
        .map(|event| event.stamp(client))
        .collect();
    let mut updated = users::update_profile(&state.db, current.id, &patch, revoke, &events)
        .await?
        .ok_or_else(|| not_found(id))?;
    // A profile update never changes the address, so its verification stands.
    updated.email_verified = current.email_verified;
    if let Some(lock) = lock {
        lock.release().await;
    }
    if deactivating {
        state.metrics.session_revoked("user_deactivated");
    }
    audit::announce(state, &events);
    Ok(updated)
}

pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &UserIdParam,
    client: &ClientInfo,
) -> AppResult<i32> {
    let (held, lock) = if is_self(caller, id) {
        (None, None)
    } else {
        let (held, lock) = access::require_serialized(state, caller, &["users:delete"]).await?;
        (Some(held), Some(lock))
    };
    let current = existing(state, id).await?;
    if let Some(held) = &held {
        access::guard_target(state, held, current.id).await?;
    }
    let event = AuditEvent::UserDeleted {
        caller_id: caller.user.id,
        target_id: current.id,
    };
    let events = [event.stamp(client)];
    if !users::soft_delete(&state.db, current.id, &events).await? {
        return Err(not_found(id));
    }
    if let Some(lock) = lock {
        lock.release().await;
    }
    state.metrics.session_revoked("user_deleted");
    audit::announce(state, &events);
    Ok(current.id)
}
