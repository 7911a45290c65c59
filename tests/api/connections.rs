//! Tests: connection handling over raw sockets (connection limits keep-alive after
//! an early answer). Raw sockets, because HTTP clients hide exactly what is tested here: split
//! header/body packets, unfinished heads, oversized heads, connections held open.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

/// One response as read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// The head, header names lower-cased.
    pub head: String,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.head
            .lines()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
            .map(str::trim)
    }
    pub fn closes_connection(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A client connection that writes bytes exactly as told and reads responses one by one.
pub struct RawConn {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl RawConn {
    pub async fn open(app: &TestApp) -> Self {
        let stream = TcpStream::connect(app.addr).await.expect("connect");
        Self {
            stream,
            buffer: Vec::new(),
        }
    }

    /// Write bytes; false when the server already closed the connection.
    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// The next response (head and `Content-Length` body), or `None` when the connection
    /// ends or nothing complete arrives within `wait`.
    pub async fn response(&mut self, wait: Duration) -> Option<RawResponse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(response) = self.take_response() {
                return Some(response);
            }
            let mut chunk = vec![0u8; 16384];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => self.buffer.extend_from_slice(&chunk[..n]),
                _ => return None,
            }
        }
    }

    fn take_response(&mut self) -> Option<RawResponse> {
        let end = self.buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if self.buffer.len() < end + 4 + length {
            return None;
        }
        let body = String::from_utf8_lossy(&self.buffer[end + 4..end + 4 + length]).into_owned();
        self.buffer.drain(..end + 4 + length);
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Some(RawResponse { status, head, body })
    }

    /// Whether the server closes the connection within `wait` (EOF or reset, no more bytes).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut chunk = vec![0u8; 1024];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => {}
                Err(_) => return false,
            }
        }
    }
}

const SPLIT_PAUSE: Duration = Duration::from_millis(200);
const WAIT: Duration = Duration::from_secs(5);
const LIVEZ: &[u8] = b"GET /livez HTTP/1.1\r\nHost: warden\r\n\r\n";

/// Send the head, wait, read the early answer, send the body, then `GET /livez` on the same
/// connection: it must be answered, unless the early answer said `Connection: close` and the
/// server really closed. Returns the early answer.
async fn early_answer_keeps_the_next_request(
    app: &TestApp,
    head: &str,
    body: &[u8],
) -> RawResponse {
    let mut conn = RawConn::open(app).await;
    assert!(conn.send(head.as_bytes()).await);
    tokio::time::sleep(SPLIT_PAUSE).await;
    let first = conn
        .response(WAIT)
        .await
        .unwrap_or_else(|| panic!("no early answer to {head}"));
    let _ = conn.send(body).await;
    if first.closes_connection() {
        assert!(
            conn.closed_within(WAIT).await,
            "{head}: said Connection: close but kept the connection open"
        );
    } else {
        let _ = conn.send(LIVEZ).await;
        let next = conn.response(WAIT).await;
        assert_eq!(
            next.map(|r| r.status),
            Some(200),
            "{head}: answered {} without Connection: close, then lost the next request",
            first.status
        );
    }
    first
}

fn request_head(method: &str, path: &str, extra: &str, length: usize) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: warden\r\nContent-Type: application/json\r\n{extra}Content-Length: {length}\r\n\r\n"
    )
}

const BODY: &[u8] = br#"{"first_name":"Zz"}"#;

#[tokio::test]
async fn a_request_after_an_early_401_404_405_or_413_is_not_lost() {
    let app = spawn_app().await;
    let cases = [
        (
            request_head(
                "PUT",
                "/api/v1/users/1",
                "Authorization: Bearer bad\r\n",
                BODY.len(),
            ),
            401,
        ),
        (request_head("POST", "/nope", "", BODY.len()), 404),
        (
            request_head("PATCH", "/api/v1/auth/login", "", BODY.len()),
            405,
        ),
        (
            request_head("POST", "/api/v1/auth/login", "", 2_000_000),
            413,
        ),
    ];
    for (head, status) in cases {
        let first = early_answer_keeps_the_next_request(&app, &head, BODY).await;
        assert_eq!(first.status, status, "{head}");
    }
}

#[tokio::test]
async fn a_request_after_an_early_403_for_a_deactivated_account_is_not_lost() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role("boss", "admin").await;
    let (id, token) = app.user("sleepy").await;
    let reply = app
        .put(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let head = request_head(
        "PUT",
        &format!("/api/v1/users/{id}"),
        &format!("Authorization: Bearer {token}\r\n"),
        BODY.len(),
    );
    let first = early_answer_keeps_the_next_request(&app, &head, BODY).await;
    assert_eq!(first.status, 403, "{}", first.body);
}

#[tokio::test]
async fn a_request_after_an_early_429_is_not_lost() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN", "1 per minute")]).await;
    let body = json!({"email": "nobody@example.com", "password": PASSWORD}).to_string();
    let spent = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("first login");
    assert_eq!(spent.status(), 401);
    let head = request_head("POST", "/api/v1/auth/login", "", body.len());
    let first = early_answer_keeps_the_next_request(&app, &head, body.as_bytes()).await;
    assert_eq!(first.status, 429, "{}", first.body);
}

