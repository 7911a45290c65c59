//! Request heads and methods from one unauthenticated client (issue 17): made-up methods and paths must
//! not mint metric series, and slow or oversized request heads must not hold connections
//! or memory.

use std::time::{Duration, Instant};

use super::{Cases, assert_unchanged, snapshot};
use crate::connections::RawConn;
use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn made_up_methods_and_paths_cannot_grow_the_metrics() {
    let cases = Cases::new("made_up_methods_and_paths_cannot_grow_the_metrics");
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let baseline = app.get("/metrics", None).await.text.len();
    let paths = [
        "/nope",
        "/api/v1/users/1",
        "/api/v1/users/x1",
        "/docs/zz",
        "/api/v1/",
    ];
    let mut conn = RawConn::open(&app).await;
    for i in 0..1_000 {
        let method = match i % 4 {
            0 => format!("M{i:07}"),
            1 => format!("get{i}"),
            2 => format!("X-{i}"),
            _ => "GET".to_string(),
        };
        let path = format!("{}?q={i}", paths[i % paths.len()]);
        let path = if i % 4 == 3 {
            format!("/made/up/{i}")
        } else {
            path
        };
        let request = format!("{method} {path} HTTP/1.1\r\nHost: warden\r\n\r\n");
        assert!(conn.send(request.as_bytes()).await, "request {i}");
        let reply = conn
            .response(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("{method} {path} not answered"));
        assert!(reply.status < 500, "{method} {path}: {}", reply.head);
        cases.hit();
    }
    let metrics = app.get("/metrics", None).await.text;
    for leaked in ["M000", "get1", "X-1", "/made/up", "x1", "zz", "q="] {
        assert!(
            !metrics.contains(leaked),
            "{leaked} became a label:\n{metrics}"
        );
    }
    assert!(
        metrics.len() < baseline + 10_000,
        "metrics grew from {baseline} to {} bytes",
        metrics.len()
    );
    assert_unchanged(&before, &snapshot(&app).await, "method and path flood");
}

fn slow_head(padding: usize) -> String {
    format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: warden\r\nX-Pad: {}\r\n",
        "a".repeat(padding)
    )
}

#[tokio::test]
async fn slow_and_oversized_request_heads_are_cut_off() {
    let cases = Cases::new("slow_and_oversized_request_heads_are_cut_off");
    let app = spawn_app_with(&[("HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let before = snapshot(&app).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut conn = RawConn::open(&app).await;
        assert!(conn.send(slow_head(30_000).as_bytes()).await);
        slow.push(conn);
        cases.hit();
    }
    let mut oversized = Vec::new();
    for _ in 0..40 {
        let mut conn = RawConn::open(&app).await;
        let _ = conn.send(slow_head(200_000).as_bytes()).await;
        oversized.push(conn);
        cases.hit();
    }
    // Others are served meanwhile.
    assert_eq!(app.get("/livez", None).await.status, 200);
    for conn in &mut oversized {
        let reply = conn.response(Duration::from_secs(5)).await;
        assert_eq!(reply.map(|r| r.status), Some(431));
        assert!(conn.closed_within(Duration::from_secs(5)).await);
    }
    for conn in &mut slow {
        assert!(
            conn.closed_within(Duration::from_secs(5)).await,
            "a stalled head was kept open"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_unchanged(&before, &snapshot(&app).await, "slow and oversized heads");
}
