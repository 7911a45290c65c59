//! Tests: rate limiting over HTTP with the memory store and a shared Redis.

use serde_json::json;

use crate::helpers::{Reply, TestApp, spawn_app_with};

async fn login_attempt(app: &TestApp, forwarded_for: Option<&str>) -> Reply {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "nobody@example.com", "password": "Whatever1"}));
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    Reply::from(request.send().await.expect("sent")).await
}

#[tokio::test]
async fn the_sixth_login_within_a_minute_is_429_with_headers() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN", "5 per minute")]).await;
    for remaining in (0..5).rev() {
        let reply = login_attempt(&app, None).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("ratelimit-limit"), Some("5"));
        assert_eq!(
            reply.header("ratelimit-remaining"),
            Some(remaining.to_string().as_str())
        );
        assert!(reply.header("retry-after").is_none());
    }
    let limited = login_attempt(&app, None).await;
    limited.assert_error(
        429,
        "RATE_LIMIT_EXCEEDED",
        "Too many requests. Please try again later.",
    );
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = limited
        .header("ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("number");
    assert!((1..=60).contains(&reset), "{reset}");
    assert_eq!(
        limited.header("retry-after"),
        limited.header("ratelimit-reset")
    );
    // Per-route separation: registration has its own bucket.
    let other = app.post("/api/v1/auth/register", None, json!({})).await;
    assert_eq!(other.status, 422);
}

#[tokio::test]
async fn a_new_window_resets_the_counter() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN", "2 per 1 second")]).await;
    login_attempt(&app, None).await;
    login_attempt(&app, None).await;
    assert_eq!(login_attempt(&app, None).await.status, 429);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(login_attempt(&app, None).await.status, 401);
}

#[tokio::test]
async fn exempt_routes_are_never_limited_or_annotated() {
    let app = spawn_app_with(&[("RATE_LIMIT_DEFAULT", "1 per hour")]).await;
    for _ in 0..3 {
        for path in [
            "/livez",
            "/readyz",
            "/health",
            "/api/v1/health",
            "/metrics",
            "/nope",
        ] {
            let reply = app.get(path, None).await;
            assert_ne!(reply.status, 429, "{path}");
            assert!(reply.header("ratelimit-limit").is_none(), "{path}");
        }
    }
    assert_eq!(app.get("/api/v1/", None).await.status, 200);
    assert_eq!(
        app.get("/api/v1", None).await.status,
        429,
        "both slash forms share one bucket"
    );
}

#[tokio::test]
async fn spoofed_forwarded_for_is_ignored_from_untrusted_peers() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN", "2 per minute")]).await;
    assert_eq!(login_attempt(&app, Some("203.0.113.1")).await.status, 401);
    assert_eq!(login_attempt(&app, Some("203.0.113.2")).await.status, 401);
    assert_eq!(login_attempt(&app, Some("203.0.113.3")).await.status, 429);
}

#[tokio::test]
async fn forwarded_for_counts_per_client_behind_a_trusted_proxy() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_LOGIN", "1 per minute"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    assert_eq!(login_attempt(&app, Some("203.0.113.1")).await.status, 401);
    assert_eq!(login_attempt(&app, Some("203.0.113.2")).await.status, 401);
    assert_eq!(login_attempt(&app, Some("203.0.113.1")).await.status, 429);
}

#[tokio::test]
async fn disabled_limiting_sends_no_headers() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_ENABLED", "false"),
        ("RATE_LIMIT_LOGIN", "1 per minute"),
    ])
    .await;
    for _ in 0..3 {
        let reply = login_attempt(&app, None).await;
        assert_eq!(reply.status, 401);
        assert!(reply.header("ratelimit-limit").is_none());
    }
}

fn unique_route_ip() -> String {
    // A documentation-range address per test run keeps shared-Redis counters private.
    let n = uuid::Uuid::new_v4().as_u128();
    format!("198.18.{}.{}", (n >> 8) as u8, n as u8)
}

#[tokio::test]
async fn two_instances_sharing_redis_share_one_counter() {
    let redis_url = crate::test_redis::url();
    let settings = [
        ("RATE_LIMIT_STORAGE_URL", redis_url.as_str()),
        ("RATE_LIMIT_LOGIN", "3 per minute"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let first = spawn_app_with(&settings).await;
    let second = spawn_app_with(&settings).await;
    let client_ip = unique_route_ip();
    assert_eq!(login_attempt(&first, Some(&client_ip)).await.status, 401);
    assert_eq!(login_attempt(&second, Some(&client_ip)).await.status, 401);
    let third = login_attempt(&first, Some(&client_ip)).await;
    assert_eq!(
        (third.status, third.header("ratelimit-remaining")),
        (401, Some("0"))
    );
    assert_eq!(login_attempt(&second, Some(&client_ip)).await.status, 429);
    let ready = first.get("/readyz", None).await;
    assert_eq!(ready.body["checks"]["redis"], "ok");
    // Leave nothing behind in the shared Redis.
    let client = redis::Client::open(redis_url.as_str()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let key = format!("warden:rl:POST /api/v1/auth/login:60:{client_ip}");
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("del");
}

#[tokio::test]
async fn an_unreachable_redis_fails_open_by_default() {
    let app = spawn_app_with(&[("RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:1")]).await;
    let started = std::time::Instant::now();
    let reply = login_attempt(&app, None).await;
    assert_eq!(reply.status, 401);
    assert!(reply.header("ratelimit-limit").is_none());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
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
        metrics.contains("warden_rate_limit_storage_errors_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_unreachable_redis_fails_closed_when_configured() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:1"),
        ("RATE_LIMIT_FAIL_OPEN", "false"),
    ])
    .await;
    let reply = login_attempt(&app, None).await;
    reply.assert_error(
        503,
        "SERVICE_UNAVAILABLE",
        "The service is temporarily unavailable. Please try again later.",
    );
    // Exempt routes keep answering.
    assert_eq!(app.get("/livez", None).await.status, 200);
}
