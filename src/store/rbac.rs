//! SQL for users' effective permissions and role assignments (role and permission rows live in
//! [`super::roles`] and [`super::permissions`]).

use sqlx::FromRow;

use crate::store::audit_events::{self, NewAuditEvent};
use crate::store::types::Ts;
use crate::store::{Db, DbError};
use crate::with_pool;

#[derive(Debug, Clone, FromRow)]
pub struct RoleRow {
    pub id: i32,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub is_system_role: bool,
    pub parent_role_id: Option<i32>,
    pub parent_role_name: Option<String>,
    pub is_deleted: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// The live roles of user `$1` and their ancestors up to the first deleted one (cycles stop
/// because UNION removes visited rows), as `chain(role_id)`; every step an index lookup.
macro_rules! role_chain {
    () => {
        "WITH RECURSIVE chain(role_id) AS ( \
            SELECT r.id FROM rbac.user_roles ur JOIN rbac.roles r ON r.id = ur.role_id \
            WHERE ur.user_id = $1 AND r.is_deleted = false \
          UNION \
            SELECT p.id FROM chain c JOIN rbac.roles r ON r.id = c.role_id \
            JOIN rbac.roles p ON p.id = r.parent_role_id WHERE p.is_deleted = false \
        ) "
    };
}

/// The undeleted permissions of the roles in `chain`.
macro_rules! chain_permissions {
    () => {
        "SELECT p.name FROM chain c JOIN rbac.role_permissions rp ON rp.role_id = c.role_id \
          JOIN rbac.permissions p ON p.id = rp.permission_id WHERE p.is_deleted = false"
    };
}

/// Effective permissions of a user: those of their roles (with inheritance) plus direct grants;
/// deleted permissions never count. One statement.
const EFFECTIVE_PERMISSIONS: &str = concat!(
    role_chain!(),
    chain_permissions!(),
    " UNION SELECT p.name FROM rbac.user_permissions up \
      JOIN rbac.permissions p ON p.id = up.permission_id \
      WHERE up.user_id = $1 AND p.is_deleted = false"
);

const ROLE_BY_NAME_ANY: &str = "SELECT r.id, r.name, r.display_name, r.description, r.is_system_role, \
    r.parent_role_id, parent.name AS parent_role_name, r.is_deleted, r.created_at, r.updated_at \
    FROM rbac.roles r LEFT JOIN rbac.roles parent ON parent.id = r.parent_role_id WHERE r.name = $1";
/// The role half of [`EFFECTIVE_PERMISSIONS`] (the listing's `role_permissions`).
const ROLE_DERIVED_PERMISSIONS: &str = concat!(role_chain!(), chain_permissions!());
const USER_ROLES: &str = "SELECT r.id, r.name, r.display_name, r.description, r.is_system_role, \
    r.parent_role_id, parent.name AS parent_role_name, r.is_deleted, r.created_at, r.updated_at \
    FROM rbac.user_roles ur JOIN rbac.roles r ON r.id = ur.role_id \
    LEFT JOIN rbac.roles parent ON parent.id = r.parent_role_id \
    WHERE ur.user_id = $1 AND r.is_deleted = false ORDER BY r.name COLLATE \"C\"";
/// Own undeleted permissions of each live role of a user, as `(role_id, name)`.
const USER_ROLE_PERMISSIONS: &str = "SELECT rp.role_id, p.name FROM rbac.user_roles ur \
    JOIN rbac.roles r ON r.id = ur.role_id JOIN rbac.role_permissions rp ON rp.role_id = r.id \
    JOIN rbac.permissions p ON p.id = rp.permission_id \
    WHERE ur.user_id = $1 AND r.is_deleted = false AND p.is_deleted = false";
const ASSIGNED_BY: &str = "SELECT ur.assigned_by FROM rbac.user_roles ur \
    JOIN rbac.roles r ON r.id = ur.role_id WHERE ur.user_id = $1 AND r.name = $2";
const REVOKE_ROLE: &str = "DELETE FROM rbac.user_roles WHERE user_id = $1 AND role_id = $2";
const ASSIGN_ROLE: &str = "INSERT INTO rbac.user_roles (user_id, role_id, assigned_at, assigned_by) \
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

/// Sorted (byte order) effective permission names.
pub async fn effective_permissions(db: &Db, user_id: i32) -> Result<Vec<String>, DbError> {
    let sql = db.sql(EFFECTIVE_PERMISSIONS);
    let mut names: Vec<String> = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_all(pool)
        .await?);
    names.sort();
    names.dedup();
    Ok(names)
}

/// A role by exact name, soft-deleted ones included.
pub async fn role_by_name_any(db: &Db, name: &str) -> Result<Option<RoleRow>, DbError> {
    let sql = db.sql(ROLE_BY_NAME_ANY);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(name)
        .fetch_optional(pool)
        .await?))
}

/// Assign a role and store the audit events in the same transaction; false when the user
/// already had it (nothing stored).
pub async fn assign_role(
    db: &Db,
    user_id: i32,
    role_id: i32,
    assigned_by: Option<i32>,
    events: &[NewAuditEvent],
) -> Result<bool, DbError> {
    let sql = db.sql(ASSIGN_ROLE);
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let inserted = sqlx::query(sql)
            .bind(user_id)
            .bind(role_id)
            .bind(Ts::now())
            .bind(assigned_by)
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

/// Permissions a user gets through roles (with inheritance), sorted.
pub async fn role_derived_permissions(db: &Db, user_id: i32) -> Result<Vec<String>, DbError> {
    let sql = db.sql(ROLE_DERIVED_PERMISSIONS);
    let mut names: Vec<String> = with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_all(pool)
        .await?);
    names.sort();
    names.dedup();
    Ok(names)
}

/// A user's live roles, sorted by name (byte order).
pub async fn user_roles(db: &Db, user_id: i32) -> Result<Vec<RoleRow>, DbError> {
    let sql = db.sql(USER_ROLES);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .fetch_all(pool)
        .await?))
}

/// `(role_id, permission name)` for the own permissions of a user's live roles.
pub async fn user_role_permissions(db: &Db, user_id: i32) -> Result<Vec<(i32, String)>, DbError> {
    let sql = db.sql(USER_ROLE_PERMISSIONS);
    Ok(with_pool!(db, |pool| sqlx::query_as(sql)
        .bind(user_id)
        .fetch_all(pool)
        .await?))
}

/// `assigned_by` of a user's assignment of the named role: `None` when not assigned.
pub async fn assigned_by(
    db: &Db,
    user_id: i32,
    role_name: &str,
) -> Result<Option<Option<i32>>, DbError> {
    let sql = db.sql(ASSIGNED_BY);
    Ok(with_pool!(db, |pool| sqlx::query_scalar(sql)
        .bind(user_id)
        .bind(role_name)
        .fetch_optional(pool)
        .await?))
}

/// Remove a role from a user and store the audit events in the same transaction; false when
/// the user did not have it (nothing stored).
pub async fn revoke_role(
    db: &Db,
    user_id: i32,
    role_id: i32,
    events: &[NewAuditEvent],
) -> Result<bool, DbError> {
    audit_events::delete_pair(db, REVOKE_ROLE, user_id, role_id, events).await
}
