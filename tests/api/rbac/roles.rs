//! Tests: role administration.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::rbac::*;

#[tokio::test]
async fn listing_roles_returns_the_seeded_roles_sorted_with_pagination_meta() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    for path in [ROLES.to_string(), format!("{ROLES}/")] {
        let reply = app.get(&path, Some(&root)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(names(&reply), ["admin", "moderator", "super_admin", "user"]);
        assert_eq!(
            reply.body["meta"],
            json!({"total": 4, "page": 1, "per_page": 20, "total_pages": 1})
        );
        assert!(
            reply.body["data"][0].get("permissions").is_none(),
            "{}",
            reply.text
        );
        assert_eq!(reply.body["data"][0]["is_system_role"], true);
    }
    let reply = app
        .get(
            &format!("{ROLES}/?include_permissions=true&per_page=2&page=2"),
            Some(&root),
        )
        .await;
    assert_eq!(names(&reply), ["super_admin", "user"]);
    assert_eq!(reply.body["data"][0]["permissions"], json!(["*:*"]));
    assert_eq!(reply.body["data"][1]["permissions"], json!(["users:read"]));
    assert_eq!(
        reply.body["meta"],
        json!({"total": 4, "page": 2, "per_page": 2, "total_pages": 2})
    );
    let reply = app
        .get(
            &format!("{ROLES}/?include_permissions=1&per_page=1"),
            Some(&root),
        )
        .await;
    assert_eq!(
        reply.body["data"][0]["permissions"],
        json!([
            "audit:read",
            "permissions:list",
            "permissions:read",
            "roles:assign",
            "roles:list",
            "roles:read",
            "roles:revoke",
            "users:create",
            "users:delete",
            "users:list",
            "users:read",
            "users:update"
        ])
    );
}

#[tokio::test]
async fn listing_roles_without_system_roles_shows_only_custom_ones() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let reply = app
        .get(&format!("{ROLES}/?include_system=false"), Some(&root))
        .await;
    assert_eq!(reply.body["data"], json!([]));
    assert_eq!(
        reply.body["meta"],
        json!({"total": 0, "page": 1, "per_page": 20, "total_pages": 0})
    );
    create_role(&app, &root, "zeta", &[], None).await;
    create_role(&app, &root, "Alpha", &[], None).await;
    create_role(&app, &root, "gone", &[], None).await;
    app.delete(&format!("{ROLES}/gone"), Some(&root)).await;
    let reply = app
        .get(&format!("{ROLES}/?include_system=no"), Some(&root))
        .await;
    assert_eq!(names(&reply), ["alpha", "zeta"]);
    assert_eq!(reply.body["meta"]["total"], 2);
}

#[tokio::test]
async fn invalid_list_queries_are_rejected_with_422() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let reply = app
        .get(
            &format!("{ROLES}/?per_page=0&page=x&include_system=maybe"),
            Some(&root),
        )
        .await;
    reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
    assert_eq!(
        reply.details(),
        &json!({"per_page": "Input should be greater than or equal to 1",
                "page": "Input should be a valid integer, unable to parse string as an integer",
                "include_system": "Input should be a valid boolean, unable to interpret input"})
    );
}

#[tokio::test]
async fn creating_a_role_answers_201_with_its_permissions_and_parent() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let body = json!({"name": " Editor ", "display_name": "Content Editor",
                      "permissions": ["users:list", "users:list"], "parent_role": "user"});
    let reply = app.post(&format!("{ROLES}/"), Some(&root), body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(data["message"], "Role 'editor' created successfully");
    assert_eq!(data["name"], "editor");
    assert_eq!(data["display_name"], "Content Editor");
    assert_eq!(data["description"], json!(null));
    assert_eq!(data["is_system_role"], false);
    assert_eq!(data["parent_role_id"], role_row(&app, "user").await.id);
    assert_eq!(data["parent_role_name"], "user");
    assert_eq!(data["permissions"], json!(["users:list"]));
    assert_eq!(data["is_deleted"], false);
    assert_eq!(data["created_at"], data["updated_at"]);
    assert!(data["created_at"].as_str().expect("ts").ends_with('Z'));
    assert_eq!(
        (reply.body["meta"].clone(), reply.body["error"].clone()),
        (json!(null), json!(null))
    );

    let reply = app.get(&format!("{ROLES}/editor"), Some(&root)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["data"]["all_permissions"],
        json!(["users:list", "users:read"])
    );
    assert_eq!(
        reply.body["data"]["inherited_permissions"],
        json!(["users:read"])
    );
    assert_eq!(reply.body["data"]["permissions"], json!(["users:list"]));
}

