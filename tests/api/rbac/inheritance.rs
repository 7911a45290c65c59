//! Tests: effective permissions — wildcards, parent chains, deleted roles and
//! permissions, cycles in adopted data.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::rbac::*;

#[tokio::test]
async fn resource_wildcards_satisfy_their_resource_and_star_star_satisfies_everything() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (_, users_star) = user_with_permissions(&app, &root, "wild", &["users:*"]).await;
    assert_eq!(
        app.get("/api/v1/users/", Some(&users_star)).await.status,
        200
    );
    assert_permission_denied(
        &app.get(ROLES, Some(&users_star)).await,
        &["roles:list", "roles:read"],
    );
    let (_, roles_star) = user_with_permissions(&app, &root, "roler", &["roles:*"]).await;
    assert_eq!(app.get(ROLES, Some(&roles_star)).await.status, 200);
    assert_permission_denied(
        &app.get("/api/v1/users/", Some(&roles_star)).await,
        &["users:list"],
    );
    assert_eq!(app.get(PERMISSIONS, Some(&root)).await.status, 200);
}

#[tokio::test]
async fn permissions_are_inherited_along_the_parent_chain_until_a_deleted_role() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "grand", &["roles:list"], None).await;
    create_role(&app, &root, "parent", &["users:list"], Some("grand")).await;
    create_role(&app, &root, "child", &[], Some("parent")).await;
    let (id, token) = app.user_with_role("heir", "child").await;
    assert_eq!(app.get("/api/v1/users/", Some(&token)).await.status, 200);
    assert_eq!(app.get(ROLES, Some(&token)).await.status, 200);
    let reply = app.get(&format!("{ROLES}/child"), Some(&root)).await;
    assert_eq!(
        reply.body["data"]["inherited_permissions"],
        json!(["roles:list", "users:list"])
    );
    assert_eq!(reply.body["data"]["permissions"], json!([]));

    // Deleting the middle role stops the walk there: nothing above it counts either.
    app.delete(&format!("{ROLES}/parent"), Some(&root)).await;
    assert_permission_denied(
        &app.get("/api/v1/users/", Some(&token)).await,
        &["users:list"],
    );
    assert_permission_denied(
        &app.get(ROLES, Some(&token)).await,
        &["roles:list", "roles:read"],
    );
    let reply = app.get(&format!("{ROLES}/child"), Some(&root)).await;
    assert_eq!(reply.body["data"]["all_permissions"], json!([]));
    assert_eq!(reply.body["data"]["parent_role_name"], "parent");
    let reply = app
        .get(&format!("{PERMISSIONS}/users/{id}"), Some(&root))
        .await;
    assert_eq!(reply.body["data"]["roles"], json!(["child"]));
    assert_eq!(reply.body["data"]["effective_permissions"], json!([]));
}

#[tokio::test]
async fn a_parent_cycle_in_stored_data_never_loops() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let a = create_role(&app, &root, "ring_a", &["users:list"], None).await;
    let b = create_role(&app, &root, "ring_b", &["roles:list"], Some("ring_a")).await;
    set_parent_raw(
        &app,
        a["id"].as_i64().expect("id"),
        b["id"].as_i64().expect("id"),
    )
    .await;
    let (id, token) = app.user_with_role("looper", "ring_a").await;
    assert_eq!(app.get("/api/v1/users/", Some(&token)).await.status, 200);
    assert_eq!(app.get(ROLES, Some(&token)).await.status, 200);
    let reply = app.get(&format!("{ROLES}/ring_a"), Some(&root)).await;
    assert_eq!(
        reply.body["data"]["all_permissions"],
        json!(["roles:list", "users:list"])
    );
    assert_eq!(
        reply.body["data"]["inherited_permissions"],
        json!(["roles:list"])
    );
    let reply = app.get(&format!("{ROLES}/users/{id}"), Some(&root)).await;
    assert_eq!(
        reply.body["data"]["all_permissions"],
        json!(["roles:list", "users:list"])
    );
    // Updating a role inside the cycle still works when the parent is not changed.
    let reply = app
        .put(
            &format!("{ROLES}/ring_a"),
            Some(&root),
            json!({"display_name": "Ring"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    app.put(
        &format!("{ROLES}/ring_a"),
        Some(&root),
        json!({"parent_role": "ring_b"}),
    )
    .await
    .assert_error(
        400,
        "BAD_REQUEST",
        "Setting parent role 'ring_b' would create a cycle",
    );
}

#[tokio::test]
async fn deleted_permissions_grant_nothing_and_disappear_from_lists() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "lister", &["users:list", "users:read"], None).await;
    let (id, token) = app.user_with_role("lister_user", "lister").await;
    app.post(
        &format!("{PERMISSIONS}/users/{id}"),
        Some(&root),
        json!({"permission": "roles:list"}),
    )
    .await;
    assert_eq!(app.get(ROLES, Some(&token)).await.status, 200);
    delete_permission_raw(&app, "users:list").await;
    delete_permission_raw(&app, "roles:list").await;
    assert_permission_denied(
        &app.get("/api/v1/users/", Some(&token)).await,
        &["users:list"],
    );
    assert_permission_denied(
        &app.get(ROLES, Some(&token)).await,
        &["roles:list", "roles:read"],
    );
    let reply = app
        .get(&format!("{PERMISSIONS}/users/{id}"), Some(&root))
        .await;
    assert_eq!(
        reply.body["data"],
        json!({"user_id": id, "username": "lister_user", "roles": ["lister"], "role_permissions": ["users:read"],
               "direct_permissions": [], "effective_permissions": ["users:read"]})
    );
    let reply = app.get(&format!("{ROLES}/lister"), Some(&root)).await;
    assert_eq!(reply.body["data"]["permissions"], json!(["users:read"]));
    let body = json!({"name": "late", "display_name": "Late", "permissions": ["users:list"]});
    app.post(ROLES, Some(&root), body).await.assert_error(
        404,
        "RESOURCE_NOT_FOUND",
        "Permission not found: users:list",
    );
}

#[tokio::test]
async fn a_deleted_role_no_longer_grants_and_is_hidden_from_a_users_roles() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (id, token) = user_with_permissions(&app, &root, "temp", &["users:list"]).await;
    assert_eq!(app.get("/api/v1/users/", Some(&token)).await.status, 200);
    app.delete(&format!("{ROLES}/temp_role"), Some(&root)).await;
    assert_permission_denied(
        &app.get("/api/v1/users/", Some(&token)).await,
        &["users:list"],
    );
    let reply = app.get(&format!("{ROLES}/users/{id}"), Some(&root)).await;
    assert_eq!(reply.body["data"]["roles"], json!([]));
    assert_eq!(reply.body["data"]["all_permissions"], json!([]));
    app.post(
        &format!("{ROLES}/users/{id}"),
        Some(&root),
        json!({"role_name": "temp_role"}),
    )
    .await
    .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'temp_role' not found");
}
