//! SQL-injection probes in every text field of the account bodies, in `{user_id}` and in the
//! query parameters of `/users/`. The admin routes are in `admin.rs`.
//!
//! Fields whose rules refuse the probe must answer the exact 422 and change nothing; fields
//! that accept free text must store the probe literally (title-cased for names) and change
//! nothing else.

use serde_json::{Value, json};

use super::{
    Cases, NOT_FOUND, SQLI, USERNAME_PATTERN, assert_unchanged, segment, snapshot, super_admin,
    unchanged, user_json,
};
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn injection_in_registration_fields() {
    let cases = Cases::new("injection_in_registration_fields");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    app.register("victim").await;
    for (i, probe) in SQLI.iter().enumerate() {
        // username: refused by the pattern (or a length rule), nothing written.
        let reply = unchanged(&app, probe, || async {
            app.post("/api/v1/auth/register", None, json!({"username": probe, "email": format!("u{i}@example.com"), "password": PASSWORD, "first_name": "A"})).await
        })
        .await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        let message = reply.details()["username"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message == USERNAME_PATTERN || message.starts_with("String should have at most"),
            "{probe}: {}",
            reply.text
        );
        cases.hit();
        // email: the probe as the whole address and as the local part.
        for email in [probe.to_string(), format!("{probe}@example.com")] {
            let before = snapshot(&app).await;
            let reply = app
                .post("/api/v1/auth/register", None, json!({"username": format!("mail{i}"), "email": email, "password": PASSWORD, "first_name": "A"}))
                .await;
            let after = snapshot(&app).await;
            match reply.status {
                422 => {
                    assert!(
                        reply.details()["email"]
                            .as_str()
                            .is_some_and(|m| m.starts_with("value is not a valid email address: ")),
                        "{email}: {}",
                        reply.text
                    );
                    assert_unchanged(&before, &after, &email);
                }
                201 => {
                    // Quotes and semicolons are legal local-part characters: stored verbatim.
                    assert_eq!(
                        reply.body["data"]["email"],
                        email.as_str(),
                        "{}",
                        reply.text
                    );
                    let added: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
                    assert_eq!(added.len(), 1, "{email}: {added:#?}");
                    assert!(
                        before.iter().all(|r| after.contains(r)),
                        "{email}: an existing row changed"
                    );
                    app.login(&email, PASSWORD).await;
                }
                other => panic!("{email}: unexpected {other}: {}", reply.text),
            }
            cases.hit();
        }
        // password: a policy-conforming probe is hashed, never interpreted.
        let password = format!("Aa1{probe}");
        let reply = app
            .post("/api/v1/auth/register", None, json!({"username": format!("pass{i}"), "email": format!("pass{i}@example.com"), "password": password, "first_name": "A"}))
            .await;
        if password.trim().chars().count() <= 128 {
            assert_eq!(reply.status, 201, "{password}: {}", reply.text);
            app.login(&format!("pass{i}@example.com"), password.trim())
                .await;
        }
        cases.hit();
        // names and bio: free text, stored literally (names title-cased).
        let reply = app
            .post("/api/v1/auth/register", None, json!({"username": format!("name{i}"), "email": format!("name{i}@example.com"), "password": PASSWORD,
                  "first_name": probe, "middle_name": probe, "last_name": probe, "bio": probe}))
            .await;
        assert_eq!(reply.status, 201, "{probe}: {}", reply.text);
        let id = reply.body["data"]["id"].as_i64().expect("id");
        let stored = user_json(&app, &root, id).await;
        let title = warden::domain::title_case(probe.trim());
        for field in ["first_name", "middle_name", "last_name"] {
            assert_eq!(stored[field], title.as_str(), "{field} {probe}");
        }
        assert_eq!(stored["bio"], probe.trim(), "bio {probe}");
        cases.add(4);
    }
    // Every table still exists, the victim is intact and nobody was deactivated.
    let victim = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "victim@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(victim.status, 200, "{}", victim.text);
    let all = app
        .get(
            "/api/v1/users/?per_page=100&include_deleted=true",
            Some(&root),
        )
        .await;
    assert!(
        all.body["data"]
            .as_array()
            .expect("list")
            .iter()
            .all(|u| u["is_active"] == true && u["is_deleted"] == false)
    );
}

#[tokio::test]
async fn injection_in_login_fields() {
    let cases = Cases::new("injection_in_login_fields");
    let app = spawn_app().await;
    app.register("victim").await;
    for probe in SQLI {
        let bodies: Vec<Value> = vec![
            json!({"email": probe, "password": probe}),
            json!({"email": format!("{probe}@example.com"), "password": PASSWORD}),
            json!({"email": format!("victim@example.com{probe}"), "password": PASSWORD}),
            json!({"email": "victim@example.com", "password": probe}),
            json!({"email": "victim@example.com", "password": format!("{PASSWORD}{probe}")}),
            json!({"email": "victim@example.com'--", "password": "x"}),
        ];
        for body in bodies {
            let reply = unchanged(&app, probe, || async {
                app.post("/api/v1/auth/login", None, body.clone()).await
            })
            .await;
            match reply.status {
                401 => reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password"),
                422 => {
                    reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
                    assert!(
                        reply.details()["email"]
                            .as_str()
                            .is_some_and(|m| m.starts_with("value is not a valid email address: ")),
                        "{body}: {}",
                        reply.text
                    );
                }
                other => panic!("{body}: unexpected {other}: {}", reply.text),
            }
            assert!(!reply.text.contains("access_token"), "{body}");
            cases.hit();
        }
    }
}

