//! Tests: permissions, a user's permissions and direct grants.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::rbac::*;

fn user_permissions(id: i64) -> String {
    format!("{PERMISSIONS}/users/{id}")
}

#[tokio::test]
async fn listing_permissions_orders_by_resource_then_action_with_pagination_meta() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    for path in [PERMISSIONS.to_string(), format!("{PERMISSIONS}/")] {
        let reply = app.get(&path, Some(&root)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            reply.body["meta"],
            json!({"total": 21, "page": 1, "per_page": 50, "total_pages": 1})
        );
        let listed = names(&reply);
        let mut expected = listed.clone();
        expected.sort_by(|a, b| a.split_once(':').cmp(&b.split_once(':')));
        assert_eq!(listed, expected);
        assert_eq!(listed[0], "*:*");
        assert_eq!(listed.last().map(String::as_str), Some("users:update"));
    }
    let reply = app
        .get(
            &format!("{PERMISSIONS}/?resource=roles&per_page=3&page=3"),
            Some(&root),
        )
        .await;
    assert_eq!(names(&reply), ["roles:revoke", "roles:update"]);
    assert_eq!(
        reply.body["meta"],
        json!({"total": 8, "page": 3, "per_page": 3, "total_pages": 3})
    );
    let reply = app
        .get(&format!("{PERMISSIONS}/?resource="), Some(&root))
        .await;
    assert_eq!(reply.body["meta"]["total"], 21);
    let reply = app
        .get(&format!("{PERMISSIONS}/?per_page=101"), Some(&root))
        .await;
    assert_eq!(
        reply.details(),
        &json!({"per_page": "Input should be less than or equal to 100"})
    );
    delete_permission_raw(&app, "roles:*").await;
    let reply = app
        .get(&format!("{PERMISSIONS}/?resource=roles"), Some(&root))
        .await;
    assert_eq!(reply.body["meta"]["total"], 7);
}

#[tokio::test]
async fn getting_a_permission_returns_its_object_or_a_quoted_404() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let reply = app
        .get(&format!("{PERMISSIONS}/users:read"), Some(&root))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(
        (
            &data["name"],
            &data["resource"],
            &data["action"],
            &data["description"],
            &data["is_deleted"]
        ),
        (
            &json!("users:read"),
            &json!("users"),
            &json!("read"),
            &json!("View user profiles and information"),
            &json!(false)
        )
    );
    assert!(
        data["id"].is_i64() && data["created_at"].is_string() && data["updated_at"].is_string()
    );
    let reply = app
        .get(&format!("{PERMISSIONS}/%2A%3A%2A"), Some(&root))
        .await;
    assert_eq!(reply.body["data"]["name"], "*:*");
    app.get(&format!("{PERMISSIONS}/nope"), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Permission 'nope' not found");
    delete_permission_raw(&app, "users:list").await;
    app.get(&format!("{PERMISSIONS}/users:list"), Some(&root))
        .await
        .assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            "Permission 'users:list' not found",
        );
}

#[tokio::test]
async fn a_users_permissions_split_into_role_direct_and_effective() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (id, _) = app.user_with_role("john_doe", "user").await;
    app.grant_role(id, "moderator").await;
    let reply = app
        .post(
            &user_permissions(id),
            Some(&root),
            json!({"permission": "roles:read"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = app.get(&user_permissions(id), Some(&root)).await;
    assert_eq!(
        reply.body["data"],
        json!({"user_id": id, "username": "john_doe", "roles": ["moderator", "user"],
               "role_permissions": ["users:list", "users:read", "users:update"],
               "direct_permissions": ["roles:read"],
               "effective_permissions": ["roles:read", "users:list", "users:read", "users:update"]})
    );
    app.get(&user_permissions(424_242), Some(&root))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "User with id=424242 not found");
    app.get(&format!("{PERMISSIONS}/users/99999999999"), Some(&root))
        .await
        .assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            "User with id=99999999999 not found",
        );
}

