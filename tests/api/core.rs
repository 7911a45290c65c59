//! Tests: the HTTP skeleton — envelopes, generic errors, headers, request ids, CORS, probes.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Reply, spawn_app, spawn_app_with};

#[tokio::test]
async fn welcome_answers_with_the_envelope() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        json!({"success": true, "error": null, "meta": null,
               "data": {"message": "Welcome to warden!", "status": "running", "version": env!("CARGO_PKG_VERSION"), "api_version": "v1"}})
    );
    assert!(
        reply.text.ends_with("}\n"),
        "JSON bodies end with a newline"
    );
    assert!(
        reply.text.contains("\n  \""),
        "testing pretty-prints with two spaces"
    );
}

#[tokio::test]
async fn collections_answer_with_and_without_trailing_slash() {
    let app = spawn_app().await;
    assert_eq!(app.get("/api/v1", None).await.status, 200);
    assert_eq!(app.get("/api/v1/", None).await.status, 200);
    let reply = app.get("/api/v1/auth/me/", None).await;
    reply.assert_error(404, "NOT_FOUND", "The requested resource was not found");
}

#[tokio::test]
async fn unknown_paths_are_404_envelopes_with_request_id_in_meta() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/api/users/1",
        "/api/v1/users/abc",
        "/api/v1/users/-1",
        "/api/v1/users/1.5",
        "/openapi/rapidoc",
    ] {
        let reply = app.get(path, None).await;
        reply.assert_error(404, "NOT_FOUND", "The requested resource was not found");
        assert_eq!(
            reply.body["meta"]["request_id"].as_str(),
            reply.header("x-request-id"),
            "{path}"
        );
        assert!(
            reply.body["error"].get("details").is_none(),
            "no details key on 404"
        );
    }
}

#[tokio::test]
async fn unsupported_methods_are_405_with_an_allow_header() {
    let app = spawn_app().await;
    let reply = app
        .request(Method::PATCH, "/api/v1/users/5", None, None)
        .await;
    reply.assert_error(
        405,
        "METHOD_NOT_ALLOWED",
        "Method not allowed for this endpoint",
    );
    assert_eq!(
        reply.header("allow"),
        Some("DELETE, GET, HEAD, OPTIONS, PUT")
    );
    let reply = app.get("/api/v1/auth/login", None).await;
    assert_eq!(
        (reply.status, reply.header("allow")),
        (405, Some("OPTIONS, POST"))
    );
}

#[tokio::test]
async fn plain_options_lists_the_allowed_methods() {
    let app = spawn_app().await;
    let reply = app
        .request(Method::OPTIONS, "/api/v1/users", None, None)
        .await;
    assert_eq!(
        (reply.status, reply.header("allow")),
        (200, Some("GET, HEAD, OPTIONS"))
    );
    assert!(reply.text.is_empty());
    assert_eq!(
        app.request(Method::OPTIONS, "/nope", None, None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn head_mirrors_get_without_a_body() {
    let app = spawn_app().await;
    let response = app
        .client
        .head(app.url("/livez"))
        .send()
        .await
        .expect("head");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.text().await.expect("body").is_empty());
}

#[tokio::test]
async fn security_headers_are_on_success_and_error_responses() {
    let app = spawn_app().await;
    let ok = app.get("/api/v1/", None).await;
    let missing = app.get("/missing", None).await;
    let invalid = app.post("/api/v1/auth/register", None, json!({})).await;
    for reply in [&ok, &missing, &invalid] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(
            reply.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
        assert!(
            reply.header("strict-transport-security").is_none(),
            "HSTS only in production"
        );
    }
    assert_eq!(ok.header("cache-control"), Some("no-store"));
    assert_eq!(invalid.status, 422);
}

#[tokio::test]
async fn production_adds_hsts_and_compact_json() {
    let secret = "a-production-secret-that-is-long-enough-123";
    let app = spawn_app_with(&[
        ("APP_ENV", "production"),
        ("SECRET_KEY", secret),
        ("AUTO_MIGRATE", "true"),
    ])
    .await;
    let reply = app.get("/api/v1/", None).await;
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    assert!(
        !reply.text.contains("\n  "),
        "production JSON is compact: {}",
        reply.text
    );
}

#[tokio::test]
async fn inbound_request_ids_are_reused_only_when_safe() {
    let app = spawn_app().await;
    let send = |id: &'static str| {
        let request = app.client.get(app.url("/livez")).header("x-request-id", id);
        async move { Reply::from(request.send().await.expect("sent")).await }
    };
    assert_eq!(
        send("trace-abc_123").await.header("x-request-id"),
        Some("trace-abc_123")
    );
    for unsafe_id in ["has space", "tab\there"] {
        let generated = send(unsafe_id).await;
        let id = generated.header("x-request-id").expect("generated id");
        assert_ne!(id, unsafe_id);
        assert!(
            uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4),
            "{id}"
        );
    }
    let long = "x".repeat(129);
    let request = app
        .client
        .get(app.url("/livez"))
        .header("x-request-id", long.as_str());
    let reply = Reply::from(request.send().await.expect("sent")).await;
    assert_ne!(reply.header("x-request-id"), Some(long.as_str()));
}

