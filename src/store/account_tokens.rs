//! SQL for `auth.account_tokens`: single-use password-reset and e-mail verification tokens,
//! stored only as the SHA-256 of the token string.

use sqlx::FromRow;
use uuid::Uuid;

use crate::store::audit_events::{self, NewAuditEvent};
use crate::store::types::{DbUuid, Ts};
use crate::store::{Db, DbError, Tx};
use crate::{with_pool, with_tx};

/// What a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerify,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerify => "email_verify",
        }
    }
}

pub struct NewToken<'a> {
    pub user_id: i32,
    pub purpose: Purpose,
    pub token_hash: &'a str,
    pub email: &'a str,
    pub expires_at: Ts,
    pub ip_address: Option<&'a str>,
}

/// A stored token joined with the current state of its user.
#[derive(Debug, FromRow)]
pub struct TokenRow {
    pub id: DbUuid,
    pub user_id: i32,
    pub purpose: String,
    pub email: String,
    pub expires_at: Ts,
    pub used_at: Option<Ts>,
    pub user_email: Option<String>,
    pub user_is_active: Option<bool>,
    pub user_is_deleted: Option<bool>,
}

const SUPERSEDE: &str = "UPDATE auth.account_tokens SET used_at = $3 \
    WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL";
const INSERT: &str = "INSERT INTO auth.account_tokens (id, user_id, purpose, token_hash, email, created_at, \
    expires_at, used_at, ip_address) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)";
const LAST_ISSUED: &str = "SELECT created_at FROM auth.account_tokens \
    WHERE user_id = $1 AND purpose = $2 ORDER BY created_at DESC LIMIT 1";
/// Serializes the token issues of one user (PostgreSQL; SQLite has one writer at a time and
/// drops the clause).
const LOCK_USER: &str = "SELECT id FROM users.users WHERE id = $1 FOR UPDATE";
const FIND_BY_HASH: &str = "SELECT t.id, t.user_id, t.purpose, t.email, t.expires_at, t.used_at, \
    u.email AS user_email, u.is_active AS user_is_active, u.is_deleted AS user_is_deleted \
    FROM auth.account_tokens t LEFT JOIN users.users u ON u.id = t.user_id WHERE t.token_hash = $1";
const CONSUME: &str =
    "UPDATE auth.account_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
const PURGE: &str = "DELETE FROM auth.account_tokens WHERE expires_at < $1";

/// Supersede the user's live tokens of this purpose and store a new one with its audit events,
/// unless one was issued after `resend_cutoff`: then nothing is stored and the answer is
/// `false`. The check and the write are one step: the first statement is a write (SQLite's
/// write lock) and the user's row is locked (PostgreSQL) before the check, so concurrent
/// requests for one user issue one token.
pub async fn issue(
    db: &Db,
    token: &NewToken<'_>,
    resend_cutoff: Ts,
    events: &[NewAuditEvent],
) -> Result<bool, DbError> {
    let now = Ts::now();
    let (supersede, lock, last, insert) = (
        db.sql(SUPERSEDE),
        db.sql(LOCK_USER),
        db.sql(LAST_ISSUED),
        db.sql(INSERT),
    );
    Ok(with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(supersede)
            .bind(token.user_id)
            .bind(token.purpose.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(lock)
            .bind(token.user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let last_issued: Option<Ts> = sqlx::query_scalar(last)
            .bind(token.user_id)
            .bind(token.purpose.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if last_issued.is_some_and(|at| at > resend_cutoff) {
            // Dropping the transaction rolls the supersede back.
            false
        } else {
            sqlx::query(insert)
                .bind(DbUuid(Uuid::new_v4()))
                .bind(token.user_id)
                .bind(token.purpose.as_str())
                .bind(token.token_hash)
                .bind(token.email)
                .bind(now)
                .bind(token.expires_at)
                .bind(token.ip_address)
                .execute(&mut *tx)
                .await?;
            audit_events::insert_all(db, &mut *tx, events).await?;
            tx.commit().await?;
            true
        }
    }))
}

pub async fn find_by_hash(db: &Db, token_hash: &str) -> Result<Option<TokenRow>, DbError> {
    let sql = db.sql(FIND_BY_HASH);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(token_hash)
        .fetch_optional(pool)
        .await?))
}

/// Mark the token used; false when another request used it first (exactly one caller wins).
pub async fn consume(tx: &mut Tx, id: Uuid) -> Result<bool, DbError> {
    let sql = tx.sql(CONSUME);
    let changed = with_tx!(tx, |conn| sqlx::query(sql)
        .bind(DbUuid(id))
        .bind(Ts::now())
        .execute(conn)
        .await?
        .rows_affected());
    Ok(changed == 1)
}

/// Delete tokens that expired before `cutoff` (housekeeping).
pub async fn purge_expired_before(db: &Db, cutoff: Ts) -> Result<u64, DbError> {
    let sql = db.sql(PURGE);
    Ok(with_pool!(db, |pool| sqlx::query(sql)
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected()))
}
