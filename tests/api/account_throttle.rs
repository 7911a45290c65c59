//! Tests: the per-account login throttle — refused before any hashing, the same for known and
//! unknown emails, shared through Redis, failing open, audited once.

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app_with};
use crate::rbac::super_admin;

pub(crate) const THROTTLED: &str =
    "Too many failed attempts for this account. Please try again later.";
const TEN: (&str, &str) = ("LOGIN_ACCOUNT_MAX_FAILURES", "10");

pub(crate) async fn attempt(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

pub(crate) async fn fail(app: &TestApp, email: &str, times: usize) {
    for n in 0..times {
        let reply = attempt(app, email, "Wrong-Password-1").await;
        assert_eq!(reply.status, 401, "failure {n}: {}", reply.text);
    }
}

pub(crate) fn hashes(app: &TestApp) -> u64 {
    app.state.password_checks.load(Ordering::SeqCst)
}

#[track_caller]
pub(crate) fn assert_throttled(reply: &Reply, window: u64) {
    reply.assert_error(429, "RATE_LIMIT_EXCEEDED", THROTTLED);
    let retry: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=window).contains(&retry), "Retry-After {retry}");
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics", None).await.text
}

#[tokio::test]
async fn the_eleventh_failure_in_the_window_is_refused_without_hashing() {
    let app = spawn_app_with(&[TEN]).await;
    let root = super_admin(&app).await;
    let victim = app.register("victim").await;
    fail(&app, "victim@example.com", 10).await;
    let before = hashes(&app);
    // Even the right password: the throttle answers before the password is looked at.
    let reply = attempt(&app, "Victim@Example.com", PASSWORD).await;
    assert_throttled(&reply, 900);
    let again = attempt(&app, "victim@example.com", "Wrong-Password-1").await;
    assert_throttled(&again, 900);
    assert_eq!(hashes(&app), before, "a throttled login computed a hash");
    // Another account is not affected.
    app.login("root@example.com", PASSWORD).await;

    let text = metrics(&app).await;
    assert!(text.contains("warden_account_throttles_total 1"), "{text}");
    let throttled = app
        .get(
            "/api/v1/admin/audit-events/?event=auth.account_throttled",
            Some(&root),
        )
        .await;
    let events = throttled.body["data"]["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{}", throttled.text);
    assert_eq!(events[0]["subject_user_id"], victim);
    assert_eq!(events[0]["actor_user_id"], json!(null));
    assert_eq!(events[0]["details"], json!({"email": "victim@example.com"}));
}

/// Status, code, message and `Retry-After` of an answer: what a client can tell apart.
fn observable(reply: &Reply) -> (u16, String, String, Option<String>) {
    (
        reply.status,
        reply.code().to_string(),
        reply.message().to_string(),
        reply.header("retry-after").map(str::to_string),
    )
}

#[tokio::test]
async fn unknown_and_known_emails_are_throttled_alike() {
    let app = spawn_app_with(&[("LOGIN_ACCOUNT_MAX_FAILURES", "3")]).await;
    app.register("known").await;
    let mut answers = Vec::new();
    for email in ["known@example.com", "ghost@example.com"] {
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(observable(&attempt(&app, email, "Wrong-Password-1").await));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0][3].0, 429);
    // Retry-After may differ by a second between the two runs; everything else is identical.
    let strip = |seen: &[(u16, String, String, Option<String>)]| -> Vec<(u16, String, String)> {
        seen.iter()
            .map(|(s, c, m, _)| (*s, c.clone(), m.clone()))
            .collect()
    };
    assert_eq!(strip(&answers[0]), strip(&answers[1]));
    assert!(answers[1][3].3.is_some());
}

#[tokio::test]
async fn zero_disables_the_throttle() {
    let app = spawn_app_with(&[("LOGIN_ACCOUNT_MAX_FAILURES", "0")]).await;
    app.register("victim").await;
    fail(&app, "victim@example.com", 12).await;
    app.login("victim@example.com", PASSWORD).await;
}

const REDIS: &str = "redis://127.0.0.1:6379";

#[tokio::test]
async fn instances_sharing_redis_share_the_count() {
    let overrides = [("RATE_LIMIT_STORAGE_URL", REDIS), TEN];
    let first = spawn_app_with(&overrides).await;
    let second = spawn_app_with(&overrides).await;
    // A fresh address per run keeps the shared counter private to this test.
    let email = format!("spray-{}@example.com", uuid::Uuid::new_v4().simple());
    fail(&first, &email, 5).await;
    fail(&second, &email, 5).await;
    assert_throttled(&attempt(&first, &email, "Wrong-Password-1").await, 900);
    assert_throttled(&attempt(&second, &email, "Wrong-Password-1").await, 900);
    let client = redis::Client::open(REDIS).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let key = warden::ratelimit::account_key(&email);
    let count: i64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("get");
    assert_eq!(count, 10, "throttled attempts are not failures");
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("del");
}

#[tokio::test]
async fn an_unreachable_store_fails_open() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:1"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", "2"),
    ])
    .await;
    app.register("victim").await;
    fail(&app, "victim@example.com", 4).await;
    app.login("victim@example.com", PASSWORD).await;
    let text = metrics(&app).await;
    assert!(!text.contains("warden_account_throttles_total 1"), "{text}");
}
