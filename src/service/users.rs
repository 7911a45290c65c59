//! Accounts: creating them (registration and the command line), listing, reading, updating and
//! soft-deleting them. A user may read and edit their own profile without a permission; acting
//! on another account's state also needs every permission that account holds (the target guard).

use crate::domain::{NewUser, UserIdParam, UserListQuery, UserUpdate};
use crate::error::{AppError, AppResult};
use crate::service::access;
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::service::hashing;
use crate::service::{Context, Listing};
use crate::store::email_verifications;
use crate::store::users::{self, NewUserRow, UserPatch, UserRow};

fn not_found(id: &UserIdParam) -> AppError {
    AppError::ResourceNotFound(format!("User with id={} not found", id.digits()))
}

pub(crate) fn is_self(caller: &Caller, id: &UserIdParam) -> bool {
    matches!(id, UserIdParam::Id(n) if *n == caller.user.id)
}

/// The live user behind a path id, or 404.
pub async fn existing(ctx: &Context, id: &UserIdParam) -> AppResult<UserRow> {
    let UserIdParam::Id(n) = id else {
        return Err(not_found(id));
    };
    users::find_live_by_id(&ctx.db, *n)
        .await?
        .ok_or_else(|| not_found(id))
}

pub async fn list(
    ctx: &Context,
    caller: &Caller,
    query: &UserListQuery,
) -> AppResult<Listing<UserRow>> {
    access::require_any(ctx, caller, &["users:list"]).await?;
    let (rows, total) = users::page_with_total(
        &ctx.db,
        query.include_deleted,
        query.page.limit(),
        query.page.offset(),
    )
    .await?;
    Ok(Listing::new(rows, total))
}

pub async fn get(ctx: &Context, caller: &Caller, id: &UserIdParam) -> AppResult<UserRow> {
    if is_self(caller, id) {
        // perf: the authentication query of this request has just read this row (live, not
        // deleted); reading it again is a second round trip for the same data.
        return Ok(caller.user.clone());
    }
    access::require_any(ctx, caller, &["users:read"]).await?;
    existing(ctx, id).await
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
    ctx: &Context,
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
            Some(access::require_any(ctx, caller, &["users:update"]).await?),
            None,
        ),
        (false, true) => {
            let (held, lock) = access::require_serialized(ctx, caller, &["users:update"]).await?;
            (Some(held), Some(lock))
        }
    };
    let current = existing(ctx, id).await?;
    if let (Some(held), true) = (&held, guarded) {
        access::guard_target(ctx, held, current.id).await?;
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
    let mut updated = users::update_profile(&ctx.db, current.id, &patch, revoke, &events)
        .await?
        .ok_or_else(|| not_found(id))?;
    // A profile update never changes the address, so its verification stands.
    updated.email_verified = current.email_verified;
    if let Some(lock) = lock {
        lock.release().await;
    }
    if deactivating {
        ctx.metrics.session_revoked("user_deactivated");
    }
    audit::announce(ctx, &events);
    Ok(updated)
}

pub async fn delete(
    ctx: &Context,
    caller: &Caller,
    id: &UserIdParam,
    client: &ClientInfo,
) -> AppResult<i32> {
    let (held, lock) = if is_self(caller, id) {
        (None, None)
    } else {
        let (held, lock) = access::require_serialized(ctx, caller, &["users:delete"]).await?;
        (Some(held), Some(lock))
    };
    let current = existing(ctx, id).await?;
    if let Some(held) = &held {
        access::guard_target(ctx, held, current.id).await?;
    }
    let event = AuditEvent::UserDeleted {
        caller_id: caller.user.id,
        target_id: current.id,
    };
    let events = [event.stamp(client)];
    if !users::soft_delete(&ctx.db, current.id, &events).await? {
        return Err(not_found(id));
    }
    if let Some(lock) = lock {
        lock.release().await;
    }
    ctx.metrics.session_revoked("user_deleted");
    audit::announce(ctx, &events);
    Ok(current.id)
}

/// What a new account gets besides its row.
pub struct Enrolment<'a> {
    /// Roles to assign; a missing or deleted one is skipped with a warning.
    pub roles: &'a [String],
    /// The request that registered the account: `user.registered` is recorded with it. `None`
    /// from the command line, whose operator's shell is not a request (the command prints what
    /// it did instead).
    pub client: Option<&'a ClientInfo>,
    /// The operator typed the address, so it counts as verified.
    pub email_verified: bool,
}

fn username_exists() -> AppError {
    AppError::AlreadyExists("Username already exists".into())
}

fn email_exists() -> AppError {
    AppError::AlreadyExists("Email already exists".into())
}

/// A new account (registration, `create-admin`, `seed`): uniqueness checks, the hash, then one
/// transaction for the user, its roles and its audit event. A concurrent registration that wins
/// the race after the checks is reported like a failed check.
pub async fn create(
    ctx: &Context,
    new_user: &NewUser,
    enrolment: Enrolment<'_>,
) -> AppResult<UserRow> {
    if users::username_taken(&ctx.db, new_user.username.as_str()).await? {
        return Err(username_exists());
    }
    if users::email_taken(&ctx.db, new_user.email.as_str()).await? {
        return Err(email_exists());
    }
    let password_hash = hashing::hash(ctx, new_user.password.as_str().to_string()).await?;
    let row = NewUserRow {
        username: new_user.username.as_str(),
        email: new_user.email.as_str(),
        password_hash: &password_hash,
        first_name: new_user.first_name.as_str(),
        middle_name: new_user.middle_name.as_ref().map(|n| n.as_str()),
        last_name: new_user.last_name.as_ref().map(|n| n.as_str()),
        bio: new_user.bio.as_ref().map(|b| b.as_str()),
    };
    let audit = |user: &UserRow| match enrolment.client {
        Some(client) => vec![AuditEvent::UserRegistered { user_id: user.id }.stamp(client)],
        None => Vec::new(),
    };
    let inserted = match users::insert_with_roles(&ctx.db, &row, enrolment.roles, audit).await {
        Ok(inserted) => inserted,
        Err(err) if err.is_unique_violation() => {
            let which = err.constraint().unwrap_or_default();
            return Err(if which.contains("username") {
                username_exists()
            } else {
                email_exists()
            });
        }
        Err(err) => return Err(err.into()),
    };
    let user = inserted.row;
    if !inserted.skipped_roles.is_empty() {
        tracing::warn!(user_id = user.id, skipped_roles = %inserted.skipped_roles.join(","), "default roles not found; skipped");
    }
    audit::announce(ctx, &inserted.events);
    if enrolment.email_verified {
        let mut tx = ctx.db.begin().await?;
        email_verifications::record(&mut tx, user.id, &user.email).await?;
        tx.commit().await?;
    }
    Ok(user)
}
