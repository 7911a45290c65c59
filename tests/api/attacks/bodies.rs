//! Hostile JSON bodies: oversized, deeply nested, malformed, duplicate keys.

use reqwest::Method;
use serde_json::json;

use super::{
    Cases, INVALID_JSON, assert_unchanged, raw, raw_http, snapshot, super_admin, unchanged,
};
use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app};

const TOO_LARGE: &str = "The data value transmitted exceeds the capacity limit.";

/// (method, path, needs a token) of every route that reads a body.
fn body_routes(me: i64) -> Vec<(Method, String, bool)> {
    vec![
        (Method::POST, "/api/v1/auth/register".into(), false),
        (Method::POST, "/api/v1/auth/login".into(), false),
        (Method::PUT, format!("/api/v1/users/{me}"), true),
        (Method::POST, "/api/v1/admin/roles/".into(), true),
        (Method::PUT, "/api/v1/admin/roles/user".into(), true),
        (
            Method::POST,
            format!("/api/v1/admin/roles/users/{me}"),
            true,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/permissions/users/{me}"),
            true,
        ),
    ]
}

async fn send(
    app: &TestApp,
    method: &Method,
    path: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    raw(app, method.clone(), path, token, body).await
}

#[tokio::test]
async fn oversized_bodies_are_413_and_change_nothing() {
    let cases = Cases::new("oversized_bodies_are_413_and_change_nothing");
    // The default limit (1 MiB), as deployed.
    let app = spawn_app().await;
    let (me, token) = super_admin(&app).await;
    let limit = 1_048_576;
    for (method, path, auth) in body_routes(me) {
        let token = auth.then_some(token.as_str());
        // A valid-looking object padded just past the limit, declared by Content-Length.
        let mut body = format!(
            "{{\"username\":\"big\",\"email\":\"big@example.com\",\"password\":\"{PASSWORD}\",\"first_name\":\"A\",\"bio\":\""
        );
        body.push_str(&"x".repeat(limit + 1 - body.len() - 2));
        body.push_str("\"}");
        assert_eq!(body.len(), limit + 1);
        let reply = unchanged(&app, &path, || send(&app, &method, &path, token, body)).await;
        reply.assert_error(413, "PAYLOAD_TOO_LARGE", TOO_LARGE);
        cases.hit();
        // The same, streamed without a Content-Length (chunked).
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..17).map(|_| Ok(vec![b' '; 65_536])).collect();
        let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        let reply = unchanged(&app, &path, || send(&app, &method, &path, token, stream)).await;
        reply.assert_error(413, "PAYLOAD_TOO_LARGE", TOO_LARGE);
        cases.hit();
    }
    // A huge declared length with no body at all is refused before anything is read.
    let before = snapshot(&app).await;
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\nConnection: close\r\n\r\n{";
    let response = raw_http(&app, head.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"PAYLOAD_TOO_LARGE\""), "{response}");
    assert_unchanged(&before, &snapshot(&app).await, "declared 10 GB");
    cases.hit();
    // Exactly at the limit is read (and then judged on its content).
    let mut body = String::from("{\"email\":\"a@example.com\",\"password\":\"x\",\"pad\":\"");
    body.push_str(&"x".repeat(limit - body.len() - 2));
    body.push_str("\"}");
    let reply = unchanged(&app, "at the limit", || {
        send(&app, &Method::POST, "/api/v1/auth/login", None, body)
    })
    .await;
    reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
    cases.hit();
}

