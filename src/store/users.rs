//! SQL for `users.users`.

use sqlx::FromRow;

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
    /// NULL in adopted data reads as inactive (§4.1).
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

/// The profile columns a `PUT` may change (already merged with the current values).
pub struct UserChanges {
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub is_active: Option<bool>,
}

pub const USER_COLUMNS: &str = "id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at";

const SELECT_LIVE_BY_ID: &str = "SELECT id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at, \
    EXISTS (SELECT 1 FROM auth.email_verifications v WHERE v.user_id = users.users.id AND lower(v.email) = lower(users.users.email)) AS email_verified FROM users.users WHERE id = $1 AND is_deleted = false";
const SELECT_FOR_LOGIN: &str = "SELECT id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at, \
    EXISTS (SELECT 1 FROM auth.email_verifications v WHERE v.user_id = users.users.id AND lower(v.email) = lower(users.users.email)) AS email_verified FROM users.users \
    WHERE lower(email) = lower($1) AND is_deleted = false ORDER BY CASE WHEN email = $1 THEN 0 ELSE 1 END, id LIMIT 1";
const SELECT_LIVE_BY_USERNAME: &str = "SELECT id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at, \
    EXISTS (SELECT 1 FROM auth.email_verifications v WHERE v.user_id = users.users.id AND lower(v.email) = lower(users.users.email)) AS email_verified FROM users.users WHERE username = $1 AND is_deleted = false \
    ORDER BY id LIMIT 1";
const USERNAME_TAKEN: &str = "SELECT count(*) FROM users.users WHERE lower(username) = lower($1)";
const EMAIL_TAKEN: &str = "SELECT count(*) FROM users.users WHERE lower(email) = lower($1)";
const INSERT: &str = "INSERT INTO users.users (username, email, password_hash, first_name, middle_name, last_name, \
    bio, is_active, created_at, updated_at, is_deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $8, false) \
    RETURNING id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at";
const COUNT_ANY: &str = "SELECT count(*) FROM users.users";
const COUNT_LIVE: &str = "SELECT count(*) FROM users.users WHERE is_deleted = false";
const PAGE_ALL: &str = "SELECT id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at, \
    EXISTS (SELECT 1 FROM auth.email_verifications v WHERE v.user_id = users.users.id AND lower(v.email) = lower(users.users.email)) AS email_verified FROM users.users ORDER BY id LIMIT $1 OFFSET $2";
const PAGE_LIVE: &str = "SELECT id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at, \
    EXISTS (SELECT 1 FROM auth.email_verifications v WHERE v.user_id = users.users.id AND lower(v.email) = lower(users.users.email)) AS email_verified FROM users.users WHERE is_deleted = false ORDER BY id LIMIT $1 OFFSET $2";
const UPDATE_PROFILE: &str = "UPDATE users.users SET first_name = $2, middle_name = $3, last_name = $4, bio = $5, \
    is_active = $6, updated_at = $7 WHERE id = $1 AND is_deleted = false \
    RETURNING id, username, email, password_hash, first_name, middle_name, last_name, bio, \
    is_active, is_deleted, created_at, updated_at";
const SOFT_DELETE: &str = "UPDATE users.users SET is_deleted = true, updated_at = $2 WHERE id = $1 AND is_deleted = false";
const REHASH: &str =
    "UPDATE users.users SET password_hash = $3 WHERE id = $1 AND password_hash = $2";
const REVOKE_ALL_SESSIONS: &str = "UPDATE auth.sessions SET revoked_at = $2, revoked_reason = $3 \
    WHERE user_id = $1 AND revoked_at IS NULL";
const ASSIGN_ROLE_BY_NAME: &str = "INSERT INTO rbac.user_roles (user_id, role_id, assigned_at, assigned_by) \
    SELECT $1, id, $3, NULL FROM rbac.roles WHERE name = $2 AND is_deleted = false ON CONFLICT DO NOTHING";

pub async fn find_live_by_id(db: &Db, id: i32) -> Result<Option<UserRow>, DbError> {
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

/// Login lookup: case-insensitive, the exact match preferred, then the lowest id (§5.4).
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

/// Insert the user and assign the named roles in one transaction. Returns the row and the
/// role names that matched no live role (skipped).
pub async fn insert_with_roles(
    db: &Db,
    user: &NewUserRow<'_>,
    roles: &[String],
) -> Result<(UserRow, Vec<String>), DbError> {
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
        tx.commit().await?;
        Ok((row, skipped))
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

pub async fn page(
    db: &Db,
    include_deleted: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<UserRow>, DbError> {
    let sql = db.sql(if include_deleted { PAGE_ALL } else { PAGE_LIVE });
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?))
}

/// Write the merged profile; when `revoke_reason` is given, revoke all live sessions in the
/// same transaction. `touch` decides whether `updated_at` moves.
pub async fn update_profile(
    db: &Db,
    current: &UserRow,
    changes: &UserChanges,
    touch: bool,
    revoke_reason: Option<&str>,
) -> Result<Option<UserRow>, DbError> {
    let now = Ts::now();
    let updated_at = if touch { now } else { current.updated_at };
    let (update, revoke) = (db.sql(UPDATE_PROFILE), db.sql(REVOKE_ALL_SESSIONS));
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let row: Option<UserRow> = sqlx::query_as(update)
            .bind(current.id)
            .bind(&changes.first_name)
            .bind(&changes.middle_name)
            .bind(&changes.last_name)
            .bind(&changes.bio)
            .bind(changes.is_active)
            .bind(updated_at)
            .fetch_optional(&mut *tx)
            .await?;
        if let (Some(_), Some(reason)) = (&row, revoke_reason) {
            sqlx::query(revoke)
                .bind(current.id)
                .bind(now)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        // The profile update cannot change the address, so its verification carries over.
        Ok(row.map(|row| UserRow {
            email_verified: current.email_verified,
            ..row
        }))
    })
}

/// Soft delete and revoke every session; false when the user was already gone.
pub async fn soft_delete(db: &Db, id: i32) -> Result<bool, DbError> {
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
        }
        tx.commit().await?;
        Ok(deleted)
    })
}

/// Replace the hash only if nobody changed it meanwhile (§2.7); `updated_at` is untouched.
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
