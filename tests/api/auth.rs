//! Tests: registration, login, tokens (every token check), refresh rotation, logout, /me.

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

const TEST_SECRET: &str = "dev-secret-key-change-in-production";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn forge(claims: &Value, secret: &str, alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("encode")
}

/// Valid-looking access claims for `user_id` in session `sid`.
fn claims(user_id: i64, sid: &str) -> Value {
    let iat = now();
    json!({"sub": user_id.to_string(), "type": "access", "jti": uuid::Uuid::new_v4().to_string(), "sid": sid,
           "iat": iat, "nbf": iat, "exp": iat + 900, "fresh": false, "username": "x", "email": "x@example.com"})
}

fn session_of(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("payload");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("b64");
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    value["sid"].as_str().expect("sid").to_string()
}

#[tokio::test]
async fn registration_returns_the_normalised_user_without_a_role() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "  New_User ", "email": " New.User@Example.COM ", "password": " Password123 ",
                   "first_name": "new", "middle_name": "o'brien", "last_name": "mcDONALD", "bio": "  hi  "}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(data["message"], "User created successfully");
    assert_eq!(data["username"], "new_user");
    assert_eq!(data["email"], "New.User@example.com");
    assert_eq!(
        (data["first_name"].as_str(), data["middle_name"].as_str()),
        (Some("New"), Some("O'Brien"))
    );
    assert_eq!(
        (data["last_name"].as_str(), data["bio"].as_str()),
        (Some("Mcdonald"), Some("hi"))
    );
    assert_eq!(
        (data["is_active"].as_bool(), data["is_deleted"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(data.get("password_hash").is_none() && !reply.text.contains("argon2"));
    let created = data["created_at"].as_str().expect("created_at");
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    // The stored password was stripped at registration; login does not strip.
    app.login("New.User@example.com", "Password123").await;
    // No default role: reading another user is forbidden.
    let (_, token) = app.user("other").await;
    let id = data["id"].as_i64().expect("id");
    let forbidden = app.get(&format!("/api/v1/users/{id}"), Some(&token)).await;
    forbidden.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    assert_eq!(
        forbidden.details(),
        &json!({"required_permissions": ["users:read"], "require_all": false})
    );
}

#[tokio::test]
async fn registration_validation_reports_every_field_once() {
    let app = spawn_app().await;
    let reply = app
        .post("/api/v1/auth/register", None, json!({"username": "ab", "email": "invalid-email", "password": "weak", "first_name": ""}))
        .await;
    reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
    assert_eq!(
        reply.details(),
        &json!({"username": "String should have at least 3 characters",
                "email": "value is not a valid email address: The email address is not valid. It must have exactly one @-sign.",
                "password": "String should have at least 8 characters",
                "first_name": "String should have at least 1 character"})
    );
    let cases = [
        (
            json!({"username": "bad name!", "email": "a@example.com", "password": PASSWORD, "first_name": "A"}),
            "username",
            "String should match pattern '^[a-zA-Z0-9_]+$'",
        ),
        (
            json!({"username": "okname", "email": "a@example.com", "password": "password123", "first_name": "A"}),
            "password",
            "Value error, Password must contain at least one uppercase letter",
        ),
        (
            json!({"username": "okname", "email": "a@example.com", "password": "PASSWORD123", "first_name": "A"}),
            "password",
            "Value error, Password must contain at least one lowercase letter",
        ),
        (
            json!({"username": "okname", "email": "a@example.com", "password": "Passwordxx", "first_name": "A"}),
            "password",
            "Value error, Password must contain at least one digit",
        ),
        (
            json!({"username": 5, "email": "a@example.com", "password": PASSWORD, "first_name": "A"}),
            "username",
            "Input should be a valid string",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "first_name": "A"}),
            "username",
            "Field required",
        ),
        (
            json!({"username": "okname", "email": "a@foo.localhost", "password": PASSWORD, "first_name": "A"}),
            "email",
            "value is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be used with email.",
        ),
        (
            json!({"username": "okname", "email": format!("a@{}.{}.com", "b".repeat(60), "c".repeat(60)), "password": PASSWORD, "first_name": "A"}),
            "email",
            "String should have at most 120 characters",
        ),
    ];
    for (body, field, message) in cases {
        let reply = app.post("/api/v1/auth/register", None, body.clone()).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(reply.details()[field], message, "{body}");
    }
    // Nothing was created by any of the refused requests.
    assert_eq!(
        warden::store::users::count(&app.state.db, true)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn duplicate_username_or_email_is_409_even_case_insensitively() {
    let app = spawn_app().await;
    app.register("taken").await;
    let same_name = app
        .post("/api/v1/auth/register", None, json!({"username": "TAKEN", "email": "new@example.com", "password": PASSWORD, "first_name": "A"}))
        .await;
    same_name.assert_error(409, "RESOURCE_ALREADY_EXISTS", "Username already exists");
    let same_email = app
        .post("/api/v1/auth/register", None, json!({"username": "fresh", "email": "TAKEN@EXAMPLE.COM", "password": PASSWORD, "first_name": "A"}))
        .await;
    same_email.assert_error(409, "RESOURCE_ALREADY_EXISTS", "Email already exists");
}

#[tokio::test]
async fn default_roles_are_assigned_and_unknown_ones_skipped() {
    let app = spawn_app_with(&[("DEFAULT_ROLES", "user, no_such_role")]).await;
    let (a, _) = app.user("first").await;
    let (_, token) = app.user("second").await;
    assert_eq!(
        app.get(&format!("/api/v1/users/{a}"), Some(&token))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn login_returns_tokens_and_the_user() {
    let app = spawn_app().await;
    let id = app.register("john").await;
    let reply = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": " JOHN@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(
        (data["message"].as_str(), data["token_type"].as_str()),
        (Some("Login successful"), Some("Bearer"))
    );
    assert_eq!(data["user"]["id"].as_i64(), Some(id));
    let me = app
        .get("/api/v1/auth/me", data["access_token"].as_str())
        .await;
    assert_eq!(
        (me.status, me.body["data"]["username"].as_str()),
        (200, Some("john"))
    );
    assert!(me.body["data"].get("message").is_none());
}

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_identically() {
    let app = spawn_app().await;
    app.register("victim").await;
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "victim@example.com", "password": "Nope12345"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "ghost@example.com", "password": "Nope12345"}),
        )
        .await;
    for reply in [&wrong, &unknown] {
        reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
    }
    let strip = |v: &Value| {
        let mut v = v.clone();
        v["meta"] = Value::Null;
        v
    };
    assert_eq!(strip(&wrong.body), strip(&unknown.body));
    let empty = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "victim@example.com", "password": ""}),
        )
        .await;
    assert_eq!(
        empty.details(),
        &json!({"password": "String should have at least 1 character"})
    );
}

