//! Tests: the access matrix — each seeded role (and no role) against every admin
//! route and the `/users` rows.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::rbac::*;

const COLUMNS: [&str; 5] = ["super_admin", "admin", "moderator", "user", "none"];

/// One matrix row: method, path (with `{target}` and `{me}` and `{col}` placeholders), body,
/// the success status, the columns allowed, and the required-permission list on refusal.
struct Row {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    ok: u16,
    allowed: &'static [&'static str],
    required: &'static [&'static str],
}

const ALL: &[&str] = &["super_admin", "admin", "moderator", "user", "none"];
const READERS: &[&str] = &["super_admin", "admin", "moderator", "user"];
const MODERATORS: &[&str] = &["super_admin", "admin", "moderator"];
const ADMINS: &[&str] = &["super_admin", "admin"];
const SUPER: &[&str] = &["super_admin"];

fn row(
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    ok: u16,
    allowed: &'static [&'static str],
    required: &'static [&'static str],
) -> Row {
    Row {
        method,
        path,
        body,
        ok,
        allowed,
        required,
    }
}

/// In execution order: reads first, destructive rows (deleting users) last.
fn rows() -> Vec<Row> {
    vec![
        row(
            "GET",
            "/api/v1/users/",
            None,
            200,
            MODERATORS,
            &["users:list"],
        ),
        row(
            "GET",
            "/api/v1/users/{target}",
            None,
            200,
            READERS,
            &["users:read"],
        ),
        row(
            "PUT",
            "/api/v1/users/{target}",
            Some(json!({"is_active": true})),
            200,
            MODERATORS,
            &["users:update"],
        ),
        row(
            "PUT",
            "/api/v1/users/{target}",
            Some(json!({"bio": "x"})),
            200,
            MODERATORS,
            &["users:update"],
        ),
        row("GET", "/api/v1/users/{me}", None, 200, ALL, &[]),
        row(
            "PUT",
            "/api/v1/users/{me}",
            Some(json!({"bio": "me"})),
            200,
            ALL,
            &[],
        ),
        row(
            "GET",
            "/api/v1/admin/roles/",
            None,
            200,
            ADMINS,
            &["roles:list", "roles:read"],
        ),
        row(
            "GET",
            "/api/v1/admin/roles/user",
            None,
            200,
            ADMINS,
            &["roles:read"],
        ),
        row(
            "POST",
            "/api/v1/admin/roles/",
            Some(json!({"name": "new_{col}", "display_name": "New"})),
            201,
            SUPER,
            &["roles:create"],
        ),
        row(
            "PUT",
            "/api/v1/admin/roles/doomed_{col}",
            Some(json!({"display_name": "Doomed"})),
            200,
            SUPER,
            &["roles:update"],
        ),
        row(
            "DELETE",
            "/api/v1/admin/roles/doomed_{col}",
            None,
            200,
            SUPER,
            &["roles:delete"],
        ),
        row(
            "GET",
            "/api/v1/admin/roles/users/{target}",
            None,
            200,
            READERS,
            &["roles:read", "users:read"],
        ),
        row(
            "GET",
            "/api/v1/admin/permissions/users/{target}",
            None,
            200,
            READERS,
            &["permissions:read", "users:read"],
        ),
        row(
            "POST",
            "/api/v1/admin/roles/users/{target}",
            Some(json!({"role_name": "moderator"})),
            200,
            ADMINS,
            &["roles:assign"],
        ),
        row(
            "DELETE",
            "/api/v1/admin/roles/users/{target}/moderator",
            None,
            200,
            ADMINS,
            &["roles:revoke"],
        ),
        row(
            "GET",
            "/api/v1/admin/permissions/",
            None,
            200,
            ADMINS,
            &["permissions:list", "permissions:read"],
        ),
        row(
            "GET",
            "/api/v1/admin/audit-events/",
            None,
            200,
            ADMINS,
            &["audit:read"],
        ),
        row(
            "GET",
            "/api/v1/admin/permissions/users:read",
            None,
            200,
            ADMINS,
            &["permissions:read"],
        ),
        row(
            "POST",
            "/api/v1/admin/permissions/users/{target}",
            Some(json!({"permission": "users:list"})),
            200,
            SUPER,
            &["permissions:assign"],
        ),
        row(
            "DELETE",
            "/api/v1/admin/permissions/users/{target}/users:list",
            None,
            200,
            SUPER,
            &["permissions:revoke"],
        ),
        row(
            "DELETE",
            "/api/v1/users/{target}",
            None,
            200,
            ADMINS,
            &["users:delete"],
        ),
        row("DELETE", "/api/v1/users/{me}", None, 200, ALL, &[]),
    ]
}

