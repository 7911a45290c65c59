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
const FIND_BY_HASH: &str = "SELECT t.id, t.user_id, t.purpose, t.email, t.expires_at, t.used_at, \
    u.email AS user_email, u.is_active AS user_is_active, u.is_deleted AS user_is_deleted \
    FROM auth.account_tokens t LEFT JOIN users.users u ON u.id = t.user_id WHERE t.token_hash = $1";
const CONSUME: &str =
    "UPDATE auth.account_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
const PURGE: &str = "DELETE FROM auth.account_tokens WHERE expires_at < $1";

/// Store a new token and mark the user's earlier unused ones of the same purpose as used, so
/// only the newest link works; the audit events go into the same transaction.
pub async fn issue(db: &Db, token: &NewToken<'_>, events: &[NewAuditEvent]) -> Result<(), DbError> {
    let now = Ts::now();
    let (supersede, insert) = (db.sql(SUPERSEDE), db.sql(INSERT));
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(supersede)
            .bind(token.user_id)
            .bind(token.purpose.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
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
    });
    Ok(())
}

/// When the user was last issued a token of this purpose.
pub async fn last_issued(db: &Db, user_id: i32, purpose: Purpose) -> Result<Option<Ts>, DbError> {
    let sql = db.sql(LAST_ISSUED);
    Ok(with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(user_id)
        .bind(purpose.as_str())
        .fetch_optional(pool)
        .await?))
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
