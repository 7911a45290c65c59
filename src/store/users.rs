//! SQL for `users.users`.

use sqlx::FromRow;

use crate::store::audit_events::{self, NewAuditEvent};
use crate::store::pg_reads::column;
use crate::store::types::Ts;
use crate::store::{Db, DbError};
use crate::with_pool;

/// A row of `users.users` (the password hash stays inside the service layer).
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i32,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub is_active: Option<bool>,
    pub is_deleted: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// A verification row exists for the current address (absent from `RETURNING` lists, where
    /// the writer knows the value).
    #[sqlx(default)]
    pub email_verified: bool,
}

impl UserRow {
    /// The row read through the per-request read path (`store::pg_reads`): the columns of
    /// `user_fields!`, in its order, from the first.
    pub(crate) fn from_pg(row: &tokio_postgres::Row) -> Result<Self, DbError> {
        Ok(Self {
            id: column(row, 0, "id")?,
            username: column(row, 1, "username")?,
            email: column(row, 2, "email")?,
            password_hash: column(row, 3, "password_hash")?,
            first_name: column(row, 4, "first_name")?,
            middle_name: column(row, 5, "middle_name")?,
            last_name: column(row, 6, "last_name")?,
            bio: column(row, 7, "bio")?,
            is_active: column(row, 8, "is_active")?,
            is_deleted: column(row, 9, "is_deleted")?,
            created_at: Ts(column(row, 10, "created_at")?),
            updated_at: Ts(column(row, 11, "updated_at")?),
            email_verified: column(row, 12, "email_verified")?,
        })
    }

    /// NULL in adopted data reads as inactive, as the original treated it.
    pub fn active(&self) -> bool {
        self.is_active.unwrap_or(false)
    }
}

/// Values of a new account, already validated and hashed.
pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub middle_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub bio: Option<&'a str>,
}

/// The profile columns a `PUT` names; `None` = absent from the body (the column keeps whatever
/// value it has when the write happens), `Some(None)` = cleared.
#[derive(Debug, Default)]
pub struct UserPatch {
    pub first_name: Option<String>,
    pub middle_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub is_active: Option<bool>,
}

/// The columns of [`UserRow`] as stored, for `SELECT` and `RETURNING` lists (a macro so the
/// statements below stay `&'static str` literals).
macro_rules! user_columns {
    () => {
        "id, username, email, password_hash, first_name, middle_name, last_name, bio, \
         is_active, is_deleted, created_at, updated_at"
    };
}

/// Every field of [`UserRow`], `email_verified` included, as a select list over `users.users`.
macro_rules! user_fields {
    () => {
        concat!(
            $crate::store::users::user_columns!(),
            ", EXISTS (SELECT 1 FROM auth.email_verifications v WHERE v.user_id = users.users.id \
             AND lower(v.email) = lower(users.users.email)) AS email_verified"
        )
    };
}

/// A [`UserRow`] read; statements add their `WHERE`/`ORDER BY`. [`super::sessions`] joins the
/// session onto it.
macro_rules! select_user {
    () => {
        concat!(
            "SELECT ",
            $crate::store::users::user_fields!(),
            " FROM users.users"
        )
    };
}
pub(crate) use {select_user, user_columns, user_fields};

