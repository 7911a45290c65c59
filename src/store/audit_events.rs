//! SQL for `auth.audit_events`: insert (inside the caller's transaction, or alone), the keyset
//! page of the admin route and of `warden audit tail`, and retention.
//!
//! Rows are never updated. `details` travels as JSON text: PostgreSQL casts it to JSONB, SQLite
//! stores the text as is.

use std::future::Future;

use sqlx::FromRow;

use crate::store::types::Ts;
use crate::store::{Db, DbError, Tx};
use crate::with_pool;

/// One event to insert, already stamped with its time and request facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub occurred_at: Ts,
    pub event: &'static str,
    pub actor_user_id: Option<i32>,
    pub subject_user_id: Option<i32>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// A JSON object, serialised.
    pub details: String,
}

/// A stored event.
#[derive(Debug, Clone, FromRow)]
pub struct AuditEventRow {
    pub id: i64,
    pub occurred_at: Ts,
    pub event: String,
    pub actor_user_id: Option<i32>,
    pub subject_user_id: Option<i32>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
}

/// The filters of one page; `None` = no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only ids below this one (the keyset cursor: newest first).
    pub before_id: Option<i64>,
    pub event: Option<String>,
    /// A prefix ending in `.` (`auth.`).
    pub event_prefix: Option<String>,
    /// Actor or subject.
    pub user_id: Option<i64>,
    pub since: Option<Ts>,
    pub until: Option<Ts>,
}

const INSERT: &str = "INSERT INTO auth.audit_events (occurred_at, event, actor_user_id, subject_user_id, \
    ip_address, user_agent, request_id, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)";
// One statement for every filter combination: a NULL parameter switches its filter off.
const PAGE: &str = "SELECT id, occurred_at, event, actor_user_id, subject_user_id, ip_address, \
    user_agent, request_id, details::text AS details FROM auth.audit_events \
    WHERE ($1 IS NULL OR id < $1) AND ($2 IS NULL OR event = $2) \
    AND ($3 IS NULL OR substr(event, 1, length($3)) = $3) \
    AND ($4 IS NULL OR actor_user_id = $4 OR subject_user_id = $4) \
    AND ($5 IS NULL OR occurred_at >= $5) AND ($6 IS NULL OR occurred_at < $6) \
    ORDER BY id DESC LIMIT $7";
const PURGE: &str = "DELETE FROM auth.audit_events WHERE occurred_at < $1";

/// A connection or transaction of either backend that can take audit rows.
///
/// Lets a store function that owns a transaction write the change and its events on the same
/// connection: `audit_events::insert_all(db, &mut *tx, events).await?`.
pub trait AuditSink {
    fn insert_rows(
        &mut self,
        sql: &'static str,
        events: &[NewAuditEvent],
    ) -> impl Future<Output = Result<(), DbError>> + Send;
}

macro_rules! audit_sink_for {
    ($conn:ty) => {
        impl AuditSink for $conn {
            async fn insert_rows(
                &mut self,
                sql: &'static str,
                events: &[NewAuditEvent],
            ) -> Result<(), DbError> {
                for event in events {
                    sqlx::query(sql)
                        .bind(event.occurred_at)
                        .bind(event.event)
                        .bind(event.actor_user_id)
                        .bind(event.subject_user_id)
                        .bind(event.ip_address.as_deref())
                        .bind(event.user_agent.as_deref())
                        .bind(event.request_id.as_deref())
                        .bind(event.details.as_str())
                        .execute(&mut *self)
                        .await?;
                }
                Ok(())
            }
        }
    };
}
audit_sink_for!(sqlx::PgConnection);
audit_sink_for!(sqlx::SqliteConnection);

/// Insert the events on the caller's connection (normally its open transaction).
pub async fn insert_all<C: AuditSink + ?Sized>(
    db: &Db,
    conn: &mut C,
    events: &[NewAuditEvent],
) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    conn.insert_rows(db.sql(INSERT), events).await
}

/// Run a `DELETE … WHERE <first> = $1 AND <second> = $2` and, when it removed a row, store the
/// events in the same transaction; false when there was nothing to remove (nothing stored).
pub async fn delete_pair(
    db: &Db,
    sql: &'static str,
    first: i32,
    second: i32,
    events: &[NewAuditEvent],
) -> Result<bool, DbError> {
    let sql = db.sql(sql);
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let removed = sqlx::query(sql)
            .bind(first)
            .bind(second)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if removed {
            insert_all(db, &mut *tx, events).await?;
        }
        tx.commit().await?;
        Ok(removed)
    })
}

/// Insert the events inside a transaction shared by store functions of several aggregates
/// (the account services' [`Tx`]).
pub async fn insert_in(tx: &mut Tx, events: &[NewAuditEvent]) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = tx.sql(INSERT);
    crate::with_tx!(tx, |conn| conn.insert_rows(sql, events).await)
}

/// Insert one event that describes no stored change (a failed login, a throttle).
pub async fn insert_alone(db: &Db, event: &NewAuditEvent) -> Result<(), DbError> {
    use sqlx::Acquire as _;
    with_pool!(db, |pool| {
        #[allow(unused_mut)] // the PostgreSQL lease needs none, the SQLite pool connection does
        let mut conn = pool.acquire().await?;
        insert_all(db, &mut *conn, std::slice::from_ref(event)).await
    })
}

/// Newest first, at most `limit` rows.
pub async fn page(
    db: &Db,
    filter: &EventFilter,
    limit: i64,
) -> Result<Vec<AuditEventRow>, DbError> {
    let sql = db.sql(PAGE);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(filter.before_id)
        .bind(filter.event.as_deref())
        .bind(filter.event_prefix.as_deref())
        .bind(filter.user_id)
        .bind(filter.since)
        .bind(filter.until)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// Delete events older than `cutoff` (retention housekeeping).
pub async fn purge_before(db: &Db, cutoff: Ts) -> Result<u64, DbError> {
    let sql = db.sql(PURGE);
    Ok(with_pool!(db, |pool| sqlx::query(sql)
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected()))
}
