//! Header attacks: `X-Request-ID` injection and spoofed forwarding headers from an
//! untrusted peer.

use reqwest::header::HeaderValue;
use serde_json::json;

use super::{Cases, assert_unchanged, raw_http, snapshot, unchanged};
use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app, spawn_app_with};

fn is_generated(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4)
        && id.len() == 36
        && id == id.to_ascii_lowercase()
}

/// A failing login (an error envelope with `meta.request_id`) carrying `x-request-id: value`.
async fn with_request_id(app: &TestApp, value: HeaderValue) -> Reply {
    let request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-request-id", value)
        .json(&json!({"email": "victim@example.com", "password": "Wrong1234"}));
    Reply::from(request.send().await.expect("sent")).await
}

#[tokio::test]
async fn unsafe_request_ids_are_replaced_never_echoed() {
    let cases = Cases::new("unsafe_request_ids_are_replaced_never_echoed");
    let app = spawn_app().await;
    app.register("victim").await;
    let long = "a".repeat(129);
    let unsafe_values: Vec<(&str, Vec<u8>)> = vec![
        ("129 characters", long.clone().into_bytes()),
        ("4096 characters", "b".repeat(4096).into_bytes()),
        ("empty", Vec::new()),
        ("space", b"abc def".to_vec()),
        ("tab", b"abc\tdef".to_vec()),
        ("UTF-8 e-acute", "r\u{e9}q-1".as_bytes().to_vec()),
        ("RTL override", "id-\u{202e}1".as_bytes().to_vec()),
        ("zero-width joiner", "id\u{200d}1".as_bytes().to_vec()),
        ("Latin-1 byte", b"id-\xff".to_vec()),
    ];
    for (label, bytes) in unsafe_values {
        let Ok(value) = HeaderValue::from_bytes(&bytes) else {
            panic!("{label}: not sendable");
        };
        let reply = unchanged(&app, label, || with_request_id(&app, value)).await;
        reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
        let ids: Vec<_> = reply.headers.get_all("x-request-id").iter().collect();
        assert_eq!(ids.len(), 1, "{label}: one X-Request-ID");
        let id = reply.header("x-request-id").expect("ascii id");
        assert!(is_generated(id), "{label}: {id}");
        assert_eq!(reply.body["meta"]["request_id"], id, "{label}");
        let inbound = String::from_utf8_lossy(&bytes).into_owned();
        if !inbound.trim().is_empty() {
            assert!(
                !reply.text.contains(inbound.trim()),
                "{label}: echoed in the body"
            );
        }
        cases.hit();
    }
    // Exactly 128 visible characters, quotes and angle brackets included, are reused and
    // escaped as JSON, never breaking the envelope.
    for value in ["x".repeat(128), r#"a"b\c<script>'"#.to_string()] {
        let reply = with_request_id(&app, HeaderValue::from_str(&value).expect("visible")).await;
        assert_eq!(reply.header("x-request-id"), Some(value.as_str()));
        assert_eq!(
            reply.body["meta"]["request_id"],
            value.as_str(),
            "{}",
            reply.text
        );
        cases.hit();
    }
}

#[tokio::test]
async fn request_id_header_splitting_is_impossible() {
    let cases = Cases::new("request_id_header_splitting_is_impossible");
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let attempts: [(&str, &[u8]); 7] = [
        ("DEL byte", b"GET /api/v1/users/abc HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\x7f\r\nConnection: close\r\n\r\n"),
        ("CRLF splits into a second header", b"GET /api/v1/users/abc HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\r\nSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n"),
        ("bare CR", b"GET /api/v1/users/abc HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\rSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n"),
        ("bare LF", b"GET /api/v1/users/abc HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\nSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n"),
        ("obs-fold continuation", b"GET /api/v1/users/abc HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\r\n Set-Cookie: pwned=1\r\nConnection: close\r\n\r\n"),
        ("NUL byte", b"GET /api/v1/users/abc HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\0Set-Cookie: pwned=1\r\nConnection: close\r\n\r\n"),
        ("encoded CRLF is just text", b"GET /api/v1/users/abc HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc%0d%0aSet-Cookie:pwned=1\r\nConnection: close\r\n\r\n"),
    ];
    for (label, request) in attempts {
        let response = raw_http(&app, request).await;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let head_lower = head.to_ascii_lowercase();
        assert!(
            !head_lower.lines().any(|l| l.starts_with("set-cookie")),
            "{label}: {head}"
        );
        assert_eq!(
            head_lower.matches("x-request-id:").count(),
            usize::from(!head.starts_with("HTTP/1.1 400")),
            "{label}: {head}"
        );
        // Either the parser refused the request (400, nothing routed), or the router answered
        // with a request id that is a visible-ASCII token.
        let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        assert!(matches!(status, 400 | 404), "{label}: {head}");
        if status == 404 {
            let id = head_lower
                .lines()
                .find_map(|l| l.strip_prefix("x-request-id:"))
                .map(str::trim)
                .expect("x-request-id");
            assert!(
                id == "abc" || id == "abc%0d%0aset-cookie:pwned=1" || is_generated(id),
                "{label}: {id}"
            );
            let body: serde_json::Value = serde_json::from_str(body).expect("envelope");
            assert_eq!(body["error"]["code"], "NOT_FOUND", "{label}");
        }
        cases.hit();
    }
    assert_unchanged(&before, &snapshot(&app).await, "header splitting");
    // The service still answers normally on new connections.
    assert_eq!(app.get("/livez", None).await.status, 200);
}