#[tokio::test]
async fn a_body_sent_after_a_pause_is_read_and_the_connection_kept() {
    let app = spawn_app().await;
    let body = json!({"email": "nobody@example.com", "password": PASSWORD}).to_string();
    let mut conn = RawConn::open(&app).await;
    let head = request_head("POST", "/api/v1/auth/login", "", body.len());
    assert!(conn.send(head.as_bytes()).await);
    tokio::time::sleep(SPLIT_PAUSE).await;
    assert!(conn.send(body.as_bytes()).await);
    let first = conn.response(WAIT).await.expect("login answered");
    assert_eq!((first.status, first.closes_connection()), (401, false));
    assert!(conn.send(LIVEZ).await);
    assert_eq!(conn.response(WAIT).await.map(|r| r.status), Some(200));
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected_after_the_timeout() {
    let app = spawn_app_with(&[("HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut conn = RawConn::open(&app).await;
    let started = Instant::now();
    assert!(
        conn.send(b"GET /livez HTTP/1.1\r\nHost: warden\r\nX-Slow: a")
            .await
    );
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = conn.send(b"a").await;
    }
    assert!(
        conn.closed_within(Duration::from_secs(5)).await,
        "still open"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "closed after {took:?}"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let app = spawn_app_with(&[("HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut conn = RawConn::open(&app).await;
    assert!(conn.send(LIVEZ).await);
    let first = conn.response(WAIT).await.expect("livez");
    assert_eq!((first.status, first.closes_connection()), (200, false));
    let idle = Instant::now();
    assert!(conn.closed_within(Duration::from_secs(5)).await);
    assert!(
        idle.elapsed() >= Duration::from_millis(900),
        "{:?}",
        idle.elapsed()
    );
}

fn head_with_header_of(bytes: usize) -> String {
    format!(
        "GET /livez HTTP/1.1\r\nHost: warden\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(bytes)
    )
}

#[tokio::test]
async fn a_request_head_above_max_header_bytes_is_answered_431_and_closed() {
    let app = spawn_app().await;
    let mut conn = RawConn::open(&app).await;
    let _ = conn.send(head_with_header_of(70_000).as_bytes()).await;
    let reply = conn.response(WAIT).await.expect("an answer");
    assert_eq!(reply.status, 431, "{}", reply.head);
    assert!(conn.closed_within(WAIT).await);

    let app = spawn_app_with(&[("MAX_HEADER_BYTES", "4096")]).await;
    let mut conn = RawConn::open(&app).await;
    assert!(conn.send(head_with_header_of(3_000).as_bytes()).await);
    assert_eq!(conn.response(WAIT).await.map(|r| r.status), Some(200));
    let _ = conn.send(head_with_header_of(5_000).as_bytes()).await;
    assert_eq!(conn.response(WAIT).await.map(|r| r.status), Some(431));
}

#[tokio::test]
async fn connections_beyond_max_connections_wait_until_one_frees() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "2")]).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = RawConn::open(&app).await;
        assert!(conn.send(LIVEZ).await);
        assert_eq!(conn.response(WAIT).await.map(|r| r.status), Some(200));
        held.push(conn);
    }
    let mut waiting = RawConn::open(&app).await;
    assert!(waiting.send(LIVEZ).await);
    assert!(
        waiting.response(Duration::from_millis(700)).await.is_none(),
        "a third connection was served while two were open"
    );
    // The connections being served keep working.
    assert!(held[0].send(LIVEZ).await);
    assert_eq!(held[0].response(WAIT).await.map(|r| r.status), Some(200));
    drop(held.remove(1));
    assert_eq!(waiting.response(WAIT).await.map(|r| r.status), Some(200));
}

/// The `warden_http_requests_in_flight` sample of `/metrics` (the scrape itself counts one).
async fn requests_in_flight(app: &TestApp) -> String {
    let text = app.get("/metrics", None).await.text;
    text.lines()
        .find(|line| line.starts_with("warden_http_requests_in_flight "))
        .map(str::to_string)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_request_whose_client_leaves_before_the_answer_is_not_counted_in_flight_for_ever() {
    let app = spawn_app().await;
    app.register("leaver").await;
    // A login verifies an Argon2id hash: the client is gone long before the answer is ready,
    // and the server drops the unfinished request with the connection.
    let body = json!({"email": "leaver@example.com", "password": PASSWORD}).to_string();
    let head = request_head("POST", "/api/v1/auth/login", "", body.len());
    for _ in 0..3 {
        let mut conn = RawConn::open(&app).await;
        assert!(conn.send(format!("{head}{body}").as_bytes()).await);
        drop(conn);
    }
    let deadline = Instant::now() + WAIT;
    let mut last = requests_in_flight(&app).await;
    while last != "warden_http_requests_in_flight 1" && Instant::now() < deadline {
        tokio::time::sleep(SPLIT_PAUSE).await;
        last = requests_in_flight(&app).await;
    }
    assert_eq!(last, "warden_http_requests_in_flight 1");
}
