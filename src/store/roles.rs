//! SQL for `rbac.roles` and their own permissions (`rbac.role_permissions`).

use crate::store::audit_events::{self, NewAuditEvent};
use crate::store::rbac::RoleRow;
use crate::store::types::Ts;
use crate::store::{Db, DbError};
use crate::with_pool;

const LIVE_BY_NAME: &str = "SELECT r.id, r.name, r.display_name, r.description, r.is_system_role, \
    r.parent_role_id, parent.name AS parent_role_name, r.is_deleted, r.created_at, r.updated_at \
    FROM rbac.roles r LEFT JOIN rbac.roles parent ON parent.id = r.parent_role_id \
    WHERE r.name = $1 AND r.is_deleted = false";
const BY_ID: &str = "SELECT r.id, r.name, r.display_name, r.description, r.is_system_role, \
    r.parent_role_id, parent.name AS parent_role_name, r.is_deleted, r.created_at, r.updated_at \
    FROM rbac.roles r LEFT JOIN rbac.roles parent ON parent.id = r.parent_role_id WHERE r.id = $1";
const COUNT_LIVE: &str = "SELECT count(*) FROM rbac.roles r WHERE r.is_deleted = false AND ($1 OR r.is_system_role = false)";
const PAGE_LIVE: &str = "SELECT r.id, r.name, r.display_name, r.description, r.is_system_role, \
    r.parent_role_id, parent.name AS parent_role_name, r.is_deleted, r.created_at, r.updated_at \
    FROM rbac.roles r LEFT JOIN rbac.roles parent ON parent.id = r.parent_role_id \
    WHERE r.is_deleted = false AND ($1 OR r.is_system_role = false) \
    ORDER BY r.name COLLATE \"C\" LIMIT $2 OFFSET $3";
/// Own (undeleted) permission names of the roles on one page of [`PAGE_LIVE`].
const PAGE_PERMISSIONS: &str = "SELECT rp.role_id, p.name FROM rbac.role_permissions rp \
    JOIN rbac.permissions p ON p.id = rp.permission_id WHERE p.is_deleted = false AND rp.role_id IN \
    (SELECT r.id FROM rbac.roles r WHERE r.is_deleted = false AND ($1 OR r.is_system_role = false) \
     ORDER BY r.name COLLATE \"C\" LIMIT $2 OFFSET $3)";
const OWN_PERMISSIONS: &str = "SELECT p.name FROM rbac.role_permissions rp \
    JOIN rbac.permissions p ON p.id = rp.permission_id WHERE rp.role_id = $1 AND p.is_deleted = false";
/// Every permission id linked to a role (deleted permissions included), for set replacement.
const LINKED_PERMISSION_IDS: &str =
    "SELECT permission_id FROM rbac.role_permissions WHERE role_id = $1";
/// Permissions reached by walking up from role `$1` through its parents: the walk stops at a deleted role, at
/// role `$2` (the role whose ancestors are wanted; 0 for none) and at visited roles (UNION).
const CHAIN_PERMISSIONS: &str = "WITH RECURSIVE chain(role_id) AS ( \
        SELECT r.id FROM rbac.roles r WHERE r.id = $1 AND r.id <> $2 AND r.is_deleted = false \
      UNION \
        SELECT p.id FROM chain c JOIN rbac.roles r ON r.id = c.role_id \
        JOIN rbac.roles p ON p.id = r.parent_role_id WHERE p.is_deleted = false AND p.id <> $2 \
    ) \
    SELECT DISTINCT p.name FROM chain c JOIN rbac.role_permissions rp ON rp.role_id = c.role_id \
      JOIN rbac.permissions p ON p.id = rp.permission_id WHERE p.is_deleted = false";
/// Whether role `$2` is role `$1` or one of its descendants, over all roles (deleted included).
const IS_SELF_OR_DESCENDANT: &str = "WITH RECURSIVE below(id) AS ( \
        SELECT r.id FROM rbac.roles r WHERE r.id = $1 \
      UNION \
        SELECT r.id FROM rbac.roles r JOIN below b ON r.parent_role_id = b.id \
    ) SELECT count(*) FROM below WHERE id = $2";
const INSERT: &str = "INSERT INTO rbac.roles (name, display_name, description, is_system_role, \
    parent_role_id, created_at, updated_at, is_deleted) VALUES ($1, $2, $3, false, $4, $5, $5, false) \
    RETURNING id";
const UPDATE: &str = "UPDATE rbac.roles SET display_name = $2, description = $3, parent_role_id = $4, \
    updated_at = $5 WHERE id = $1";
const LINK: &str = "INSERT INTO rbac.role_permissions (role_id, permission_id, granted_at) \
    VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
const UNLINK: &str = "DELETE FROM rbac.role_permissions WHERE role_id = $1 AND permission_id = $2";
const SOFT_DELETE: &str =
    "UPDATE rbac.roles SET is_deleted = true, updated_at = $2 WHERE id = $1 AND is_deleted = false";

/// A new role, validated; `permission_ids` are live permissions.
pub struct NewRole<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    pub parent_role_id: Option<i32>,
    pub permission_ids: &'a [i32],
}

