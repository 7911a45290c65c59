//! Resource exhaustion and races (issue 17, items 3 and 4): over-long login passwords and
//! login floods are refused before they hold memory or write anything; concurrent
//! requests cannot undo a deactivation or let two peers strip each other's role.

use futures_util::future::join_all;
use serde_json::json;

use super::{Cases, assert_unchanged, snapshot, super_admin, unchanged};
use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app, spawn_app_with};

const TOO_LONG: &str = "String should have at most 1024 characters";

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

#[tokio::test]
async fn oversized_login_passwords_are_refused_before_hashing_and_change_nothing() {
    let cases =
        Cases::new("oversized_login_passwords_are_refused_before_hashing_and_change_nothing");
    let app = spawn_app().await;
    app.register("victim").await;
    let shapes = [
        "a".repeat(1025),
        "\u{1f600}".repeat(1025),
        format!("{PASSWORD}{}", " ".repeat(1024)),
        "x".repeat(1_000_000),
        "\u{10ffff}".repeat(200_000),
    ];
    for (i, password) in shapes.iter().enumerate() {
        for email in ["victim@example.com", "nobody@example.com"] {
            let reply =
                unchanged(&app, &format!("shape {i}"), || login(&app, email, password)).await;
            reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
            assert_eq!(reply.details(), &json!({"password": TOO_LONG}), "shape {i}");
            cases.hit();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_gets_503_with_retry_after_and_writes_only_admitted_sessions() {
    let cases =
        Cases::new("a_login_flood_gets_503_with_retry_after_and_writes_only_admitted_sessions");
    let app = spawn_app_with(&[("HASH_QUEUE_MAX", "2")]).await;
    app.register("victim").await;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let before = snapshot(&app).await;
    // Wrong passwords, unknown e-mails and 1,024-character passwords: each costs one hash.
    let long = "p".repeat(1024);
    let attempts = (0..8 * cores + 24).map(|i| {
        let (email, password) = match i % 3 {
            0 => ("victim@example.com", "Wrong-guess-1"),
            1 => ("ghost@example.com", PASSWORD),
            _ => ("victim@example.com", long.as_str()),
        };
        login(&app, email, password)
    });
    let replies = join_all(attempts).await;
    let mut refused = 0;
    for reply in &replies {
        match reply.status {
            401 => reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password"),
            503 => {
                reply.assert_error(
                    503,
                    "SERVICE_UNAVAILABLE",
                    "The service is temporarily unavailable. Please try again later.",
                );
                assert_eq!(reply.header("retry-after"), Some("1"));
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.text),
        }
        cases.hit();
    }
    assert!(refused > 0, "the flood was never refused");
    assert_unchanged(&before, &snapshot(&app).await, "a failed-login flood");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_self_edits_never_undo_an_administrators_deactivation() {
    let cases = Cases::new("concurrent_self_edits_never_undo_an_administrators_deactivation");
    let app = spawn_app().await;
    let (_, admin) = super_admin(&app).await;
    let (id, token) = app.user("target").await;
    let path = format!("/api/v1/users/{id}");
    let edits = (0..12).map(|k| {
        let (app, path, token) = (&app, &path, &token);
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(k)).await;
            // `is_active` is not the caller's to set: only profile fields ride along.
            app.put(
                path,
                Some(token),
                json!({"bio": format!("edit {k}"), "first_name": "Target"}),
            )
            .await
        }
    });
    let deactivate = app.put(&path, Some(&admin), json!({"is_active": false}));
    let (edits, deactivated) = tokio::join!(join_all(edits), deactivate);
    assert_eq!(deactivated.status, 200, "{}", deactivated.text);
    for edit in &edits {
        assert!(matches!(edit.status, 200 | 401 | 403), "{}", edit.text);
        cases.hit();
    }
    let stored = app.get(&path, Some(&admin)).await;
    assert_eq!(stored.body["data"]["is_active"], false);
    // The deactivated account cannot re-activate itself either.
    let reply = app
        .put(&path, Some(&token), json!({"is_active": true}))
        .await;
    assert!(matches!(reply.status, 401 | 403), "{}", reply.text);
    cases.hit();
}
