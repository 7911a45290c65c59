//! Listing and revoking sessions: one's own, and another user's with `users:read` /
//! `users:update` and the target guard.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app};

fn ids(body: &Value) -> Vec<String> {
    body["data"]["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn the_caller_sees_their_live_sessions_newest_first_with_the_current_one_marked() {
    let app = spawn_app().await;
    let (_, first) = app.user("sam").await;
    let (second, _) = app.login("sam@example.com", PASSWORD).await;
    app.post("/api/v1/auth/logout", Some(&first), json!({}))
        .await;
    let reply = app.get("/api/v1/auth/sessions/", Some(&second)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let sessions = reply.body["data"]["sessions"].as_array().expect("list");
    assert_eq!(sessions.len(), 1, "the logged-out session is not live");
    let session = &sessions[0];
    assert_eq!(session["current"], true);
    assert_eq!(session["ip_address"], "127.0.0.1");
    assert!(session["refreshed_at"].is_null());
    let keys: Vec<&str> = session
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "current",
            "expires_at",
            "id",
            "ip_address",
            "refreshed_at",
            "user_agent"
        ]
    );
    let unslashed = app.get("/api/v1/auth/sessions", Some(&second)).await;
    assert_eq!(ids(&unslashed.body), ids(&reply.body));
    app.get("/api/v1/auth/sessions/", None).await.assert_error(
        401,
        "UNAUTHORIZED",
        "Authorization token required",
    );
}

#[tokio::test]
async fn one_session_can_be_revoked_but_not_another_users_or_a_non_uuid() {
    let app = spawn_app().await;
    let (_, mine) = app.user("ann").await;
    let (other, _) = app.login("ann@example.com", PASSWORD).await;
    let (_, theirs) = app.user("bob").await;
    let listed = app.get("/api/v1/auth/sessions/", Some(&mine)).await;
    let other_id = listed.body["data"]["sessions"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["current"] == false)
        .and_then(|s| s["id"].as_str())
        .expect("the other session")
        .to_string();
    // Bob cannot end Ann's session, and cannot tell it exists.
    app.delete(&format!("/api/v1/auth/sessions/{other_id}"), Some(&theirs))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Session not found");
    app.delete("/api/v1/auth/sessions/not-a-uuid", Some(&mine))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Session not found");
    assert_eq!(app.get("/api/v1/auth/me", Some(&other)).await.status, 200);
    let revoked = app
        .delete(&format!("/api/v1/auth/sessions/{other_id}"), Some(&mine))
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.body["data"], json!({"message": "Session revoked"}));
    app.get("/api/v1/auth/me", Some(&other)).await.assert_error(
        401,
        "TOKEN_INVALID",
        "Token has been revoked",
    );
    // Already revoked: 404.
    app.delete(&format!("/api/v1/auth/sessions/{other_id}"), Some(&mine))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "Session not found");
}

#[tokio::test]
async fn revoking_the_others_keeps_the_current_session() {
    let app = spawn_app().await;
    let (_, a) = app.user("cleo").await;
    let (b, _) = app.login("cleo@example.com", PASSWORD).await;
    let (c, _) = app.login("cleo@example.com", PASSWORD).await;
    let reply = app.delete("/api/v1/auth/sessions/", Some(&c)).await;
    assert_eq!(
        reply.body["data"],
        json!({"message": "Other sessions revoked", "sessions_revoked": 2})
    );
    assert_eq!(app.get("/api/v1/auth/me", Some(&c)).await.status, 200);
    for old in [&a, &b] {
        assert_eq!(app.get("/api/v1/auth/me", Some(old)).await.status, 401);
    }
    let again = app.delete("/api/v1/auth/sessions", Some(&c)).await;
    assert_eq!(again.body["data"]["sessions_revoked"], 0);
}

#[tokio::test]
async fn another_users_sessions_need_users_read_to_list_and_users_update_to_revoke() {
    let app = spawn_app().await;
    let (target, target_token) = app.user("tina").await;
    let (_, nobody) = app.user("nick").await;
    let (_, reader) = app.user_with_role("rhea", "user").await;
    let (_, admin) = app.user_with_role("adam", "admin").await;
    let path = format!("/api/v1/users/{target}/sessions");

    let denied = app.get(&path, Some(&nobody)).await;
    denied.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    assert_eq!(
        denied.details(),
        &json!({"required_permissions": ["users:read"], "require_all": false})
    );
    // Checked before the lookup: an unknown id is 403 too without the permission.
    app.get("/api/v1/users/999999/sessions", Some(&nobody))
        .await
        .assert_error(403, "FORBIDDEN", "Insufficient permissions");
    let listed = app.get(&path, Some(&reader)).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let sessions = listed.body["data"]["sessions"].as_array().expect("list");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["current"], false, "not the caller's session");
    app.get("/api/v1/users/999999/sessions", Some(&reader))
        .await
        .assert_error(404, "RESOURCE_NOT_FOUND", "User with id=999999 not found");
    let own = app.get(&path, Some(&target_token)).await;
    assert_eq!(own.body["data"]["sessions"][0]["current"], true);

    let refused = app.delete(&path, Some(&reader)).await;
    refused.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    assert_eq!(
        refused.details(),
        &json!({"required_permissions": ["users:update"], "require_all": false})
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&target_token)).await.status,
        200
    );
    let revoked = app.delete(&path, Some(&admin)).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(
        revoked.body["data"],
        json!({"message": "Sessions revoked", "sessions_revoked": 1})
    );
    app.get("/api/v1/auth/me", Some(&target_token))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
}