/// The columns an update writes, already merged with the current values.
pub struct RoleChanges {
    pub display_name: String,
    pub description: Option<String>,
    pub parent_role_id: Option<i32>,
    /// `Some(ids)` replaces the linked permission set.
    pub permission_ids: Option<Vec<i32>>,
    /// Whether anything changed (then `updated_at` moves).
    pub changed: bool,
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

/// A live role by exact name.
pub async fn live_by_name(db: &Db, name: &str) -> Result<Option<RoleRow>, DbError> {
    let sql = db.sql(LIVE_BY_NAME);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(name)
        .fetch_optional(pool)
        .await?))
}

pub async fn by_id(db: &Db, id: i32) -> Result<Option<RoleRow>, DbError> {
    let sql = db.sql(BY_ID);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// Live roles (optionally without system roles): the total and one page ordered by name.
pub async fn page(
    db: &Db,
    include_system: bool,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<RoleRow>), DbError> {
    let (count, page) = (db.sql(COUNT_LIVE), db.sql(PAGE_LIVE));
    use sqlx::Acquire as _;
    with_pool!(db, |pool| {
        #[allow(unused_mut)] // the PostgreSQL lease needs none, the SQLite pool connection does
        let mut conn = pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(count)
            .bind(include_system)
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<RoleRow> = sqlx::query_as(page)
            .bind(include_system)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await?;
        Ok((total, rows))
    })
}

/// `(role_id, permission name)` pairs for the roles of the same page as [`page`].
pub async fn page_permissions(
    db: &Db,
    include_system: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<(i32, String)>, DbError> {
    let sql = db.sql(PAGE_PERMISSIONS);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(include_system)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?))
}

/// A role's own undeleted permission names, sorted.
pub async fn own_permissions(db: &Db, role_id: i32) -> Result<Vec<String>, DbError> {
    let sql = db.sql(OWN_PERMISSIONS);
    let names = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(role_id)
        .fetch_all(pool)
        .await?);
    Ok(sorted(names))
}

/// Permissions of the chain starting at `start` (inclusive), never entering `stop`; sorted.
/// `chain_permissions(db, id, 0)` is the effective set of role `id`.
pub async fn chain_permissions(db: &Db, start: i32, stop: i32) -> Result<Vec<String>, DbError> {
    let sql = db.sql(CHAIN_PERMISSIONS);
    let names = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(start)
        .bind(stop)
        .fetch_all(pool)
        .await?);
    Ok(sorted(names))
}

/// True when `candidate` is `role_id` itself or below it in the parent tree.
pub async fn is_self_or_descendant(db: &Db, role_id: i32, candidate: i32) -> Result<bool, DbError> {
    let sql = db.sql(IS_SELF_OR_DESCENDANT);
    let count: i64 = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(role_id)
        .bind(candidate)
        .fetch_one(pool)
        .await?);
    Ok(count > 0)
}

/// Insert a role and its permissions in one transaction; returns the new id.
pub async fn insert(db: &Db, role: &NewRole<'_>, events: &[NewAuditEvent]) -> Result<i32, DbError> {
    let now = Ts::now();
    let (insert, link) = (db.sql(INSERT), db.sql(LINK));
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let id: i32 = sqlx::query_scalar(insert)
            .bind(role.name)
            .bind(role.display_name)
            .bind(role.description)
            .bind(role.parent_role_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        for permission_id in role.permission_ids {
            sqlx::query(link)
                .bind(id)
                .bind(permission_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        audit_events::insert_all(db, &mut *tx, events).await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// Apply an update in one transaction: columns, `updated_at` when something changed, and the
/// permission set (links not wanted any more removed, new ones added with `granted_at = now`).
/// The audit events are stored in the same transaction, only when something changed.
pub async fn update(
    db: &Db,
    current: &RoleRow,
    changes: &RoleChanges,
    events: &[NewAuditEvent],
) -> Result<bool, DbError> {
    if !changes.changed {
        return Ok(false);
    }
    let now = Ts::now();
    let (update, linked, link, unlink) = (
        db.sql(UPDATE),
        db.sql(LINKED_PERMISSION_IDS),
        db.sql(LINK),
        db.sql(UNLINK),
    );
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(update)
            .bind(current.id)
            .bind(&changes.display_name)
            .bind(&changes.description)
            .bind(changes.parent_role_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if let Some(wanted) = &changes.permission_ids {
            let existing: Vec<i32> = sqlx::query_scalar(linked)
                .bind(current.id)
                .fetch_all(&mut *tx)
                .await?;
            for gone in existing.iter().filter(|id| !wanted.contains(id)) {
                sqlx::query(unlink)
                    .bind(current.id)
                    .bind(gone)
                    .execute(&mut *tx)
                    .await?;
            }
            for new in wanted.iter().filter(|id| !existing.contains(id)) {
                sqlx::query(link)
                    .bind(current.id)
                    .bind(new)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        audit_events::insert_all(db, &mut *tx, events).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Soft-delete a live role and store the audit events in the same transaction; false when it
/// was already gone (nothing stored).
pub async fn soft_delete(db: &Db, role_id: i32, events: &[NewAuditEvent]) -> Result<bool, DbError> {
    let sql = db.sql(SOFT_DELETE);
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let deleted = sqlx::query(sql)
            .bind(role_id)
            .bind(Ts::now())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if deleted {
            audit_events::insert_all(db, &mut *tx, events).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    })
}
