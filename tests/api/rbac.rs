//! RBAC tests: role and permission administration, assignments, inheritance and the access
//! matrix, one module each; here the helpers they (and other suites) share: a super
//! administrator, custom roles, raw SQL for states the API cannot produce (cycles in adopted
//! data, deleted permissions).

mod assignments;
mod inheritance;
mod matrix;
mod permissions;
mod role_changes;
mod roles;

use serde_json::{Value, json};
use warden::store::Db;

use crate::helpers::{Reply, TestApp};

pub const ROLES: &str = "/api/v1/admin/roles";
pub const PERMISSIONS: &str = "/api/v1/admin/permissions";

/// A logged-in `super_admin`; returns its token.
pub async fn super_admin(app: &TestApp) -> String {
    app.user_with_role("root", "super_admin").await.1
}

/// Create a role through the API as `token`, asserting 201.
pub async fn create_role(
    app: &TestApp,
    token: &str,
    name: &str,
    permissions: &[&str],
    parent: Option<&str>,
) -> Value {
    let body = json!({"name": name, "display_name": format!("Role {name}"),
                      "permissions": permissions, "parent_role": parent});
    let reply = app.post(ROLES, Some(token), body).await;
    assert_eq!(reply.status, 201, "create role {name}: {}", reply.text);
    reply.body["data"].clone()
}

/// A logged-in user holding a fresh custom role with exactly `permissions` (created by `root`).
pub async fn user_with_permissions(
    app: &TestApp,
    root: &str,
    name: &str,
    permissions: &[&str],
) -> (i64, String) {
    let role = format!("{name}_role");
    create_role(app, root, &role, permissions, None).await;
    app.user_with_role(name, &role).await
}

/// Run one statement with integer parameters (PostgreSQL dialect, translated for SQLite).
pub async fn exec(app: &TestApp, sql: &'static str, params: &[i32]) {
    let db = &app.state.db;
    let sql = db.sql(sql);
    match db {
        Db::Postgres(pool) => {
            let mut lease = pool.lease().await.expect("connection");
            let mut query = sqlx::query(sql);
            for param in params {
                query = query.bind(*param);
            }
            query.execute(lease.conn()).await.expect("sql");
        }
        Db::Sqlite(pool) => {
            let mut query = sqlx::query(sql);
            for param in params {
                query = query.bind(*param);
            }
            query.execute(pool).await.expect("sql");
        }
    }
}

/// Set a role's parent directly in the database (bypassing the cycle check).
pub async fn set_parent_raw(app: &TestApp, role_id: i64, parent_id: i64) {
    exec(
        app,
        "UPDATE rbac.roles SET parent_role_id = $2 WHERE id = $1",
        &[
            i32::try_from(role_id).expect("id"),
            i32::try_from(parent_id).expect("id"),
        ],
    )
    .await;
}

/// Soft-delete a permission directly (the API has no route for it).
pub async fn delete_permission_raw(app: &TestApp, name: &str) {
    let row = warden::store::permissions::live_by_name(&app.state.db, name)
        .await
        .expect("query")
        .expect("permission exists");
    exec(
        app,
        "UPDATE rbac.permissions SET is_deleted = true WHERE id = $1",
        &[row.id],
    )
    .await;
}

/// The live role row (full-precision timestamps).
pub async fn role_row(app: &TestApp, name: &str) -> warden::store::rbac::RoleRow {
    warden::store::rbac::role_by_name_any(&app.state.db, name)
        .await
        .expect("query")
        .expect("role exists")
}

/// Names of the live roles, in listed order.
pub async fn role_names(app: &TestApp, token: &str) -> Vec<String> {
    let reply = app
        .get(&format!("{ROLES}/?per_page=100"), Some(token))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    names(&reply)
}

pub fn names(reply: &Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_string())
        .collect()
}

/// Assert the missing-permission body: `required_permissions` and `require_all: false`.
#[track_caller]
pub fn assert_permission_denied(reply: &Reply, required: &[&str]) {
    reply.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    assert_eq!(
        reply.details(),
        &json!({"required_permissions": required, "require_all": false}),
        "body: {}",
        reply.text
    );
}

/// Assert an escalation-guard body: the caller lacks permissions the change would confer.
#[track_caller]
pub fn assert_escalation(reply: &Reply, message: &str, missing: &[&str]) {
    reply.assert_error(403, "FORBIDDEN", message);
    assert_eq!(
        reply.details(),
        &json!({"required_permissions": missing, "require_all": true}),
        "body: {}",
        reply.text
    );
}

pub const GRANT: &str = "Cannot grant permissions you do not hold";
pub const REVOKE: &str = "Cannot revoke permissions you do not hold";