#[tokio::test]
async fn granting_a_direct_permission_persists_grantor_and_reason() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (id, _) = app.user("john_doe").await;
    let body = json!({"permission": "  Users:Delete ", "reason": "cleanup duty"});
    let reply = app.post(&user_permissions(id), Some(&root), body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["data"],
        json!({"message": "Permission 'users:delete' granted to user 'john_doe'"})
    );
    let grants =
        warden::store::permissions::direct_grants(&app.state.db, i32::try_from(id).expect("id"))
            .await
            .expect("query");
    let root_user = warden::store::users::find_live_by_username(&app.state.db, "root")
        .await
        .expect("q")
        .expect("root");
    assert_eq!(grants.len(), 1);
    assert_eq!(
        (
            grants[0].permission.as_str(),
            grants[0].granted_by,
            grants[0].reason.as_deref()
        ),
        ("users:delete", Some(root_user.id), Some("cleanup duty"))
    );
    app.post(
        &user_permissions(id),
        Some(&root),
        json!({"permission": "users:delete"}),
    )
    .await
    .assert_error(
        400,
        "BAD_REQUEST",
        "User already has direct permission 'users:delete'",
    );
    app.post(
        &user_permissions(id),
        Some(&root),
        json!({"permission": "Nope:X"}),
    )
    .await
    .assert_error(404, "RESOURCE_NOT_FOUND", "Permission 'nope:x' not found");
    app.post(
        &user_permissions(999_999),
        Some(&root),
        json!({"permission": "nope:x"}),
    )
    .await
    .assert_error(404, "RESOURCE_NOT_FOUND", "User with id=999999 not found");
    let reply = app
        .post(
            &user_permissions(id),
            Some(&root),
            json!({"permission": "users", "reason": 5}),
        )
        .await;
    assert_eq!(
        reply.details(),
        &json!({"permission": "Value error, Permission must be in 'resource:action' format",
                "reason": "Input should be a valid string"})
    );
    let reply = app
        .post(&user_permissions(id), Some(&root), json!("x"))
        .await;
    assert_eq!(
        reply.details(),
        &json!({"body": "Input should be a valid dictionary or instance of DirectPermissionGrantSchema"})
    );
    let after =
        warden::store::permissions::direct_grants(&app.state.db, i32::try_from(id).expect("id"))
            .await
            .expect("q");
    assert_eq!(after.len(), 1);
}

#[tokio::test]
async fn revoking_a_direct_permission_uses_the_path_value_as_is() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (id, _) = app.user("john_doe").await;
    app.post(
        &user_permissions(id),
        Some(&root),
        json!({"permission": "users:delete"}),
    )
    .await;
    let path = |name: &str| format!("{}/{name}", user_permissions(id));
    app.delete(&path("Users:Delete"), Some(&root))
        .await
        .assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            "Permission 'Users:Delete' not found",
        );
    app.delete(&path("users:list"), Some(&root))
        .await
        .assert_error(
            400,
            "BAD_REQUEST",
            "User doesn't have direct permission 'users:list'",
        );
    let reply = app.delete(&path("users:delete"), Some(&root)).await;
    assert_eq!(
        reply.body["data"],
        json!({"message": "Permission 'users:delete' revoked from user 'john_doe'"})
    );
    app.delete(&path("users:delete"), Some(&root))
        .await
        .assert_error(
            400,
            "BAD_REQUEST",
            "User doesn't have direct permission 'users:delete'",
        );
    app.delete(
        &format!("{PERMISSIONS}/users/999999/users:delete"),
        Some(&root),
    )
    .await
    .assert_error(404, "RESOURCE_NOT_FOUND", "User with id=999999 not found");
}

#[tokio::test]
async fn direct_grants_and_revocations_require_holding_the_permission() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (_, token) = user_with_permissions(
        &app,
        &root,
        "granter",
        &[
            "permissions:assign",
            "permissions:revoke",
            "users:read",
            "users:*",
        ],
    )
    .await;
    let (id, _) = app.user("john_doe").await;
    let grant = |p: &str| json!({"permission": p});
    assert_escalation(
        &app.post(&user_permissions(id), Some(&token), grant("*:*"))
            .await,
        GRANT,
        &["*:*"],
    );
    assert_escalation(
        &app.post(&user_permissions(id), Some(&token), grant("roles:*"))
            .await,
        GRANT,
        &["roles:*"],
    );
    let reply = app
        .post(&user_permissions(id), Some(&token), grant("users:delete"))
        .await;
    assert_eq!(
        reply.status, 200,
        "users:* covers users:delete: {}",
        reply.text
    );
    app.post(&user_permissions(id), Some(&root), grant("roles:read"))
        .await;
    let reply = app
        .delete(
            &format!("{}/roles:read", user_permissions(id)),
            Some(&token),
        )
        .await;
    assert_escalation(&reply, REVOKE, &["roles:read"]);
    let direct =
        &app.get(&user_permissions(id), Some(&root)).await.body["data"]["direct_permissions"];
    assert_eq!(direct, &json!(["roles:read", "users:delete"]));
}