#[tokio::test]
async fn the_token_table_rows_answer_in_order() {
    let app = spawn_app().await;
    let id = app.register("tok").await;
    let (access, refresh) = app.login("tok@example.com", PASSWORD).await;
    let sid = session_of(&access);
    let me = |header: Option<String>| {
        let mut request = app.client.get(app.url("/api/v1/auth/me"));
        if let Some(h) = header {
            request = request.header("authorization", h);
        }
        async move { crate::helpers::Reply::from(request.send().await.expect("sent")).await }
    };
    for header in [
        None,
        Some(String::new()),
        Some("   ".into()),
        Some(format!("Basic {access}")),
        Some(format!("bearer {access}")),
    ] {
        me(header)
            .await
            .assert_error(401, "UNAUTHORIZED", "Authorization token required");
    }
    for header in [
        "Bearer".to_string(),
        format!("Bearer {access} extra"),
        format!("BearerX {access}"),
    ] {
        me(Some(header))
            .await
            .assert_error(401, "TOKEN_INVALID", "Invalid token");
    }
    let mut tampered = access.clone();
    tampered.push('x');
    let mut numeric_sub = claims(id, &sid);
    numeric_sub["sub"] = json!(id);
    let mut no_sid = claims(id, &sid);
    no_sid.as_object_mut().expect("object").remove("sid");
    let mut future_nbf = claims(id, &sid);
    future_nbf["nbf"] = json!(now() + 600);
    let alg_none = format!(
        "{}.{}.",
        base64_url(br#"{"alg":"none","typ":"JWT"}"#),
        base64_url(claims(id, &sid).to_string().as_bytes())
    );
    let invalid = [
        "not.a.token".to_string(),
        tampered,
        forge(&claims(id, &sid), "another-secret", Algorithm::HS256),
        forge(&claims(id, &sid), TEST_SECRET, Algorithm::HS512),
        alg_none,
        forge(&numeric_sub, TEST_SECRET, Algorithm::HS256),
        forge(&no_sid, TEST_SECRET, Algorithm::HS256),
        forge(&future_nbf, TEST_SECRET, Algorithm::HS256),
    ];
    for token in invalid {
        me(Some(format!("Bearer {token}"))).await.assert_error(
            401,
            "TOKEN_INVALID",
            "Invalid token",
        );
    }
    let mut expired = claims(id, &sid);
    expired["exp"] = json!(now() - 10);
    me(Some(format!(
        "Bearer {}",
        forge(&expired, TEST_SECRET, Algorithm::HS256)
    )))
    .await
    .assert_error(401, "TOKEN_EXPIRED", "Token has expired");
    me(Some(format!("Bearer {refresh}")))
        .await
        .assert_error(401, "TOKEN_INVALID", "Invalid token");
    let wrong_kind = app
        .post("/api/v1/auth/refresh", Some(&access), json!({}))
        .await;
    wrong_kind.assert_error(401, "TOKEN_INVALID", "Invalid token");
    let unknown_user = forge(&claims(999_999, &sid), TEST_SECRET, Algorithm::HS256);
    me(Some(format!("Bearer {unknown_user}")))
        .await
        .assert_error(401, "UNAUTHORIZED", "User not found");
    let unknown_session = forge(
        &claims(id, &uuid::Uuid::new_v4().to_string()),
        TEST_SECRET,
        Algorithm::HS256,
    );
    me(Some(format!("Bearer {unknown_session}")))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    // A session belonging to someone else does not authenticate this user.
    let other = app.register("other").await;
    let borrowed = forge(&claims(other, &sid), TEST_SECRET, Algorithm::HS256);
    me(Some(format!("Bearer {borrowed}"))).await.assert_error(
        401,
        "TOKEN_INVALID",
        "Token has been revoked",
    );
    // The genuine token still works.
    assert_eq!(me(Some(format!("Bearer {access}"))).await.status, 200);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn refresh_rotates_and_a_replay_revokes_the_session() {
    let app = spawn_app().await;
    app.register("rot").await;
    let (access, refresh) = app.login("rot@example.com", PASSWORD).await;
    let first = app
        .post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["data"]["message"], "Token refreshed");
    assert!(first.body["data"].get("user").is_none());
    let new_refresh = first.body["data"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let new_access = first.body["data"]["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    assert_ne!(new_refresh, refresh);
    assert_eq!(session_of(&new_access), session_of(&access));
    // The access token issued before the rotation stays valid.
    assert_eq!(app.get("/api/v1/auth/me", Some(&access)).await.status, 200);
    let replay = app
        .post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await;
    replay.assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    for token in [&access, &new_access] {
        app.get("/api/v1/auth/me", Some(token)).await.assert_error(
            401,
            "TOKEN_INVALID",
            "Token has been revoked",
        );
    }
    app.post("/api/v1/auth/refresh", Some(&new_refresh), json!({}))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("m")
        .text()
        .await
        .expect("t");
    assert!(
        metrics.contains("warden_sessions_revoked_total{reason=\"refresh_reuse\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("warden_auth_failures_total{reason=\"refresh_reuse\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_succeed_at_most_once() {
    let app = spawn_app().await;
    app.register("racer").await;
    let (_, refresh) = app.login("racer@example.com", PASSWORD).await;
    let attempts = (0..10).map(|_| {
        let request = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .bearer_auth(&refresh);
        async move { request.send().await.expect("sent").status().as_u16() }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn logout_revokes_both_tokens_of_the_session() {
    let app = spawn_app().await;
    app.register("leaver").await;
    let (access, refresh) = app.login("leaver@example.com", PASSWORD).await;
    let (other_access, _) = app.login("leaver@example.com", PASSWORD).await;
    let reply = app
        .post(
            "/api/v1/auth/logout",
            Some(&access),
            json!({"ignored": true}),
        )
        .await;
    assert_eq!(
        (reply.status, &reply.body["data"]),
        (200, &json!({"message": "Logout successful"}))
    );
    app.get("/api/v1/auth/me", Some(&access))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    app.post("/api/v1/auth/logout", Some(&access), json!({}))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    app.post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    // Another session of the same user is untouched.
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&other_access)).await.status,
        200
    );
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_create_exactly_one_account() {
    let app = spawn_app().await;
    let variants = [
        "dup@example.com",
        "DUP@example.com",
        "Dup@Example.com",
        "dUp@example.COM",
        "duP@EXAMPLE.com",
    ];
    let attempts = (0..30).map(|i| {
        let body = json!({"username": format!("dup{i}"), "email": variants[i % variants.len()], "password": PASSWORD, "first_name": "D"});
        let request = app.client.post(app.url("/api/v1/auth/register")).json(&body);
        async move { request.send().await.expect("sent").status().as_u16() }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn deactivated_users_cannot_log_in_or_use_tokens() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role("boss", "admin").await;
    let id = app.register("sleepy").await;
    let (token, _) = app.login("sleepy@example.com", PASSWORD).await;
    let reply = app
        .put(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Sessions were revoked; a fresh login is refused after the password check.
    app.get("/api/v1/auth/me", Some(&token)).await.assert_error(
        403,
        "FORBIDDEN",
        "User account is deactivated",
    );
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "sleepy@example.com", "password": PASSWORD}),
    )
    .await
    .assert_error(403, "FORBIDDEN", "User account is deactivated");
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "sleepy@example.com", "password": "Wrong1234"}),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
    // Re-activation does not revive the old session.
    app.put(
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        json!({"is_active": true}),
    )
    .await;
    app.get("/api/v1/auth/me", Some(&token)).await.assert_error(
        401,
        "TOKEN_INVALID",
        "Token has been revoked",
    );
}

#[tokio::test]
async fn passwords_hashes_and_tokens_never_appear_in_responses() {
    let app = spawn_app().await;
    app.register("secretive").await;
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "secretive@example.com", "password": PASSWORD}),
        )
        .await;
    let access = login.body["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    let list: HashSet<&str> = ["$argon2id$", PASSWORD, "password_hash"]
        .into_iter()
        .collect();
    for reply in [&login, &me] {
        for needle in &list {
            assert!(
                !reply.text.contains(needle),
                "{needle} leaked in {}",
                reply.text
            );
        }
    }
    assert!(!me.text.contains(&access));
}
