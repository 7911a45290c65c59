//! Tests: hashing admission and the login password bound: a login flood is turned
//! away with 503 + `Retry-After: 1` once the hashing queue is full, and reads keep working.

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app, spawn_app_with};

const UNAVAILABLE: &str = "The service is temporarily unavailable. Please try again later.";

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

/// More concurrent logins than slots plus queue on any machine this runs on.
fn flood_size() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    8 * cores + 16
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.get("/metrics", None).await.text;
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_beyond_the_hashing_queue_is_refused_with_503_and_retry_after() {
    let app = spawn_app_with(&[("HASH_QUEUE_MAX", "1")]).await;
    let (_, token) = app.user("flooded").await;
    let flood = (0..flood_size()).map(|_| login(&app, "flooded@example.com", PASSWORD));
    let me = app.get("/api/v1/auth/me", Some(&token));
    let (replies, me) = tokio::join!(join_all(flood), me);
    assert_eq!(me.status, 200, "reads that do not hash are unaffected");
    let mut refused = 0;
    for reply in &replies {
        match reply.status {
            200 => assert_eq!(reply.body["data"]["message"], "Login successful"),
            503 => {
                reply.assert_error(503, "SERVICE_UNAVAILABLE", UNAVAILABLE);
                assert_eq!(reply.header("retry-after"), Some("1"));
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert!(refused > 0, "no login of {} was refused", replies.len());
    assert!(refused < replies.len(), "every login was refused");
    assert_eq!(
        metric(&app, "warden_hash_queue_rejections_total").await,
        refused as f64
    );
    // The queue drains: the next login is admitted.
    assert_eq!(
        login(&app, "flooded@example.com", PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn a_refused_login_creates_no_session() {
    let app = spawn_app_with(&[("HASH_QUEUE_MAX", "0")]).await;
    app.register("lonely").await;
    let replies =
        join_all((0..flood_size()).map(|_| login(&app, "lonely@example.com", PASSWORD))).await;
    let admitted = replies.iter().filter(|r| r.status == 200).count();
    let refused = replies.iter().filter(|r| r.status == 503).count();
    assert_eq!(admitted + refused, replies.len());
    assert!(refused > 0);
    let db = &app.state.db;
    let sql = db.sql("SELECT COUNT(*) FROM auth.sessions");
    let sessions: i64 = crate::with_test_pool!(db, |pool| {
        sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await
            .expect("count")
    });
    assert_eq!(sessions, i64::try_from(admitted).expect("small"));
    assert_eq!(
        metric(&app, "warden_auth_logins_total").await,
        admitted as f64
    );
}

#[tokio::test]
async fn login_passwords_are_bounded_at_1024_characters() {
    let app = spawn_app().await;
    app.register("bounded").await;
    for password in ["x".repeat(1024), "é".repeat(1024)] {
        login(&app, "bounded@example.com", &password)
            .await
            .assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
    }
    for password in ["x".repeat(1025), "é".repeat(1025), "x".repeat(1_000_000)] {
        let reply = login(&app, "bounded@example.com", &password).await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(
            reply.details(),
            &json!({"password": "String should have at most 1024 characters"})
        );
    }
    assert_eq!(
        metric(
            &app,
            "warden_auth_failures_total{reason=\"invalid_credentials\"}"
        )
        .await,
        2.0,
        "an over-long password is refused before any hashing"
    );
}
