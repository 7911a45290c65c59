//! Tests: role updates and deletion.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::rbac::*;

#[tokio::test]
async fn updating_a_role_replaces_fields_and_skips_unknown_permissions() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "editor", &["users:read"], None).await;
    let body = json!({"display_name": "Chief Editor", "description": "edits",
                      "permissions": ["users:list", "nope:x", "roles:read"], "parent_role": "moderator"});
    let reply = app.put(&format!("{ROLES}/editor"), Some(&root), body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(data["message"], "Role 'editor' updated successfully");
    assert_eq!(data["display_name"], "Chief Editor");
    assert_eq!(data["description"], "edits");
    assert_eq!(data["permissions"], json!(["roles:read", "users:list"]));
    assert_eq!(data["parent_role_name"], "moderator");
    let reply = app
        .put(
            &format!("{ROLES}/editor"),
            Some(&root),
            json!({"description": null, "parent_role": ""}),
        )
        .await;
    assert_eq!(reply.body["data"]["description"], "edits");
    assert_eq!(reply.body["data"]["parent_role_id"], json!(null));
    assert_eq!(reply.body["data"]["parent_role_name"], json!(null));
    let reply = app
        .put(
            &format!("{ROLES}/editor"),
            Some(&root),
            json!({"permissions": []}),
        )
        .await;
    assert_eq!(reply.body["data"]["permissions"], json!([]));
}

#[tokio::test]
async fn updated_at_moves_only_when_something_changes() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "editor", &["users:read"], None).await;
    let original = role_row(&app, "editor").await.updated_at;
    for body in [
        json!({}),
        json!({"permissions": ["users:read", "ghost:x"]}),
        json!({"display_name": "Role editor"}),
    ] {
        assert_eq!(
            app.put(&format!("{ROLES}/editor"), Some(&root), body)
                .await
                .status,
            200
        );
        assert_eq!(role_row(&app, "editor").await.updated_at, original);
    }
    app.put(
        &format!("{ROLES}/editor"),
        Some(&root),
        json!({"permissions": ["users:list"]}),
    )
    .await;
    assert!(role_row(&app, "editor").await.updated_at > original);
    // System roles can be updated.
    let reply = app
        .put(
            &format!("{ROLES}/user"),
            Some(&root),
            json!({"description": "plain"}),
        )
        .await;
    assert_eq!(reply.body["data"]["description"], "plain", "{}", reply.text);
}

#[tokio::test]
async fn updating_a_role_reports_missing_roles_and_cycles_and_changes_nothing() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "top", &[], None).await;
    create_role(&app, &root, "mid", &[], Some("top")).await;
    create_role(&app, &root, "low", &[], Some("mid")).await;
    let put = |name: &str| format!("{ROLES}/{name}");
    app.put(&put("ghost"), Some(&root), json!({}))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role not found: ghost");
    app.put(&put("top"), Some(&root), json!({"parent_role": "nobody"}))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role not found: nobody");
    for parent in ["top", "mid", "low"] {
        app.put(
            &put("top"),
            Some(&root),
            json!({"parent_role": parent, "display_name": "Changed"}),
        )
        .await
        .assert_error(
            400,
            "BAD_REQUEST",
            &format!("Setting parent role '{parent}' would create a cycle"),
        );
    }
    // Descendants are followed through deleted roles too.
    app.delete(&put("mid"), Some(&root)).await;
    app.put(&put("top"), Some(&root), json!({"parent_role": "low"}))
        .await
        .assert_error(
            400,
            "BAD_REQUEST",
            "Setting parent role 'low' would create a cycle",
        );
    let top = role_row(&app, "top").await;
    assert_eq!(
        (top.display_name.as_str(), top.parent_role_id),
        ("Role top", None)
    );
    let reply = app
        .put(&put("top"), Some(&root), json!({"permissions": [true]}))
        .await;
    assert_eq!(
        reply.details(),
        &json!({"permissions.0": "Input should be a valid string"})
    );
}

#[tokio::test]
async fn updating_a_role_checks_permissions_gained_and_lost() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "team", &["users:read"], None).await;
    create_role(&app, &root, "ops", &["users:read", "users:delete"], None).await;
    let (_, token) = user_with_permissions(
        &app,
        &root,
        "editor",
        &["roles:update", "users:read", "users:list"],
    )
    .await;
    let put = |name: &str| format!("{ROLES}/{name}");
    let reply = app
        .put(
            &put("team"),
            Some(&token),
            json!({"permissions": ["users:read", "users:delete"]}),
        )
        .await;
    assert_escalation(&reply, GRANT, &["users:delete"]);
    let reply = app
        .put(
            &put("ops"),
            Some(&token),
            json!({"permissions": ["users:read"]}),
        )
        .await;
    assert_escalation(&reply, REVOKE, &["users:delete"]);
    let reply = app
        .put(&put("team"), Some(&token), json!({"parent_role": "ops"}))
        .await;
    assert_escalation(&reply, GRANT, &["users:delete"]);
    // Losing one missing permission while gaining another missing one reports GRANT with both.
    let reply = app
        .put(
            &put("ops"),
            Some(&token),
            json!({"permissions": ["users:update"]}),
        )
        .await;
    assert_escalation(&reply, GRANT, &["users:delete", "users:update"]);
    assert_eq!(
        app.get(&put("ops"), Some(&root)).await.body["data"]["permissions"],
        json!(["users:delete", "users:read"])
    );
    let reply = app
        .put(
            &put("team"),
            Some(&token),
            json!({"permissions": ["users:list"], "display_name": "Team"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn deleting_a_role_soft_deletes_it_and_keeps_the_name_reserved() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (_, token) = user_with_permissions(&app, &root, "lister", &["users:list"]).await;
    assert_eq!(app.get("/api/v1/users/", Some(&token)).await.status, 200);
    let reply = app
        .delete(&format!("{ROLES}/lister_role"), Some(&root))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["data"],
        json!({"message": "Role 'lister_role' deleted successfully"})
    );
    assert_permission_denied(
        &app.get("/api/v1/users/", Some(&token)).await,
        &["users:list"],
    );
    let row = role_row(&app, "lister_role").await;
    assert!(row.is_deleted && row.updated_at > row.created_at);
    app.delete(&format!("{ROLES}/lister_role"), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'lister_role' not found");
    let body = json!({"name": "lister_role", "display_name": "Again"});
    app.post(ROLES, Some(&root), body).await.assert_error(
        409,
        "CONFLICT",
        "Role 'lister_role' already exists",
    );
}

#[tokio::test]
async fn system_roles_cannot_be_deleted_and_deletion_is_guarded() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let reply = app.delete(&format!("{ROLES}/admin"), Some(&root)).await;
    reply.assert_error(403, "FORBIDDEN", "Cannot delete system role 'admin'");
    assert!(
        reply.body["error"].get("details").is_none(),
        "{}",
        reply.text
    );
    create_role(
        &app,
        &root,
        "powerful",
        &["users:delete", "roles:read"],
        None,
    )
    .await;
    let (_, token) =
        user_with_permissions(&app, &root, "deleter", &["roles:delete", "roles:read"]).await;
    assert_escalation(
        &app.delete(&format!("{ROLES}/powerful"), Some(&token)).await,
        REVOKE,
        &["users:delete"],
    );
    assert!(!role_row(&app, "powerful").await.is_deleted);
    create_role(&app, &root, "weak", &["roles:read"], None).await;
    assert_eq!(
        app.delete(&format!("{ROLES}/weak"), Some(&token))
            .await
            .status,
        200
    );
}
