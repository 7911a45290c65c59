//! Tests: the `/metrics` exposition read by a reference parser of the Prometheus text
//! format 0.0.4, and label values a client cannot multiply.

use std::collections::HashMap;
use std::time::Duration;

use prometheus_parse::{Scrape, Value};
use serde_json::json;

use crate::connections::RawConn;
use crate::helpers::{TestApp, spawn_app};

async fn scrape_text(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|line| Ok(line.to_string()))).expect("parsable")
}

/// The family type each `# TYPE` line declares, by declared name.
fn declared_types(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(name, kind)| (name.to_string(), kind.to_string()))
        .collect()
}

fn sample_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

fn value_of<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<&'a Value> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| &s.value)
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_with_every_family_typed_and_every_series_kept() {
    let app = spawn_app().await;
    assert_eq!(app.get("/api/v1/", None).await.status, 200);
    let login = app
        .post("/api/v1/auth/login", None, json!({"email": "x"}))
        .await;
    assert_eq!(login.status, 422, "{}", login.text);
    assert_eq!(app.get("/nope", None).await.status, 404);
    let text = scrape_text(&app).await;
    let scrape = parse(&text);

    // Every sample carries a declared name (histograms: plus `_bucket`/`_sum`/`_count`).
    let declared = declared_types(&text);
    for line in sample_lines(&text) {
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| declared.get(*base).is_some_and(|k| k == "histogram"))
            .unwrap_or(name);
        assert!(
            declared.contains_key(family),
            "sample {line} has no # TYPE of its name in\n{text}"
        );
    }
    for counter in [
        "warden_http_requests_total",
        "warden_rate_limit_rejections_total",
        "warden_rate_limit_storage_errors_total",
        "warden_auth_logins_total",
        "warden_auth_failures_total",
        "warden_sessions_revoked_total",
        "warden_password_rehashes_total",
    ] {
        assert_eq!(
            declared.get(counter).map(String::as_str),
            Some("counter"),
            "{counter}"
        );
    }
    for gauge in [
        "warden_build_info",
        "warden_http_requests_in_flight",
        "warden_db_pool_connections",
        "warden_db_pool_max_connections",
    ] {
        assert_eq!(
            declared.get(gauge).map(String::as_str),
            Some("gauge"),
            "{gauge}"
        );
    }
    assert_eq!(
        declared
            .get("warden_http_request_duration_seconds")
            .map(String::as_str),
        Some("histogram")
    );

    // Every sample outside histograms is typed by the parser (none left untyped or dropped).
    let plain: Vec<&str> = sample_lines(&text)
        .into_iter()
        .filter(|l| {
            !["_bucket{", "_sum{", "_count{", "_sum ", "_count "]
                .iter()
                .any(|suffix| l.contains(suffix))
        })
        .collect();
    let typed = scrape
        .samples
        .iter()
        .filter(|s| matches!(s.value, Value::Counter(_) | Value::Gauge(_)))
        .count();
    assert_eq!(typed, plain.len(), "untyped samples in\n{text}");

    // Two series of one counter both survive, each with its own value and type.
    for (method, route, status) in [
        ("GET", "/api/v1/", "200"),
        ("POST", "/api/v1/auth/login", "422"),
        ("GET", "unmatched", "404"),
    ] {
        let labels = [("method", method), ("route", route), ("status", status)];
        assert_eq!(
            value_of(&scrape, "warden_http_requests_total", &labels),
            Some(&Value::Counter(1.0)),
            "{labels:?} in\n{text}"
        );
    }
    for route in ["/api/v1/", "/api/v1/auth/login"] {
        assert!(
            matches!(
                value_of(&scrape, "warden_http_request_duration_seconds", &[("route", route)]),
                Some(Value::Histogram(buckets)) if !buckets.is_empty()
            ),
            "{route} histogram in\n{text}"
        );
    }
}

#[tokio::test]
async fn made_up_methods_are_counted_as_other_and_keep_metrics_small() {
    let app = spawn_app().await;
    let before = scrape_text(&app).await.len();
    let mut conn = RawConn::open(&app).await;
    const FLOOD: usize = 400;
    for i in 0..FLOOD {
        let path = if i % 2 == 0 { "/nope" } else { "/api/v1/" };
        let request = format!("M{i:07} {path} HTTP/1.1\r\nHost: warden\r\n\r\n");
        assert!(conn.send(request.as_bytes()).await, "request {i}");
        let reply = conn
            .response(Duration::from_secs(5))
            .await
            .expect("answered");
        assert!(matches!(reply.status, 404 | 405), "{}", reply.head);
    }
    let text = scrape_text(&app).await;
    assert!(
        !text.contains("M000"),
        "a made-up method became a label:\n{text}"
    );
    let scrape = parse(&text);
    let half = (FLOOD / 2) as f64;
    for (route, status) in [("unmatched", "404"), ("/api/v1/", "405")] {
        let labels = [("method", "OTHER"), ("route", route), ("status", status)];
        assert_eq!(
            value_of(&scrape, "warden_http_requests_total", &labels),
            Some(&Value::Counter(half)),
            "{labels:?} in\n{text}"
        );
    }
    // The flood added a fixed handful of series, not one per method.
    assert!(
        text.len() < before + 8_000,
        "metrics grew from {before} to {} bytes",
        text.len()
    );
}
