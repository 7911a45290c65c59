//! Tests: a user's roles, role assignment and revocation.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::rbac::*;

fn user_roles(id: i64) -> String {
    format!("{ROLES}/users/{id}")
}

#[tokio::test]
async fn a_users_roles_come_sorted_with_their_permissions_and_the_effective_set() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (id, _) = app.user_with_role("john_doe", "user").await;
    app.grant_role(id, "moderator").await;
    create_role(&app, &root, "gone", &["roles:read"], None).await;
    app.grant_role(id, "gone").await;
    app.delete(&format!("{ROLES}/gone"), Some(&root)).await;
    let reply = app.get(&user_roles(id), Some(&root)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(
        (data["user_id"].as_i64(), data["username"].as_str()),
        (Some(id), Some("john_doe"))
    );
    let roles = data["roles"].as_array().expect("roles");
    let role_names: Vec<&str> = roles
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(role_names, ["moderator", "user"]);
    assert_eq!(
        roles[0]["permissions"],
        json!(["users:list", "users:read", "users:update"])
    );
    assert_eq!(roles[1]["permissions"], json!(["users:read"]));
    assert_eq!(roles[1]["display_name"], "Regular User");
    assert_eq!(
        data["all_permissions"],
        json!(["users:list", "users:read", "users:update"])
    );
}

#[tokio::test]
async fn assigning_and_revoking_a_role_records_the_assigner_and_reports_each_error() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (id, _) = app.user_with_role("john_doe", "user").await;
    let reply = app
        .post(
            &user_roles(id),
            Some(&root),
            json!({"role_name": "moderator"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["data"],
        json!({"message": "Role 'moderator' assigned to user 'john_doe'"})
    );
    let assigner = warden::store::rbac::assigned_by(
        &app.state.db,
        i32::try_from(id).expect("id"),
        "moderator",
    )
    .await
    .expect("query");
    let root_user = warden::store::users::find_live_by_username(&app.state.db, "root")
        .await
        .expect("query")
        .expect("root");
    assert_eq!(assigner, Some(Some(root_user.id)));
    app.post(
        &user_roles(id),
        Some(&root),
        json!({"role_name": "moderator"}),
    )
    .await
    .assert_error(400, "BAD_REQUEST", "User already has role 'moderator'");
    app.post(&user_roles(id), Some(&root), json!({"role_name": "ghost"}))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'ghost' not found");
    app.post(
        &user_roles(999_999),
        Some(&root),
        json!({"role_name": "ghost"}),
    )
    .await
    .assert_error(404, "RESOURCE_NOT_FOUND", "User with id=999999 not found");
    let reply = app
        .post(&user_roles(id), Some(&root), json!({"role_name": "m"}))
        .await;
    assert_eq!(
        reply.details(),
        &json!({"role_name": "String should have at least 2 characters"})
    );
    let reply = app
        .post(&user_roles(0), Some(&root), json!({"role_name": "m"}))
        .await;
    assert_eq!(
        reply.details(),
        &json!({"user_id": "Input should be greater than or equal to 1"})
    );

    let revoke = format!("{}/moderator", user_roles(id));
    let reply = app.delete(&revoke, Some(&root)).await;
    assert_eq!(
        reply.body["data"],
        json!({"message": "Role 'moderator' revoked from user 'john_doe'"})
    );
    app.delete(&revoke, Some(&root)).await.assert_error(
        400,
        "BAD_REQUEST",
        "User doesn't have role 'moderator'",
    );
    app.delete(&format!("{}/ghost", user_roles(id)), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'ghost' not found");
    app.delete(&format!("{ROLES}/users/999999/user"), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "User with id=999999 not found");
    let roles = &app.get(&user_roles(id), Some(&root)).await.body["data"]["roles"];
    assert_eq!(roles.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_admin_can_assign_admin_but_neither_assign_nor_revoke_super_admin() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (_, admin) = app.user_with_role("boss", "admin").await;
    let (id, _) = app.user_with_role("john_doe", "user").await;
    let reply = app
        .post(
            &user_roles(id),
            Some(&admin),
            json!({"role_name": "super_admin"}),
        )
        .await;
    assert_escalation(&reply, GRANT, &["*:*"]);
    let reply = app
        .post(&user_roles(id), Some(&admin), json!({"role_name": "admin"}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.grant_role(id, "super_admin").await;
    let reply = app
        .delete(&format!("{}/super_admin", user_roles(id)), Some(&admin))
        .await;
    assert_escalation(&reply, REVOKE, &["*:*"]);
    let roles = app.get(&user_roles(id), Some(&root)).await.body["data"]["all_permissions"].clone();
    assert!(roles.as_array().expect("list").contains(&json!("*:*")));
    // A caller without the route permission gets the missing-permission body, even for a bad body: 422 first.
    let (_, plain) = app.user_with_role("plain", "user").await;
    assert_permission_denied(
        &app.post(&user_roles(id), Some(&plain), json!({"role_name": "user"}))
            .await,
        &["roles:assign"],
    );
    let reply = app.post(&user_roles(id), Some(&plain), json!({})).await;
    reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
    app.post(&user_roles(id), None, json!({}))
        .await
        .assert_error(401, "UNAUTHORIZED", "Authorization token required");
}

#[tokio::test]
async fn assigning_a_role_checks_its_inherited_permissions_too() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "child", &["users:read"], Some("moderator")).await;
    let (_, token) = user_with_permissions(
        &app,
        &root,
        "assigner",
        &["roles:assign", "users:read", "users:*"],
    )
    .await;
    let (id, _) = app.user("target").await;
    let reply = app
        .post(&user_roles(id), Some(&token), json!({"role_name": "child"}))
        .await;
    assert_eq!(
        reply.status, 200,
        "users:* covers the inherited users permissions: {}",
        reply.text
    );
    create_role(&app, &root, "wild", &["users:*"], None).await;
    let (_, narrow) = user_with_permissions(
        &app,
        &root,
        "narrow",
        &[
            "roles:assign",
            "users:read",
            "users:list",
            "users:update",
            "users:delete",
            "users:create",
        ],
    )
    .await;
    let reply = app
        .post(&user_roles(id), Some(&narrow), json!({"role_name": "wild"}))
        .await;
    assert_escalation(&reply, GRANT, &["users:*"]);
}