#[tokio::test]
async fn creating_a_role_reports_each_failing_step_and_changes_nothing() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    create_role(&app, &root, "retired", &[], None).await;
    app.delete(&format!("{ROLES}/retired"), Some(&root)).await;
    let before = role_names(&app, &root).await;
    let cases = [
        (
            json!({"name": "Admin", "display_name": "Again"}),
            409,
            "CONFLICT",
            "Role 'admin' already exists",
        ),
        (
            json!({"name": "retired", "display_name": "Again"}),
            409,
            "CONFLICT",
            "Role 'retired' already exists",
        ),
        (
            json!({"name": "fresh", "display_name": "Fresh", "parent_role": "ghost"}),
            404,
            "RESOURCE_NOT_FOUND",
            "Role not found: ghost",
        ),
        (
            json!({"name": "fresh", "display_name": "Fresh", "parent_role": "retired"}),
            404,
            "RESOURCE_NOT_FOUND",
            "Role not found: retired",
        ),
        (
            json!({"name": "fresh", "display_name": "Fresh", "permissions": ["users:read", "nope:x", "bad:y"]}),
            404,
            "RESOURCE_NOT_FOUND",
            "Permission not found: nope:x",
        ),
    ];
    for (body, status, code, message) in cases {
        app.post(ROLES, Some(&root), body)
            .await
            .assert_error(status, code, message);
    }
    let reply = app
        .post(
            ROLES,
            Some(&root),
            json!({"name": "x", "display_name": "Xy", "permissions": [1]}),
        )
        .await;
    reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
    assert_eq!(
        reply.details(),
        &json!({"name": "String should have at least 2 characters", "permissions.0": "Input should be a valid string"})
    );
    let reply = app.post(ROLES, Some(&root), json!([1])).await;
    assert_eq!(
        reply.details(),
        &json!({"body": "Input should be a valid dictionary or instance of RoleCreateSchema"})
    );
    assert_eq!(role_names(&app, &root).await, before);
}

#[tokio::test]
async fn creating_a_role_with_permissions_the_caller_lacks_is_refused() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (_, token) =
        user_with_permissions(&app, &root, "maker", &["roles:create", "users:read"]).await;
    let body = json!({"name": "sneaky", "display_name": "Sneaky", "permissions": ["users:read", "users:delete"]});
    assert_escalation(
        &app.post(ROLES, Some(&token), body).await,
        GRANT,
        &["users:delete"],
    );
    let body = json!({"name": "sneaky", "display_name": "Sneaky", "parent_role": "moderator"});
    assert_escalation(
        &app.post(ROLES, Some(&token), body).await,
        GRANT,
        &["users:list", "users:update"],
    );
    let body = json!({"name": "sneaky", "display_name": "Sneaky", "permissions": ["*:*"]});
    assert_escalation(&app.post(ROLES, Some(&token), body).await, GRANT, &["*:*"]);
    assert!(
        !role_names(&app, &root)
            .await
            .contains(&"sneaky".to_string())
    );
    let body = json!({"name": "fine", "display_name": "Fine", "permissions": ["users:read"], "parent_role": "user"});
    assert_eq!(app.post(ROLES, Some(&token), body).await.status, 201);
}

#[tokio::test]
async fn getting_a_missing_or_deleted_role_is_404_with_the_quoted_name() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    app.get(&format!("{ROLES}/ghost"), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'ghost' not found");
    create_role(&app, &root, "temp", &[], None).await;
    app.delete(&format!("{ROLES}/temp"), Some(&root)).await;
    app.get(&format!("{ROLES}/temp"), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'temp' not found");
    // `/admin/roles/users` names the role `users`, not the user routes.
    app.get(&format!("{ROLES}/users"), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'users' not found");
    // Percent-encoded names are decoded.
    app.get(&format!("{ROLES}/a%20b"), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Role 'a b' not found");
}