#[tokio::test]
async fn deeply_nested_and_malformed_json_is_422_without_a_crash() {
    let cases = Cases::new("deeply_nested_and_malformed_json_is_422_without_a_crash");
    let app = spawn_app().await;
    let (me, token) = super_admin(&app).await;
    let nested_arrays = "[".repeat(10_000);
    let closed_arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let nested_objects = "{\"a\":".repeat(10_000);
    let closed_objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let deep_field = format!(
        "{{\"username\":{}1{}}}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("10,000 [", nested_arrays.into_bytes()),
        ("10,000 [ closed", closed_arrays.into_bytes()),
        ("10,000 objects", nested_objects.into_bytes()),
        ("10,000 objects closed", closed_objects.into_bytes()),
        ("5,000 [ inside a field", deep_field.into_bytes()),
        (
            "invalid UTF-8",
            b"{\"email\":\"\xff\xfe\",\"password\":\"x\"}".to_vec(),
        ),
        (
            "lone surrogate",
            br#"{"email":"\ud800@example.com","password":"x"}"#.to_vec(),
        ),
        (
            "number overflow",
            br#"{"email":"a@example.com","password":"x","n":1e400}"#.to_vec(),
        ),
        (
            "trailing garbage",
            br#"{"email":"a@example.com","password":"x"} DROP TABLE users"#.to_vec(),
        ),
        (
            "two objects",
            br#"{"email":"a@example.com"}{"password":"x"}"#.to_vec(),
        ),
        (
            "single quotes",
            b"{'email':'a@example.com','password':'x'}".to_vec(),
        ),
        (
            "comment",
            br#"{"email":"a@example.com", /* x */ "password":"x"}"#.to_vec(),
        ),
        (
            "trailing comma",
            br#"{"email":"a@example.com","password":"x",}"#.to_vec(),
        ),
        (
            "NaN",
            br#"{"email":"a@example.com","password":"x","n":NaN}"#.to_vec(),
        ),
        (
            "unterminated string",
            br#"{"email":"a@example.com"#.to_vec(),
        ),
        (
            "BOM prefix",
            b"\xef\xbb\xbf{\"email\":\"a@example.com\",\"password\":\"x\"}".to_vec(),
        ),
        (
            "NUL byte",
            b"{\"email\":\"a@example.com\"\0,\"password\":\"x\"}".to_vec(),
        ),
    ];
    for (method, path, auth) in body_routes(me) {
        let token = auth.then_some(token.as_str());
        for (label, body) in &malformed {
            let reply = unchanged(&app, label, || {
                send(&app, &method, &path, token, body.clone())
            })
            .await;
            reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
            assert_eq!(
                reply.details(),
                &json!({"body": INVALID_JSON}),
                "{label} on {path}: {}",
                reply.text
            );
            cases.hit();
        }
    }
    // Nesting within serde's limit reaches the field rules, which answer normally.
    let shallow = format!(
        "{{\"username\":{}\"x\"{},\"email\":\"a@example.com\",\"password\":\"{PASSWORD}\",\"first_name\":\"A\"}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    let reply = unchanged(&app, "100 nested", || {
        send(&app, &Method::POST, "/api/v1/auth/register", None, shallow)
    })
    .await;
    assert_eq!(
        reply.details(),
        &json!({"username": "Input should be a valid string"})
    );
    cases.hit();
    // The service is still up and serving.
    assert_eq!(app.get("/livez", None).await.status, 200);
}