#[tokio::test]
async fn declared_oversized_bodies_are_413_before_routing() {
    let app = spawn_app_with(&[("MAX_BODY_BYTES", "64")]).await;
    for path in ["/api/v1/auth/register", "/does-not-exist"] {
        let request = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body("x".repeat(65));
        let reply = Reply::from(request.send().await.expect("sent")).await;
        reply.assert_error(
            413,
            "PAYLOAD_TOO_LARGE",
            "The data value transmitted exceeds the capacity limit.",
        );
    }
}

#[tokio::test]
async fn streamed_oversized_bodies_are_413() {
    let app = spawn_app_with(&[("MAX_BODY_BYTES", "64")]).await;
    let chunks: Vec<Result<String, std::io::Error>> = vec![
        Ok("{\"a\": \"".into()),
        Ok("y".repeat(100)),
        Ok("\"}".into()),
    ];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(body);
    let reply = Reply::from(request.send().await.expect("sent")).await;
    reply.assert_error(
        413,
        "PAYLOAD_TOO_LARGE",
        "The data value transmitted exceeds the capacity limit.",
    );
}

async fn raw_post(
    app: &crate::helpers::TestApp,
    content_type: Option<&str>,
    body: &'static str,
) -> Reply {
    let mut request = app.client.post(app.url("/api/v1/auth/login")).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    Reply::from(request.send().await.expect("sent")).await
}

#[tokio::test]
async fn whole_body_problems_are_422_under_the_body_key() {
    let app = spawn_app().await;
    let cases = [
        (Some("application/json"), "", "Request body is required"),
        (
            None,
            "{\"email\":\"a@b.co\"}",
            "Content-Type must be application/json",
        ),
        (
            Some("text/plain"),
            "{}",
            "Content-Type must be application/json",
        ),
        (
            Some("application/json"),
            "{not json",
            "Request body is not valid JSON",
        ),
        (
            Some("application/json"),
            "[1, 2]",
            "Input should be a valid dictionary or instance of LoginRequest",
        ),
        (
            Some("application/vnd.api+json; charset=utf-8"),
            "\"text\"",
            "Input should be a valid dictionary or instance of LoginRequest",
        ),
    ];
    for (content_type, body, message) in cases {
        let reply = raw_post(&app, content_type, body).await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(reply.details(), &json!({"body": message}), "{body:?}");
    }
}

#[tokio::test]
async fn livez_and_readyz_report_status() {
    let app = spawn_app().await;
    let live = app.get("/livez", None).await;
    assert_eq!((live.status, &live.body), (200, &json!({"status": "ok"})));
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(
        ready.body,
        json!({"status": "ready", "checks": {"database": "ok", "redis": "not_configured"}})
    );
    assert_eq!(ready.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn api_health_is_always_200_with_dependency_states() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/health", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body["data"],
        json!({"status": "healthy", "database": "connected", "redis": "not_configured", "api_version": "v1", "version": env!("CARGO_PKG_VERSION")})
    );
}

#[tokio::test]
async fn an_unreachable_redis_degrades_health_and_readiness() {
    let app = spawn_app_with(&[("REDIS_URL", "redis://127.0.0.1:1")]).await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "the fail-open limiter keeps serving");
    assert_eq!(
        ready.body,
        json!({"status": "degraded", "checks": {"database": "ok", "redis": "error"}})
    );
    let health = app.get("/api/v1/health", None).await;
    assert_eq!(
        (health.status, health.body["data"]["status"].as_str()),
        (200, Some("degraded"))
    );
    assert_eq!(health.body["data"]["redis"], "disconnected");
    // The API keeps serving: the limiter fails open.
    assert_eq!(app.get("/api/v1/", None).await.status, 200);
}

#[tokio::test]
async fn a_redis_outage_is_unready_only_when_the_limiter_must_fail_closed() {
    let store = ("RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:1");
    let open = spawn_app_with(&[store]).await;
    let ready = open.get("/readyz", None).await;
    assert_eq!(
        (ready.status, &ready.body),
        (
            200,
            &json!({"status": "degraded", "checks": {"database": "ok", "redis": "error"}})
        )
    );
    let closed = spawn_app_with(&[store, ("RATE_LIMIT_FAIL_OPEN", "false")]).await;
    let ready = closed.get("/readyz", None).await;
    assert_eq!(
        (ready.status, &ready.body),
        (
            503,
            &json!({"status": "not_ready", "checks": {"database": "ok", "redis": "error"}})
        )
    );
}