fn fill(text: &str, column: &str, me: i64, target: i64) -> String {
    text.replace("{col}", column)
        .replace("{me}", &me.to_string())
        .replace("{target}", &target.to_string())
}

async fn check_column(app: &TestApp, root: &str, column: &str) {
    let (me, token) = if column == "none" {
        app.user(&format!("caller_{column}")).await
    } else {
        app.user_with_role(&format!("caller_{column}"), column)
            .await
    };
    let (target, _) = app
        .user_with_role(&format!("target_{column}"), "user")
        .await;
    create_role(app, root, &format!("doomed_{column}"), &[], None).await;
    for row in rows() {
        let path = fill(row.path, column, me, target);
        let body = row
            .body
            .as_ref()
            .map(|b| serde_json::from_str(&fill(&b.to_string(), column, me, target)));
        let method = reqwest::Method::from_bytes(row.method.as_bytes()).expect("method");
        let reply = app
            .request(method, &path, Some(&token), body.map(|b| b.expect("json")))
            .await;
        let what = format!("{column} {} {path}", row.method);
        if row.allowed.contains(&column) {
            assert_eq!(
                reply.status, row.ok,
                "{what} should be allowed: {}",
                reply.text
            );
        } else {
            assert_eq!(
                reply.status, 403,
                "{what} should be refused: {}",
                reply.text
            );
            assert_permission_denied(&reply, row.required);
        }
    }
}

#[tokio::test]
async fn each_seeded_role_gets_exactly_the_access_of_the_matrix() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    for column in COLUMNS {
        check_column(&app, &root, column).await;
    }
}

#[tokio::test]
async fn a_moderator_cannot_deactivate_an_admin_and_an_admin_cannot_delete_a_super_admin() {
    let app = spawn_app().await;
    let (_, moderator) = app.user_with_role("mod", "moderator").await;
    let (_, admin) = app.user_with_role("boss", "admin").await;
    let (admin_id, _) = app.user_with_role("other_admin", "admin").await;
    let (root_id, _) = app.user_with_role("root", "super_admin").await;
    let reply = app
        .put(
            &format!("/api/v1/users/{admin_id}"),
            Some(&moderator),
            json!({"is_active": false}),
        )
        .await;
    assert_escalation(
        &reply,
        "Cannot manage a user who holds permissions you do not hold",
        &[
            "audit:read",
            "permissions:list",
            "permissions:read",
            "roles:assign",
            "roles:list",
            "roles:read",
            "roles:revoke",
            "users:create",
            "users:delete",
        ],
    );
    let reply = app
        .delete(&format!("/api/v1/users/{root_id}"), Some(&admin))
        .await;
    assert_escalation(
        &reply,
        "Cannot manage a user who holds permissions you do not hold",
        &["*:*"],
    );
}

#[tokio::test]
async fn admin_routes_need_authentication_and_answer_405_with_allow() {
    let app = spawn_app().await;
    app.get(ROLES, None)
        .await
        .assert_error(401, "UNAUTHORIZED", "Authorization token required");
    app.get(&format!("{PERMISSIONS}/users/1"), None)
        .await
        .assert_error(401, "UNAUTHORIZED", "Authorization token required");
    let reply = app
        .request(
            reqwest::Method::PATCH,
            &format!("{ROLES}/admin"),
            None,
            None,
        )
        .await;
    reply.assert_error(
        405,
        "METHOD_NOT_ALLOWED",
        "Method not allowed for this endpoint",
    );
    assert_eq!(
        reply.header("allow"),
        Some("DELETE, GET, HEAD, OPTIONS, PUT")
    );
    let reply = app.get(&format!("{ROLES}/users/1/user"), None).await;
    assert_eq!(reply.header("allow"), Some("DELETE, OPTIONS"));
    app.get(&format!("{ROLES}/users/abc/user"), None)
        .await
        .assert_error(404, "NOT_FOUND", "The requested resource was not found");
}