async fn login_from(app: &TestApp, email: &str, password: &str, spoof: &[(&str, &str)]) -> Reply {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}));
    for (name, value) in spoof {
        request = request.header(*name, *value);
    }
    Reply::from(request.send().await.expect("sent")).await
}

async fn session_ips(app: &TestApp) -> Vec<String> {
    let db = &app.state.db;
    let sql = db.sql("SELECT COALESCE(ip_address, '~') FROM auth.sessions ORDER BY created_at");
    crate::with_test_pool!(db, |pool| sqlx::query_scalar::<_, String>(sql)
        .fetch_all(pool)
        .await
        .expect("sessions"))
}

#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let cases = Cases::new("forwarding_headers_from_an_untrusted_peer_are_ignored");
    // Default (no trusted proxy) and a trusted list that does not contain the peer.
    for trusted in ["", "10.0.0.0/8, 192.168.0.1"] {
        let app = spawn_app_with(&[
            ("RATE_LIMIT_LOGIN", "5 per minute"),
            ("TRUSTED_PROXIES", trusted),
        ])
        .await;
        app.register("victim").await;
        // Rotating the claimed address does not buy extra attempts.
        for i in 0..5 {
            let xff = format!("203.0.113.{i}");
            let reply = login_from(
                &app,
                "victim@example.com",
                "Wrong1234",
                &[("x-forwarded-for", &xff), ("x-real-ip", &xff)],
            )
            .await;
            reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
        }
        let spoofs: [&[(&str, &str)]; 5] = [
            &[("x-forwarded-for", "198.51.100.77")],
            &[("x-real-ip", "198.51.100.78")],
            &[("x-forwarded-for", "127.0.0.2, 10.0.0.1")],
            &[("x-forwarded-for", "2001:db8::1")],
            &[("x-forwarded-for", "' OR 1=1--"), ("x-real-ip", "unknown")],
        ];
        for spoof in spoofs {
            let reply = unchanged(&app, "spoofed address", || {
                login_from(&app, "victim@example.com", PASSWORD, spoof)
            })
            .await;
            reply.assert_error(
                429,
                "RATE_LIMIT_EXCEEDED",
                "Too many requests. Please try again later.",
            );
            cases.hit();
        }
    }
    // Sessions record the real peer, not the claimed address.
    let app = spawn_app().await;
    app.register("victim").await;
    let many = "1.2.3.4, ".repeat(500);
    let spoofs: [Vec<(&str, &str)>; 4] = [
        vec![("x-forwarded-for", "203.0.113.9")],
        vec![("x-real-ip", "203.0.113.10")],
        vec![
            ("x-forwarded-for", "203.0.113.11, 10.0.0.1"),
            ("x-real-ip", "203.0.113.12"),
        ],
        vec![("x-forwarded-for", many.as_str())],
    ];
    for spoof in spoofs {
        let reply = login_from(&app, "victim@example.com", PASSWORD, &spoof).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        cases.hit();
    }
    assert_eq!(session_ips(&app).await, vec!["127.0.0.1"; 4]);
    // Control: the same header from a trusted peer is believed, so the check above is real.
    let trusting = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    trusting.register("victim").await;
    let reply = login_from(
        &trusting,
        "victim@example.com",
        PASSWORD,
        &[("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(session_ips(&trusting).await, vec!["203.0.113.9"]);
}
