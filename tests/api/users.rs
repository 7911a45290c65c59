//! Tests: /users — listing, reading, updating, deleting, and who may do what.

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn listing_needs_users_list_and_paginates() {
    let app = spawn_app().await;
    let (_, plain) = app.user("plain").await;
    let forbidden = app.get("/api/v1/users/", Some(&plain)).await;
    forbidden.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    assert_eq!(
        forbidden.details(),
        &json!({"required_permissions": ["users:list"], "require_all": false})
    );
    let (_, moderator) = app.user_with_role("mod", "moderator").await;
    for name in ["user_a", "user_b", "user_c"] {
        app.register(name).await;
    }
    let page = app
        .get("/api/v1/users?page=2&per_page=2", Some(&moderator))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        page.body["meta"],
        json!({"count": 2, "total": 5, "page": 2, "per_page": 2, "total_pages": 3, "api_version": "v1"})
    );
    let ids: Vec<i64> = page.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let past_end = app
        .get("/api/v1/users/?page=999999999999", Some(&moderator))
        .await;
    assert_eq!(
        (past_end.status, past_end.body["data"].clone()),
        (200, json!([]))
    );
    let cases = [
        (
            "per_page=101",
            "per_page",
            "Input should be less than or equal to 100",
        ),
        (
            "per_page=0",
            "per_page",
            "Input should be greater than or equal to 1",
        ),
        (
            "page=abc",
            "page",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "include_deleted=maybe",
            "include_deleted",
            "Input should be a valid boolean, unable to interpret input",
        ),
    ];
    for (query, key, message) in cases {
        let reply = app
            .get(&format!("/api/v1/users/?{query}"), Some(&moderator))
            .await;
        assert_eq!(
            (reply.status, reply.details()[key].as_str()),
            (422, Some(message)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn anonymous_requests_to_protected_routes_are_401_before_validation() {
    let app = spawn_app().await;
    app.get("/api/v1/users/?per_page=500", None)
        .await
        .assert_error(401, "UNAUTHORIZED", "Authorization token required");
    app.put("/api/v1/users/1", None, json!({}))
        .await
        .assert_error(401, "UNAUTHORIZED", "Authorization token required");
}

#[tokio::test]
async fn users_read_themselves_but_not_others_without_permission() {
    let app = spawn_app().await;
    let (alice, alice_token) = app.user("alice").await;
    let (bob, _) = app.user("bob").await;
    assert_eq!(
        app.get(&format!("/api/v1/users/{alice}"), Some(&alice_token))
            .await
            .status,
        200
    );
    // Leading zeros address the same id.
    assert_eq!(
        app.get(&format!("/api/v1/users/000{alice}"), Some(&alice_token))
            .await
            .status,
        200
    );
    let reply = app
        .get(&format!("/api/v1/users/{bob}"), Some(&alice_token))
        .await;
    reply.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    // Without the permission a missing id is also 403, so ids cannot be probed.
    app.get("/api/v1/users/99999", Some(&alice_token))
        .await
        .assert_error(403, "FORBIDDEN", "Insufficient permissions");
    let (_, reader) = app.user_with_role("reader", "user").await;
    app.get("/api/v1/users/0099999", Some(&reader))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "User with id=99999 not found");
    app.get("/api/v1/users/99999999999999", Some(&reader))
        .await
        .assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            "User with id=99999999999999 not found",
        );
    let zero = app.get("/api/v1/users/0", Some(&reader)).await;
    assert_eq!(
        (zero.status, zero.details().clone()),
        (
            422,
            json!({"user_id": "Input should be greater than or equal to 1"})
        )
    );
}

#[tokio::test]
async fn idor_attempts_change_nothing() {
    let app = spawn_app().await;
    let (_, mallory) = app.user("mallory").await;
    let (victim, victim_token) = app.user("victim").await;
    let path = format!("/api/v1/users/{victim}");
    app.put(&path, Some(&mallory), json!({"first_name": "Pwned"}))
        .await
        .assert_error(403, "FORBIDDEN", "Insufficient permissions");
    app.put(&path, Some(&mallory), json!({"is_active": false}))
        .await
        .assert_error(403, "FORBIDDEN", "Insufficient permissions");
    app.delete(&path, Some(&mallory)).await.assert_error(
        403,
        "FORBIDDEN",
        "Insufficient permissions",
    );
    let me = app.get("/api/v1/auth/me", Some(&victim_token)).await;
    assert_eq!(
        (me.status, me.body["data"]["first_name"].as_str()),
        (200, Some("Test"))
    );
    assert_eq!(me.body["data"]["is_active"], true);
}

#[tokio::test]
async fn users_update_their_own_profile_but_not_their_active_flag() {
    let app = spawn_app().await;
    let (id, token) = app.user("self").await;
    let path = format!("/api/v1/users/{id}");
    let reply = app
        .put(&path, Some(&token), json!({"first_name": "  johnny ", "middle_name": null, "bio": "Updated bio", "username": "ignored"}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(
        (data["message"].as_str(), data["first_name"].as_str()),
        (Some("User updated successfully"), Some("Johnny"))
    );
    assert_eq!(
        (data["bio"].as_str(), data["username"].as_str()),
        (Some("Updated bio"), Some("self"))
    );
    let own_flag = app
        .put(&path, Some(&token), json!({"is_active": true}))
        .await;
    own_flag.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    assert_eq!(
        own_flag.details(),
        &json!({"required_permissions": ["users:update"], "require_all": false})
    );
}

#[tokio::test]
async fn update_validation_messages_follow_the_contract() {
    let app = spawn_app().await;
    let (id, token) = app.user("val").await;
    let path = format!("/api/v1/users/{id}");
    let cases = [
        (
            json!({}),
            "body",
            "Value error, At least one field must be provided for update",
        ),
        (
            json!({"username": "x"}),
            "body",
            "Value error, At least one field must be provided for update",
        ),
        (
            json!({"first_name": null}),
            "first_name",
            "Input should be a valid string",
        ),
        (
            json!({"first_name": ""}),
            "first_name",
            "String should have at least 1 character",
        ),
        (
            json!({"is_active": null}),
            "is_active",
            "Input should be a valid boolean",
        ),
        (
            json!({"is_active": 2}),
            "is_active",
            "Input should be a valid boolean, unable to interpret input",
        ),
        (
            json!({"bio": "b".repeat(501)}),
            "bio",
            "String should have at most 500 characters",
        ),
    ];
    for (body, key, message) in cases {
        let reply = app.put(&path, Some(&token), body.clone()).await;
        assert_eq!(
            (reply.status, reply.details()[key].as_str()),
            (422, Some(message)),
            "{body}"
        );
    }
    let unchanged = app.get(&path, Some(&token)).await;
    assert_eq!(unchanged.body["data"]["first_name"], "Test");
}

#[tokio::test]
async fn updated_at_moves_only_when_something_changed() {
    let app = spawn_app().await;
    let (id, token) = app.user("stamp").await;
    let path = format!("/api/v1/users/{id}");
    let before = app.get(&path, Some(&token)).await.body["data"]["updated_at"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let same = app
        .put(&path, Some(&token), json!({"first_name": "Test"}))
        .await;
    assert_eq!(same.body["data"]["updated_at"], before);
    let changed = app
        .put(&path, Some(&token), json!({"first_name": "Other"}))
        .await;
    assert_ne!(changed.body["data"]["updated_at"], before);
}

#[tokio::test]
async fn the_target_guard_protects_more_privileged_accounts() {
    let app = spawn_app().await;
    let (root, root_token) = app.user_with_role("root", "super_admin").await;
    let (admin, admin_token) = app.user_with_role("admin1", "admin").await;
    let (_, moderator) = app.user_with_role("mod1", "moderator").await;
    let deactivate = app
        .put(
            &format!("/api/v1/users/{root}"),
            Some(&admin_token),
            json!({"is_active": false}),
        )
        .await;
    deactivate.assert_error(
        403,
        "FORBIDDEN",
        "Cannot manage a user who holds permissions you do not hold",
    );
    assert_eq!(
        deactivate.details(),
        &json!({"required_permissions": ["*:*"], "require_all": true})
    );
    app.delete(&format!("/api/v1/users/{root}"), Some(&admin_token))
        .await
        .assert_error(
            403,
            "FORBIDDEN",
            "Cannot manage a user who holds permissions you do not hold",
        );
    let reply = app
        .put(
            &format!("/api/v1/users/{admin}"),
            Some(&moderator),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.details()["require_all"], true);
    // Nothing changed for the protected accounts.
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&root_token)).await.status,
        200
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&admin_token)).await.status,
        200
    );
    // A plain user is fair game for a moderator's profile edit and deactivation.
    let (plain, _) = app.user_with_role("plain", "user").await;
    assert_eq!(
        app.put(
            &format!("/api/v1/users/{plain}"),
            Some(&moderator),
            json!({"is_active": false})
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn soft_delete_revokes_sessions_and_hides_the_user() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role("chief", "admin").await;
    let (id, token) = app.user("goner").await;
    let reply = app
        .delete(&format!("/api/v1/users/{id}"), Some(&admin))
        .await;
    assert_eq!(
        (reply.status, &reply.body["data"]),
        (
            200,
            &json!({"message": format!("User {id} deleted successfully")})
        )
    );
    app.get("/api/v1/auth/me", Some(&token)).await.assert_error(
        401,
        "UNAUTHORIZED",
        "User not found",
    );
    app.get(&format!("/api/v1/users/{id}"), Some(&admin))
        .await
        .assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("User with id={id} not found"),
        );
    app.delete(&format!("/api/v1/users/{id}"), Some(&admin))
        .await
        .assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("User with id={id} not found"),
        );
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "goner@example.com", "password": PASSWORD}),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
    let visible = app.get("/api/v1/users/?per_page=100", Some(&admin)).await;
    assert!(
        visible.body["data"]
            .as_array()
            .expect("list")
            .iter()
            .all(|u| u["id"].as_i64() != Some(id))
    );
    let all = app
        .get(
            "/api/v1/users/?include_deleted=true&per_page=100",
            Some(&admin),
        )
        .await;
    let deleted = all.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["id"].as_i64() == Some(id))
        .cloned();
    assert_eq!(deleted.map(|u| u["is_deleted"].clone()), Some(json!(true)));
    // The name stays reserved.
    app.post("/api/v1/auth/register", None, json!({"username": "goner", "email": "new@example.com", "password": PASSWORD, "first_name": "G"}))
        .await
        .assert_error(409, "RESOURCE_ALREADY_EXISTS", "Username already exists");
}

#[tokio::test]
async fn users_may_delete_themselves() {
    let app = spawn_app().await;
    let (id, token) = app.user("quitter").await;
    assert_eq!(
        app.delete(&format!("/api/v1/users/{id}"), Some(&token))
            .await
            .status,
        200
    );
    app.get("/api/v1/auth/me", Some(&token)).await.assert_error(
        401,
        "UNAUTHORIZED",
        "User not found",
    );
}