#[tokio::test]
async fn duplicate_keys_take_the_last_value_everywhere() {
    let cases = Cases::new("duplicate_keys_take_the_last_value_everywhere");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    let (victim, _) = app.user("victim").await;
    let (me, token) = app.user("attacker").await;
    // Login: the last email wins, so a "decoy first" body logs into the last one.
    let body = format!(
        r#"{{"email":"attacker@example.com","email":"victim@example.com","password":"Wrong123","password":"{PASSWORD}"}}"#
    );
    let reply = send(&app, &Method::POST, "/api/v1/auth/login", None, body).await;
    assert_eq!(
        (reply.status, reply.body["data"]["user"]["id"].as_i64()),
        (200, Some(victim)),
        "{}",
        reply.text
    );
    cases.hit();
    let body = format!(
        r#"{{"email":"victim@example.com","password":"{PASSWORD}","password":"Wrong123"}}"#
    );
    let reply = unchanged(&app, "password decoy", || {
        send(&app, &Method::POST, "/api/v1/auth/login", None, body)
    })
    .await;
    reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
    cases.hit();
    // Registration: the stored username is the last one; the first one is not reserved.
    let body = format!(
        r#"{{"username":"victim","username":"fresh","email":"fresh@example.com","password":"{PASSWORD}","first_name":"A"}}"#
    );
    let reply = send(&app, &Method::POST, "/api/v1/auth/register", None, body).await;
    assert_eq!(
        (reply.status, reply.body["data"]["username"].as_str()),
        (201, Some("fresh")),
        "{}",
        reply.text
    );
    cases.hit();
    let body = format!(
        r#"{{"username":"fresh2","username":"victim","email":"x@example.com","password":"{PASSWORD}","first_name":"A"}}"#
    );
    let reply = unchanged(&app, "duplicate username last", || {
        send(&app, &Method::POST, "/api/v1/auth/register", None, body)
    })
    .await;
    reply.assert_error(409, "RESOURCE_ALREADY_EXISTS", "Username already exists");
    cases.hit();
    // Self-update cannot smuggle is_active past the self rule with a duplicate key, in
    // either order: the key is present, so users:update is required.
    let my_path = format!("/api/v1/users/{me}");
    for body in [
        r#"{"first_name":"A","is_active":true,"is_active":false}"#,
        r#"{"is_active":false,"first_name":"A","is_active":true}"#,
    ] {
        let reply = unchanged(&app, body, || {
            send(&app, &Method::PUT, &my_path, Some(&token), body)
        })
        .await;
        reply.assert_error(403, "FORBIDDEN", "Insufficient permissions");
        assert_eq!(
            reply.details(),
            &json!({"required_permissions": ["users:update"], "require_all": false})
        );
        cases.hit();
    }
    // A later null wins over an earlier valid value (and is refused as such).
    let reply = unchanged(&app, "first_name then null", || {
        send(
            &app,
            &Method::PUT,
            &my_path,
            Some(&token),
            r#"{"first_name":"Ok","first_name":null}"#,
        )
    })
    .await;
    assert_eq!(
        reply.details(),
        &json!({"first_name": "Input should be a valid string"})
    );
    cases.hit();
    // Role creation: the escalation guard judges the same (last) permission list as the insert.
    let creator = app.post("/api/v1/admin/roles/", Some(&root), json!({"name": "creator", "display_name": "Creator", "permissions": ["roles:create", "users:read"]})).await;
    assert_eq!(creator.status, 201, "{}", creator.text);
    let assigned = app
        .post(
            &format!("/api/v1/admin/roles/users/{me}"),
            Some(&root),
            json!({"role_name": "creator"}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let smuggle = r#"{"name":"smuggled","display_name":"Smuggled","permissions":["users:read"],"permissions":["*:*"]}"#;
    let reply = unchanged(&app, "permissions smuggled last", || {
        send(
            &app,
            &Method::POST,
            "/api/v1/admin/roles/",
            Some(&token),
            smuggle,
        )
    })
    .await;
    reply.assert_error(403, "FORBIDDEN", "Cannot grant permissions you do not hold");
    assert_eq!(
        reply.details(),
        &json!({"required_permissions": ["*:*"], "require_all": true})
    );
    cases.hit();
    let harmless = r#"{"name":"harmless","display_name":"Harmless","permissions":["*:*"],"permissions":["users:read"]}"#;
    let reply = send(
        &app,
        &Method::POST,
        "/api/v1/admin/roles/",
        Some(&token),
        harmless,
    )
    .await;
    assert_eq!(
        (reply.status, reply.body["data"]["permissions"].clone()),
        (201, json!(["users:read"])),
        "{}",
        reply.text
    );
    cases.hit();
    let parent = r#"{"name":"child","display_name":"Child","parent_role":"user","parent_role":"super_admin"}"#;
    let reply = unchanged(&app, "parent smuggled last", || {
        send(
            &app,
            &Method::POST,
            "/api/v1/admin/roles/",
            Some(&token),
            parent,
        )
    })
    .await;
    reply.assert_error(403, "FORBIDDEN", "Cannot grant permissions you do not hold");
    cases.hit();
    // Role assignment: the last role_name is the one assigned.
    let assign = r#"{"role_name":"super_admin","role_name":"user"}"#;
    let reply = send(
        &app,
        &Method::POST,
        &format!("/api/v1/admin/roles/users/{victim}"),
        Some(&root),
        assign,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let roles = app
        .get(&format!("/api/v1/admin/roles/users/{victim}"), Some(&root))
        .await;
    assert_eq!(
        roles.body["data"]["all_permissions"],
        json!(["users:read"]),
        "{}",
        roles.text
    );
    cases.hit();
}