const SELECT_LIVE_BY_ID: &str = concat!(select_user!(), " WHERE id = $1 AND is_deleted = false");
const SELECT_FOR_LOGIN: &str = concat!(
    select_user!(),
    " WHERE lower(email) = lower($1) AND is_deleted = false \
     ORDER BY CASE WHEN email = $1 THEN 0 ELSE 1 END, id LIMIT 1"
);
const SELECT_LIVE_BY_USERNAME: &str = concat!(
    select_user!(),
    " WHERE username = $1 AND is_deleted = false ORDER BY id LIMIT 1"
);
const USERNAME_TAKEN: &str = "SELECT count(*) FROM users.users WHERE lower(username) = lower($1)";
const EMAIL_TAKEN: &str = "SELECT count(*) FROM users.users WHERE lower(email) = lower($1)";
const INSERT: &str = concat!(
    "INSERT INTO users.users (username, email, password_hash, first_name, middle_name, \
     last_name, bio, is_active, created_at, updated_at, is_deleted) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $8, false) RETURNING ",
    user_columns!()
);
const COUNT_ANY: &str = "SELECT count(*) FROM users.users";
const COUNT_LIVE: &str = "SELECT count(*) FROM users.users WHERE is_deleted = false";
/// perf: the page and its exact total in one round trip. The total is an uncorrelated scalar
/// subquery, evaluated once per statement (not per row, and unlike `count(*) OVER ()` without
/// materialising every matching row). Gain: docs/performance.md.
const PAGE_ALL: &str = concat!(
    "SELECT ",
    user_fields!(),
    ", (SELECT count(*) FROM users.users) AS total FROM users.users ORDER BY id LIMIT $1 OFFSET $2"
);
const PAGE_LIVE: &str = concat!(
    "SELECT ",
    user_fields!(),
    ", (SELECT count(*) FROM users.users WHERE is_deleted = false) AS total \
     FROM users.users WHERE is_deleted = false ORDER BY id LIMIT $1 OFFSET $2"
);
/// One statement, so a field the body does not name is never read and written back: a profile
/// edit racing an administrator's deactivation cannot re-activate the account. `$2n` says
/// whether field n is present, `$2n+1` is its value; `updated_at` moves only when a present
/// field differs from the stored value (compared inside the same statement).
const UPDATE_PROFILE: &str = concat!(
    "UPDATE users.users SET \
    first_name = CASE WHEN $2 THEN $3 ELSE first_name END, \
    middle_name = CASE WHEN $4 THEN $5 ELSE middle_name END, \
    last_name = CASE WHEN $6 THEN $7 ELSE last_name END, \
    bio = CASE WHEN $8 THEN $9 ELSE bio END, \
    is_active = CASE WHEN $10 THEN $11 ELSE is_active END, \
    updated_at = CASE WHEN ($2 AND first_name IS DISTINCT FROM $3) \
        OR ($4 AND middle_name IS DISTINCT FROM $5) OR ($6 AND last_name IS DISTINCT FROM $7) \
        OR ($8 AND bio IS DISTINCT FROM $9) OR ($10 AND is_active IS DISTINCT FROM $11) \
        THEN $12 ELSE updated_at END \
    WHERE id = $1 AND is_deleted = false RETURNING ",
    user_columns!()
);
const SOFT_DELETE: &str = "UPDATE users.users SET is_deleted = true, updated_at = $2 WHERE id = $1 AND is_deleted = false";
const REHASH: &str =
    "UPDATE users.users SET password_hash = $3 WHERE id = $1 AND password_hash = $2";
const REVOKE_ALL_SESSIONS: &str = "UPDATE auth.sessions SET revoked_at = $2, revoked_reason = $3 \
    WHERE user_id = $1 AND revoked_at IS NULL";
const ASSIGN_ROLE_BY_NAME: &str = "INSERT INTO rbac.user_roles (user_id, role_id, assigned_at, assigned_by) \
    SELECT $1, id, $3, NULL FROM rbac.roles WHERE name = $2 AND is_deleted = false ON CONFLICT DO NOTHING";

pub async fn find_live_by_id(db: &Db, id: i32) -> Result<Option<UserRow>, DbError> {
    if let Some(reads) = db.reads() {
        let row = reads.query_opt(SELECT_LIVE_BY_ID, &[&id]).await?;
        return row.as_ref().map(UserRow::from_pg).transpose();
    }
    let sql = db.sql(SELECT_LIVE_BY_ID);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

pub async fn find_live_by_username(db: &Db, username: &str) -> Result<Option<UserRow>, DbError> {
    let sql = db.sql(SELECT_LIVE_BY_USERNAME);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(username)
        .fetch_optional(pool)
        .await?))
}

/// Login lookup: case-insensitive, the exact match preferred, then the lowest id.
pub async fn find_for_login(db: &Db, email: &str) -> Result<Option<UserRow>, DbError> {
    let sql = db.sql(SELECT_FOR_LOGIN);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(email)
        .fetch_optional(pool)
        .await?))
}

pub async fn username_taken(db: &Db, username: &str) -> Result<bool, DbError> {
    let sql = db.sql(USERNAME_TAKEN);
    let count: i64 = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(username)
        .fetch_one(pool)
        .await?);
    Ok(count > 0)
}

pub async fn email_taken(db: &Db, email: &str) -> Result<bool, DbError> {
    let sql = db.sql(EMAIL_TAKEN);
    let count: i64 = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(email)
        .fetch_one(pool)
        .await?);
    Ok(count > 0)
}

pub async fn any_user_exists(db: &Db) -> Result<bool, DbError> {
    let sql = db.sql(COUNT_ANY);
    let count: i64 = with_pool!(db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await?);
    Ok(count > 0)
}

/// What [`insert_with_roles`] stored.
pub struct InsertedUser {
    pub row: UserRow,
    /// Role names that matched no live role.
    pub skipped_roles: Vec<String>,
    pub events: Vec<NewAuditEvent>,
}

/// Insert the user, assign the named roles and store the audit events `audit` derives from the
/// new row, in one transaction.
pub async fn insert_with_roles(
    db: &Db,
    user: &NewUserRow<'_>,
    roles: &[String],
    audit: impl FnOnce(&UserRow) -> Vec<NewAuditEvent>,
) -> Result<InsertedUser, DbError> {
    let now = Ts::now();
    let (insert, assign) = (db.sql(INSERT), db.sql(ASSIGN_ROLE_BY_NAME));
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let row: UserRow = sqlx::query_as(insert)
            .bind(user.username)
            .bind(user.email)
            .bind(user.password_hash)
            .bind(user.first_name)
            .bind(user.middle_name)
            .bind(user.last_name)
            .bind(user.bio)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let mut skipped = Vec::new();
        for role in roles {
            let assigned = sqlx::query(assign)
                .bind(row.id)
                .bind(role)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if assigned.rows_affected() == 0 {
                skipped.push(role.clone());
            }
        }
        let events = audit(&row);
        audit_events::insert_all(db, &mut *tx, &events).await?;
        tx.commit().await?;
        Ok(InsertedUser {
            row,
            skipped_roles: skipped,
            events,
        })
    })
}