#[tokio::test]
async fn injection_in_profile_updates() {
    let cases = Cases::new("injection_in_profile_updates");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    let (victim, _) = app.user("victim").await;
    let (me, token) = app.user("attacker").await;
    let victim_before = user_json(&app, &root, victim).await;
    for probe in SQLI {
        let before = snapshot(&app).await;
        let reply = app
            .put(
                &format!("/api/v1/users/{me}"),
                Some(&token),
                json!({"first_name": probe, "middle_name": probe, "last_name": probe, "bio": probe,
                 "username": probe, "email": probe, "password": probe}),
            )
            .await;
        assert_eq!(reply.status, 200, "{probe}: {}", reply.text);
        let title = warden::domain::title_case(probe.trim());
        for field in ["first_name", "middle_name", "last_name"] {
            assert_eq!(reply.body["data"][field], title.as_str(), "{field} {probe}");
        }
        assert_eq!(reply.body["data"]["bio"], probe.trim());
        // Ignored fields stay as they were; only the attacker's own row changed.
        assert_eq!(reply.body["data"]["username"], "attacker");
        assert_eq!(reply.body["data"]["email"], "attacker@example.com");
        let after = snapshot(&app).await;
        let changed: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
        assert!(
            changed
                .iter()
                .all(|r| r.starts_with(&format!("user|{me}|"))),
            "{probe}: {changed:#?}"
        );
        cases.hit();
        // is_active as a probe string: a boolean rule error, nothing written.
        let reply = unchanged(&app, probe, || async {
            app.put(
                &format!("/api/v1/users/{me}"),
                Some(&token),
                json!({"is_active": probe}),
            )
            .await
        })
        .await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(
            reply.details(),
            &json!({"is_active": "Input should be a valid boolean, unable to interpret input"})
        );
        cases.hit();
    }
    app.login("attacker@example.com", PASSWORD).await;
    assert_eq!(user_json(&app, &root, victim).await, victim_before);
}

#[tokio::test]
async fn injection_in_user_id_paths() {
    let cases = Cases::new("injection_in_user_id_paths");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    let (victim, _) = app.user("victim").await;
    let mut probes: Vec<String> = SQLI.iter().map(|p| segment(p)).collect();
    probes.extend(
        [
            format!("{victim}%20OR%201=1"),
            format!("{victim};DROP%20TABLE%20users"),
            format!("{victim}'"),
            "-1".into(),
            "1.5".into(),
            "0x1".into(),
            "１".into(),
            format!("{victim}%00"),
            "*".into(),
        ]
        .into_iter()
        .map(|p| p.replace('１', "%EF%BC%91")),
    );
    for probe in &probes {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let path = format!("/api/v1/users/{probe}");
            let reply = unchanged(&app, &path, || async {
                let body = (method == reqwest::Method::PUT).then(|| json!({"is_active": false}));
                app.request(method.clone(), &path, Some(&root), body).await
            })
            .await;
            reply.assert_error(404, "NOT_FOUND", NOT_FOUND);
            cases.hit();
        }
    }
    // Huge and zero ids are handled as data, not as SQL.
    for (path, status, code, message) in [
        (
            "/api/v1/users/99999999999999999999999999",
            404,
            "RESOURCE_NOT_FOUND",
            "User with id=99999999999999999999999999 not found",
        ),
        (
            "/api/v1/users/0000",
            422,
            "VALIDATION_ERROR",
            "Validation failed",
        ),
    ] {
        let reply = unchanged(&app, path, || async { app.delete(path, Some(&root)).await }).await;
        reply.assert_error(status, code, message);
        cases.hit();
    }
    assert_eq!(user_json(&app, &root, victim).await["is_active"], true);
}

#[tokio::test]
async fn injection_in_user_list_queries() {
    let cases = Cases::new("injection_in_user_list_queries");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    app.register("victim").await;
    for probe in SQLI {
        let p = segment(probe);
        for (query, field, message) in [
            (
                format!("page={p}"),
                "page",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
            (
                format!("per_page={p}"),
                "per_page",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
            (
                format!("include_deleted={p}"),
                "include_deleted",
                "Input should be a valid boolean, unable to interpret input",
            ),
        ] {
            let path = format!("/api/v1/users/?{query}");
            let reply =
                unchanged(&app, &path, || async { app.get(&path, Some(&root)).await }).await;
            reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
            assert_eq!(reply.details(), &json!({field: message}), "{path}");
            cases.hit();
        }
        // Probes as unknown parameter names and values are ignored.
        let path = format!("/api/v1/users/?{p}={p}&page=1");
        let reply = unchanged(&app, &path, || async { app.get(&path, Some(&root)).await }).await;
        assert_eq!(
            (reply.status, reply.body["meta"]["total"].as_i64()),
            (200, Some(2)),
            "{path}"
        );
        cases.hit();
    }
    // A first occurrence wins: a later injected duplicate is not read.
    let reply = app
        .get(
            &format!(
                "/api/v1/users/?per_page=1&per_page={}",
                segment("1; DROP TABLE users")
            ),
            Some(&root),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body["meta"]["per_page"].as_i64()),
        (200, Some(1))
    );
    cases.hit();
}
