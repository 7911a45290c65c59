//! SQL for `auth.sessions`: creation, the per-request user+session check, rotation, revocation.

use sqlx::FromRow;
use uuid::Uuid;

use crate::store::audit_events::{self, NewAuditEvent};
use crate::store::pg_reads::column;
use crate::store::types::{DbUuid, Ts};
use crate::store::users::UserRow;
use crate::store::{Db, DbError, Tx};
use crate::{with_pool, with_tx};

pub struct NewSession<'a> {
    pub id: Uuid,
    pub user_id: i32,
    pub refresh_jti: Uuid,
    pub expires_at: Ts,
    pub ip_address: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The user joined with the session named by the token, in one indexed query: the user must be live and the session unrevoked and unexpired.
#[derive(Debug, FromRow)]
pub struct AuthRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub session_user_id: Option<i32>,
    pub refresh_jti: Option<DbUuid>,
    pub expires_at: Option<Ts>,
    pub revoked_at: Option<Ts>,
}

impl AuthRow {
    /// The row of [`AUTH_LOOKUP`]: the user's columns, then the session's.
    fn from_pg(row: &tokio_postgres::Row) -> Result<Self, DbError> {
        Ok(Self {
            user: UserRow::from_pg(row)?,
            session_user_id: column(row, 13, "session_user_id")?,
            refresh_jti: column::<Option<Uuid>>(row, 14, "refresh_jti")?.map(DbUuid),
            expires_at: column::<Option<_>>(row, 15, "expires_at")?.map(Ts),
            revoked_at: column::<Option<_>>(row, 16, "revoked_at")?.map(Ts),
        })
    }

    /// Live = not revoked, not expired, owned by the token's user.
    pub fn session_live(&self, now: Ts) -> bool {
        self.session_user_id == Some(self.user.id)
            && self.revoked_at.is_none()
            && self.expires_at.is_some_and(|exp| exp > now)
    }
}

const INSERT: &str = "INSERT INTO auth.sessions (id, user_id, refresh_jti, created_at, refreshed_at, expires_at, \
    revoked_at, revoked_reason, ip_address, user_agent) VALUES ($1, $2, $3, $4, NULL, $5, NULL, NULL, $6, $7)";
/// The user's columns come from the same `SELECT` as every other user read; the planner
/// flattens the subquery, so this stays one primary-key lookup joined to one.
const AUTH_LOOKUP: &str = concat!(
    "SELECT u.*, s.user_id AS session_user_id, s.refresh_jti, s.expires_at, s.revoked_at FROM (",
    crate::store::users::select_user!(),
    " WHERE id = $1) u LEFT JOIN auth.sessions s ON s.id = $2"
);
const ROTATE: &str = "UPDATE auth.sessions SET refresh_jti = $3, refreshed_at = $4, expires_at = $5 \
    WHERE id = $1 AND refresh_jti = $2 AND revoked_at IS NULL AND expires_at > $4";
const REVOKE: &str = "UPDATE auth.sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL";
const PURGE: &str = "DELETE FROM auth.sessions WHERE expires_at < $1";

/// Create a session and store its audit events in the same transaction.
pub async fn create(
    db: &Db,
    session: &NewSession<'_>,
    events: &[NewAuditEvent],
) -> Result<(), DbError> {
    let sql = db.sql(INSERT);
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(sql)
            .bind(DbUuid(session.id))
            .bind(session.user_id)
            .bind(DbUuid(session.refresh_jti))
            .bind(Ts::now())
            .bind(session.expires_at)
            .bind(session.ip_address)
            .bind(session.user_agent)
            .execute(&mut *tx)
            .await?;
        audit_events::insert_all(db, &mut *tx, events).await?;
        tx.commit().await?;
    });
    Ok(())
}

pub async fn auth_lookup(
    db: &Db,
    user_id: i32,
    session_id: Uuid,
) -> Result<Option<AuthRow>, DbError> {
    if let Some(reads) = db.reads() {
        let row = reads
            .query_opt(AUTH_LOOKUP, &[&user_id, &session_id])
            .await?;
        return row.as_ref().map(AuthRow::from_pg).transpose();
    }
    let sql = db.sql(AUTH_LOOKUP);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .bind(DbUuid(session_id))
        .fetch_optional(pool)
        .await?))
}