#[tokio::test]
async fn metrics_expose_prometheus_text() {
    let app = spawn_app().await;
    app.get("/api/v1/", None).await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.expect("text");
    for needle in [
        "warden_build_info{",
        "warden_http_requests_total{method=\"GET\",route=\"/api/v1/\",status=\"200\"} 1",
        "warden_http_request_duration_seconds_bucket{",
        "warden_http_requests_in_flight",
        "warden_db_pool_max_connections 1",
        "warden_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(!text.contains("# EOF"));
}

#[tokio::test]
async fn metrics_can_be_disabled() {
    let app = spawn_app_with(&[("METRICS_ENABLED", "false")]).await;
    app.get("/metrics", None).await.assert_error(
        404,
        "NOT_FOUND",
        "The requested resource was not found",
    );
}

#[tokio::test]
async fn cors_preflight_follows_the_contract_example() {
    let app = spawn_app().await;
    let request = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("origin", "https://a.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "Content-Type, X-Other");
    let reply = Reply::from(request.send().await.expect("sent")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://a.example")
    );
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("DELETE, GET, OPTIONS, POST, PUT")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("3600"));
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some(
            "Authorization, Content-Type, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-ID"
        )
    );
    assert_eq!(reply.header("vary"), Some("Origin"));
    assert!(
        reply.header("access-control-allow-credentials").is_none(),
        "testing disables credentials"
    );
}

#[tokio::test]
async fn cors_in_list_mode_echoes_only_listed_origins() {
    let app = spawn_app_with(&[("APP_ENV", "development"), ("LOG_LEVEL", "error")]).await;
    let ask = |origin: Option<&'static str>| {
        let mut request = app.client.get(app.url("/api/v1/"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        async move { Reply::from(request.send().await.expect("sent")).await }
    };
    let listed = ask(Some("http://localhost:3000")).await;
    assert_eq!(
        listed.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(
        listed.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        ask(Some("https://evil.example"))
            .await
            .header("access-control-allow-origin")
            .is_none()
    );
    assert!(
        ask(None)
            .await
            .header("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn cors_exposed_headers_are_listed_in_byte_order_on_every_response() {
    let app = spawn_app_with(&[(
        "CORS_EXPOSE_HEADERS",
        "X-Request-ID,Retry-After,Content-Type,Authorization",
    )])
    .await;
    let sorted = Some("Authorization, Content-Type, Retry-After, X-Request-ID");
    let plain = app
        .client
        .get(app.url("/api/v1/"))
        .header("origin", "https://a.example");
    let error = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("origin", "https://a.example");
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/users/1"))
        .header("origin", "https://a.example")
        .header("access-control-request-method", "PUT");
    for (request, status) in [(plain, 200), (error, 401), (preflight, 200)] {
        let reply = Reply::from(request.send().await.expect("sent")).await;
        assert_eq!(reply.status, status);
        assert_eq!(reply.header("access-control-expose-headers"), sorted);
    }
}

#[tokio::test]
async fn cors_wildcard_without_origin_allows_any() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/livez", None)
            .await
            .header("access-control-allow-origin"),
        Some("*")
    );
}

#[tokio::test]
async fn html_pages_render_real_status() {
    let app = spawn_app().await;
    let landing = app.get("/", None).await;
    assert_eq!(landing.status, 200);
    assert_eq!(
        landing.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        landing
            .header("content-security-policy")
            .is_some_and(|csp| csp.starts_with("default-src 'none'"))
    );
    for needle in [
        "<title>warden - API Service</title>",
        "Welcome to warden!",
        "System Operational",
        "testing",
        "href=\"/docs\"",
    ] {
        assert!(landing.text.contains(needle), "landing lacks {needle}");
    }
    assert!(!landing.text.contains("<script"));
    let health = app.get("/health", None).await;
    for needle in [
        "<title>System Health - warden</title>",
        "System Status",
        "✅ Healthy",
        "Connected",
        "Not configured",
        "Testing",
    ] {
        assert!(health.text.contains(needle), "health page lacks {needle}");
    }
    assert_eq!(health.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn graceful_shutdown_completes_an_in_flight_request() {
    let app = spawn_app().await;
    // Login runs an Argon2id verification on the blocking pool: a request with real work in it.
    app.register("drainer").await;
    let client = app.client.clone();
    let url = app.url("/api/v1/auth/login");
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .json(&json!({"email": "drainer@example.com", "password": crate::helpers::PASSWORD}))
            .send()
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let stopped = app.stop().await;
    let response = in_flight
        .await
        .expect("task")
        .expect("the in-flight request got an answer");
    assert_eq!(response.status(), 200);
    assert!(stopped.is_ok());
}
