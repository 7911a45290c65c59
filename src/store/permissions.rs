//! SQL for `rbac.permissions` and users' direct grants (`rbac.user_permissions`).

use sqlx::FromRow;

use crate::store::audit_events::{self, NewAuditEvent};
use crate::store::types::Ts;
use crate::store::{Db, DbError};
use crate::with_pool;

#[derive(Debug, Clone, FromRow)]
pub struct PermissionRow {
    pub id: i32,
    pub name: String,
    pub resource: String,
    pub action: String,
    pub description: Option<String>,
    pub is_deleted: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// A direct grant with its audit columns.
#[derive(Debug, Clone, FromRow)]
pub struct DirectGrantRow {
    pub permission: String,
    pub granted_by: Option<i32>,
    pub reason: Option<String>,
}

const LIVE_BY_NAME: &str = "SELECT id, name, resource, action, description, is_deleted, created_at, \
    updated_at FROM rbac.permissions WHERE name = $1 AND is_deleted = false";
const COUNT_LIVE: &str =
    "SELECT count(*) FROM rbac.permissions WHERE is_deleted = false AND ($1 = '' OR resource = $1)";
const PAGE_LIVE: &str = "SELECT id, name, resource, action, description, is_deleted, created_at, \
    updated_at FROM rbac.permissions WHERE is_deleted = false AND ($1 = '' OR resource = $1) \
    ORDER BY resource COLLATE \"C\", action COLLATE \"C\", name COLLATE \"C\" LIMIT $2 OFFSET $3";
const DIRECT_NAMES: &str = "SELECT p.name FROM rbac.user_permissions up \
    JOIN rbac.permissions p ON p.id = up.permission_id WHERE up.user_id = $1 AND p.is_deleted = false";
const DIRECT_GRANTS: &str = "SELECT p.name AS permission, up.granted_by, up.reason \
    FROM rbac.user_permissions up JOIN rbac.permissions p ON p.id = up.permission_id \
    WHERE up.user_id = $1 ORDER BY p.name COLLATE \"C\"";
const GRANT: &str = "INSERT INTO rbac.user_permissions (user_id, permission_id, granted_at, granted_by, \
    reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const REVOKE: &str = "DELETE FROM rbac.user_permissions WHERE user_id = $1 AND permission_id = $2";

/// A live permission by exact name.
pub async fn live_by_name(db: &Db, name: &str) -> Result<Option<PermissionRow>, DbError> {
    let sql = db.sql(LIVE_BY_NAME);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(name)
        .fetch_optional(pool)
        .await?))
}

/// Live permissions, optionally of one resource (`""` = all): the total and one page ordered
/// by resource, then action (byte order).
pub async fn page(
    db: &Db,
    resource: &str,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<PermissionRow>), DbError> {
    let (count, page) = (db.sql(COUNT_LIVE), db.sql(PAGE_LIVE));
    use sqlx::Acquire as _;
    with_pool!(db, |pool| {
        #[allow(unused_mut)] // the PostgreSQL lease needs none, the SQLite pool connection does
        let mut conn = pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(count)
            .bind(resource)
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<PermissionRow> = sqlx::query_as(page)
            .bind(resource)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await?;
        Ok((total, rows))
    })
}

/// A user's undeleted direct permission names, sorted.
pub async fn direct_names(db: &Db, user_id: i32) -> Result<Vec<String>, DbError> {
    let sql = db.sql(DIRECT_NAMES);
    let mut names: Vec<String> = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_all(pool)
        .await?);
    names.sort();
    Ok(names)
}

/// Every direct grant of a user with `granted_by` and `reason` (audit view).
pub async fn direct_grants(db: &Db, user_id: i32) -> Result<Vec<DirectGrantRow>, DbError> {
    let sql = db.sql(DIRECT_GRANTS);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .fetch_all(pool)
        .await?))
}

/// Who grants a direct permission, and why.
pub struct Grant<'a> {
    pub user_id: i32,
    pub permission_id: i32,
    pub granted_by: i32,
    pub reason: Option<&'a str>,
}

/// Grant a direct permission and store the audit events in the same transaction; false when
/// the user already had it (nothing stored).
pub async fn grant(db: &Db, grant: &Grant<'_>, events: &[NewAuditEvent]) -> Result<bool, DbError> {
    let sql = db.sql(GRANT);
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let inserted = sqlx::query(sql)
            .bind(grant.user_id)
            .bind(grant.permission_id)
            .bind(Ts::now())
            .bind(grant.granted_by)
            .bind(grant.reason)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if inserted {
            audit_events::insert_all(db, &mut *tx, events).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    })
}

/// Remove a direct permission and store the audit events in the same transaction; false when
/// the user did not have it (nothing stored).
pub async fn revoke(
    db: &Db,
    user_id: i32,
    permission_id: i32,
    events: &[NewAuditEvent],
) -> Result<bool, DbError> {
    audit_events::delete_pair(db, REVOKE, user_id, permission_id, events).await
}