/// The atomic refresh-token swap: true only for the one caller that still held the current jti.
pub async fn rotate(
    db: &Db,
    session_id: Uuid,
    old_jti: Uuid,
    new_jti: Uuid,
    new_expiry: Ts,
) -> Result<bool, DbError> {
    let sql = db.sql(ROTATE);
    let changed = with_pool!(db, |pool| sqlx::query(sql)
        .bind(DbUuid(session_id))
        .bind(DbUuid(old_jti))
        .bind(DbUuid(new_jti))
        .bind(Ts::now())
        .bind(new_expiry)
        .execute(pool)
        .await?
        .rows_affected());
    Ok(changed == 1)
}

/// Revoke one session and, when it was still live, store its audit events in the same
/// transaction; false when it was already revoked (nothing stored).
pub async fn revoke(
    db: &Db,
    session_id: Uuid,
    reason: &str,
    events: &[NewAuditEvent],
) -> Result<bool, DbError> {
    let sql = db.sql(REVOKE);
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query(sql)
            .bind(DbUuid(session_id))
            .bind(Ts::now())
            .bind(reason)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if changed {
            audit_events::insert_all(db, &mut *tx, events).await?;
        }
        tx.commit().await?;
        Ok(changed)
    })
}

/// Delete sessions that expired before `cutoff` (housekeeping).
pub async fn purge_expired_before(db: &Db, cutoff: Ts) -> Result<u64, DbError> {
    let sql = db.sql(PURGE);
    Ok(with_pool!(db, |pool| sqlx::query(sql)
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected()))
}

/// A live session as the session routes show it.
#[derive(Debug, FromRow)]
pub struct SessionRow {
    pub id: DbUuid,
    pub created_at: Ts,
    pub refreshed_at: Option<Ts>,
    pub expires_at: Ts,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Sessions listed at most per user.
pub const LIST_LIMIT: i64 = 100;

const LIST_LIVE: &str = "SELECT id, created_at, refreshed_at, expires_at, ip_address, user_agent \
    FROM auth.sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
    ORDER BY created_at DESC, id LIMIT $3";
const REVOKE_OWNED: &str = "UPDATE auth.sessions SET revoked_at = $3, revoked_reason = $4 \
    WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3";
const REVOKE_OTHERS: &str = "UPDATE auth.sessions SET revoked_at = $3, revoked_reason = $4 \
    WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > $3";
const REVOKE_ALL_LIVE: &str = "UPDATE auth.sessions SET revoked_at = $2, revoked_reason = $3 \
    WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2";

/// The user's live sessions, newest first, at most [`LIST_LIMIT`].
pub async fn list_live(db: &Db, user_id: i32) -> Result<Vec<SessionRow>, DbError> {
    let sql = db.sql(LIST_LIVE);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .bind(Ts::now())
        .bind(LIST_LIMIT)
        .fetch_all(pool)
        .await?))
}

/// Revoke one live session of the user; false when it is not theirs or not live.
pub async fn revoke_owned(
    tx: &mut Tx,
    user_id: i32,
    session_id: Uuid,
    reason: &str,
) -> Result<bool, DbError> {
    let sql = tx.sql(REVOKE_OWNED);
    let changed = with_tx!(tx, |conn| sqlx::query(sql)
        .bind(DbUuid(session_id))
        .bind(user_id)
        .bind(Ts::now())
        .bind(reason)
        .execute(conn)
        .await?
        .rows_affected());
    Ok(changed == 1)
}

/// Revoke every live session of the user except `keep`; the number revoked.
pub async fn revoke_others(
    tx: &mut Tx,
    user_id: i32,
    keep: Uuid,
    reason: &str,
) -> Result<u64, DbError> {
    let sql = tx.sql(REVOKE_OTHERS);
    Ok(with_tx!(tx, |conn| sqlx::query(sql)
        .bind(user_id)
        .bind(DbUuid(keep))
        .bind(Ts::now())
        .bind(reason)
        .execute(conn)
        .await?
        .rows_affected()))
}

/// Revoke every live session of the user; the number revoked.
pub async fn revoke_all_live(tx: &mut Tx, user_id: i32, reason: &str) -> Result<u64, DbError> {
    let sql = tx.sql(REVOKE_ALL_LIVE);
    Ok(with_tx!(tx, |conn| sqlx::query(sql)
        .bind(user_id)
        .bind(Ts::now())
        .bind(reason)
        .execute(conn)
        .await?
        .rows_affected()))
}