#[tokio::test]
async fn revoking_a_more_privileged_users_sessions_is_stopped_by_the_target_guard() {
    let app = spawn_app().await;
    let (boss, boss_token) = app.user_with_role("boss", "super_admin").await;
    let (_, admin) = app.user_with_role("ada", "admin").await;
    let reply = app
        .delete(&format!("/api/v1/users/{boss}/sessions"), Some(&admin))
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(reply.code(), "FORBIDDEN");
    assert_eq!(reply.details()["require_all"], true);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&boss_token)).await.status,
        200
    );
}

#[tokio::test]
async fn a_user_may_end_all_their_own_sessions_the_current_one_included() {
    let app = spawn_app().await;
    let (id, token) = app.user("solo").await;
    let reply = app
        .delete(&format!("/api/v1/users/{id}/sessions"), Some(&token))
        .await;
    assert_eq!(reply.body["data"]["sessions_revoked"], 1, "{}", reply.text);
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status, 401);
}

#[tokio::test]
async fn the_account_routes_answers_validate_against_the_openapi_document() {
    use crate::docs::assert_documented;
    let app = spawn_app().await;
    let doc = warden::http::openapi::document();
    let check = |method: &str, path: &str, reply: &crate::helpers::Reply| {
        assert_documented(&doc, method, path, reply)
    };
    let (id, token) = app.user("docs").await;
    let (other, _) = app.login("docs@example.com", PASSWORD).await;
    let sessions = "/api/v1/auth/sessions/";
    check("get", sessions, &app.get(sessions, Some(&token)).await);
    check(
        "get",
        "/api/v1/users/{user_id}/sessions",
        &app.get(&format!("/api/v1/users/{id}/sessions"), Some(&token))
            .await,
    );
    check(
        "delete",
        "/api/v1/auth/sessions/{session_id}",
        &app.delete("/api/v1/auth/sessions/nope", Some(&token)).await,
    );
    check(
        "delete",
        sessions,
        &app.delete(sessions, Some(&token)).await,
    );
    let _ = other;
    for (path, body) in [
        (
            "/api/v1/auth/password/forgot",
            json!({"email": "docs@example.com"}),
        ),
        (
            "/api/v1/auth/email/verify/request",
            json!({"email": "docs@example.com"}),
        ),
        ("/api/v1/auth/password/forgot", json!({})),
        (
            "/api/v1/auth/password/reset",
            json!({"token": "x", "new_password": "Password1234"}),
        ),
        ("/api/v1/auth/email/verify", json!({"token": "x"})),
    ] {
        check("post", path, &app.post(path, None, body).await);
    }
    let change = "/api/v1/auth/password/change";
    check(
        "post",
        change,
        &app.post(
            change,
            Some(&token),
            json!({"current_password": "wrong", "new_password": "Password1234"}),
        )
        .await,
    );
    check(
        "post",
        change,
        &app.post(
            change,
            Some(&token),
            json!({"current_password": PASSWORD, "new_password": "Password1234"}),
        )
        .await,
    );
    check(
        "delete",
        "/api/v1/users/{user_id}/sessions",
        &app.delete(&format!("/api/v1/users/{id}/sessions"), Some(&token))
            .await,
    );
}

#[tokio::test]
async fn the_account_routes_have_their_own_rate_limits() {
    let app = crate::helpers::spawn_app_with(&[
        ("RATE_LIMIT_PASSWORD_FORGOT", "2 per minute"),
        ("RATE_LIMIT_EMAIL_VERIFY", "1 per minute"),
    ])
    .await;
    let forgot = || {
        app.post(
            "/api/v1/auth/password/forgot",
            None,
            json!({"email": "a@example.com"}),
        )
    };
    assert_eq!(forgot().await.status, 202);
    assert_eq!(forgot().await.header("ratelimit-limit"), Some("2"));
    forgot().await.assert_error(
        429,
        "RATE_LIMIT_EXCEEDED",
        "Too many requests. Please try again later.",
    );
    let verify = app
        .post(
            "/api/v1/auth/email/verify/request",
            None,
            json!({"email": "a@example.com"}),
        )
        .await;
    assert_eq!(verify.header("ratelimit-limit"), Some("1"));
    assert_eq!(
        app.post(
            "/api/v1/auth/email/verify/request",
            None,
            json!({"email": "a@example.com"})
        )
        .await
        .status,
        429
    );
}