pub async fn count(db: &Db, include_deleted: bool) -> Result<i64, DbError> {
    let sql = db.sql(if include_deleted {
        COUNT_ANY
    } else {
        COUNT_LIVE
    });
    Ok(with_pool!(db, |pool| sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await?))
}

/// A [`UserRow`] with the number of rows the page was cut from.
#[derive(FromRow)]
struct CountedUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    total: i64,
}

/// One page (by id) and the exact number of users it was cut from, in one statement; a page
/// past the end has no row to carry the total, so only then is it counted separately.
pub async fn page_with_total(
    db: &Db,
    include_deleted: bool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserRow>, i64), DbError> {
    let sql = db.sql(if include_deleted { PAGE_ALL } else { PAGE_LIVE });
    let rows: Vec<CountedUserRow> = with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?);
    let total = match rows.first() {
        Some(row) => row.total,
        None if offset == 0 && limit > 0 => 0,
        None => count(db, include_deleted).await?,
    };
    Ok((rows.into_iter().map(|row| row.user).collect(), total))
}

/// Write the fields present in `patch`; when `revoke_reason` is given, revoke all live sessions
/// in the same transaction, and store the audit events there too. `None` when the user is gone
/// (deleted meanwhile; nothing stored).
pub async fn update_profile(
    db: &Db,
    id: i32,
    patch: &UserPatch,
    revoke_reason: Option<&str>,
    events: &[NewAuditEvent],
) -> Result<Option<UserRow>, DbError> {
    let now = Ts::now();
    let (update, revoke) = (db.sql(UPDATE_PROFILE), db.sql(REVOKE_ALL_SESSIONS));
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let row: Option<UserRow> = sqlx::query_as(update)
            .bind(id)
            .bind(patch.first_name.is_some())
            .bind(patch.first_name.as_deref())
            .bind(patch.middle_name.is_some())
            .bind(patch.middle_name.clone().flatten())
            .bind(patch.last_name.is_some())
            .bind(patch.last_name.clone().flatten())
            .bind(patch.bio.is_some())
            .bind(patch.bio.clone().flatten())
            .bind(patch.is_active.is_some())
            .bind(patch.is_active)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        if let (Some(_), Some(reason)) = (&row, revoke_reason) {
            sqlx::query(revoke)
                .bind(id)
                .bind(now)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
        }
        if row.is_some() {
            audit_events::insert_all(db, &mut *tx, events).await?;
        }
        tx.commit().await?;
        // `email_verified` is not in `RETURNING`: the caller carries it over (the address
        // cannot change here).
        Ok(row)
    })
}

/// Soft delete, revoke every session and store the audit events, in one transaction; false
/// when the user was already gone (nothing stored).
pub async fn soft_delete(db: &Db, id: i32, events: &[NewAuditEvent]) -> Result<bool, DbError> {
    let now = Ts::now();
    let (delete, revoke) = (db.sql(SOFT_DELETE), db.sql(REVOKE_ALL_SESSIONS));
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let deleted = sqlx::query(delete)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if deleted {
            sqlx::query(revoke)
                .bind(id)
                .bind(now)
                .bind("user_deleted")
                .execute(&mut *tx)
                .await?;
            audit_events::insert_all(db, &mut *tx, events).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    })
}

/// Replace the hash only if nobody changed it meanwhile (a legacy hash upgraded on login); `updated_at` is untouched.
pub async fn replace_password_hash(
    db: &Db,
    id: i32,
    old_hash: &str,
    new_hash: &str,
) -> Result<bool, DbError> {
    let sql = db.sql(REHASH);
    let result = with_pool!(db, |pool| sqlx::query(sql)
        .bind(id)
        .bind(old_hash)
        .bind(new_hash)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(result > 0)
}

const SET_PASSWORD: &str = "UPDATE users.users SET password_hash = $2, updated_at = $3 \
    WHERE id = $1 AND is_deleted = false";

/// Store a new password hash and move `updated_at` (password change and reset).
pub async fn set_password(
    tx: &mut crate::store::Tx,
    id: i32,
    new_hash: &str,
) -> Result<bool, DbError> {
    let sql = tx.sql(SET_PASSWORD);
    let changed = crate::with_tx!(tx, |conn| sqlx::query(sql)
        .bind(id)
        .bind(new_hash)
        .bind(Ts::now())
        .execute(conn)
        .await?
        .rows_affected());
    Ok(changed == 1)
}
