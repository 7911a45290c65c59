//! Attack suite (issue 8, item 3): hostile input against the live application.
//!
//! Every case asserts the exact error of the contract **and** that the database did not change
//! (a row-by-row fingerprint of every table, taken before and after). Where hostile-looking text
//! is valid data (a name containing a quote), the case asserts that it is stored literally and
//! that nothing else changed. Each test prints `attack cases: <test> <n>` (see
//! `docs/security-testing.md` for how the total is counted).

mod admin;
mod bodies;
mod exhaustion;
mod headers;
mod injection;
mod request_heads;
mod throttle;
mod tokens;
mod unicode;

use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp};

/// The testing default of `SECRET_KEY` (the helpers never set one).
pub const TEST_SECRET: &str = "dev-secret-key-change-in-production";
pub const ROLES: &str = "/api/v1/admin/roles";
pub const PERMISSIONS: &str = "/api/v1/admin/permissions";
pub const NOT_FOUND: &str = "The requested resource was not found";
pub const INVALID_JSON: &str = "Request body is not valid JSON";
pub const USERNAME_PATTERN: &str = "String should match pattern '^[a-zA-Z0-9_]+$'";

/// SQL-injection probes: classic, stacked, comment, quote-escape and Unicode-quote variants.
pub const SQLI: &[&str] = &[
    "' OR '1'='1",
    "' OR 1=1--",
    "1; DROP TABLE users--",
    "1; DROP TABLE users.users; --",
    "\"; --",
    "'; DELETE FROM auth.sessions; --",
    "admin'--",
    "' UNION SELECT password_hash FROM users.users--",
    "\\'; UPDATE users SET is_active = 0; --",
    "\u{2019} OR \u{2019}1\u{2019}=\u{2019}1",
    "\u{ff07} OR \u{ff07}1\u{ff07}=\u{ff07}1",
    "\u{2bc} OR 1=1--",
    "%27 OR %271%27=%271",
    "$1; SELECT pg_sleep(5)--",
    "' || (SELECT sqlite_version()) || '",
];

/// Counts the cases of one test and prints the figure when dropped.
pub struct Cases {
    name: &'static str,
    count: AtomicUsize,
}

impl Cases {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            count: AtomicUsize::new(0),
        }
    }
    pub fn hit(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
    pub fn add(&self, n: usize) {
        self.count.fetch_add(n, Ordering::Relaxed);
    }
}

impl Drop for Cases {
    fn drop(&mut self) {
        println!(
            "attack cases: {} {}",
            self.name,
            self.count.load(Ordering::Relaxed)
        );
    }
}

/// One statement per table, each row rendered as text (PostgreSQL dialect; translated for
/// SQLite by `Db::sql`). The query fails loudly if an injection ever dropped a table.
const FINGERPRINT: &[&str] = &[
    "SELECT 'user|' || CAST(id AS TEXT) || '|' || username || '|' || email || '|' || password_hash \
     || '|' || first_name || '|' || COALESCE(middle_name, '~') || '|' || COALESCE(last_name, '~') \
     || '|' || COALESCE(bio, '~') || '|' || COALESCE(CAST(is_active AS TEXT), '~') || '|' \
     || CAST(is_deleted AS TEXT) || '|' || CAST(created_at AS TEXT) || '|' || CAST(updated_at AS TEXT) \
     FROM users.users ORDER BY id",
    "SELECT 'session|' || CAST(id AS TEXT) || '|' || CAST(user_id AS TEXT) || '|' \
     || CAST(refresh_jti AS TEXT) || '|' || COALESCE(CAST(refreshed_at AS TEXT), '~') || '|' \
     || CAST(expires_at AS TEXT) || '|' || COALESCE(CAST(revoked_at AS TEXT), '~') || '|' \
     || COALESCE(revoked_reason, '~') || '|' || COALESCE(ip_address, '~') \
     FROM auth.sessions ORDER BY 1",
    "SELECT 'role|' || CAST(id AS TEXT) || '|' || name || '|' || display_name || '|' \
     || COALESCE(description, '~') || '|' || CAST(is_system_role AS TEXT) || '|' \
     || COALESCE(CAST(parent_role_id AS TEXT), '~') || '|' || CAST(is_deleted AS TEXT) || '|' \
     || CAST(updated_at AS TEXT) FROM rbac.roles ORDER BY id",
    "SELECT 'permission|' || CAST(id AS TEXT) || '|' || name || '|' || resource || '|' || action \
     || '|' || COALESCE(description, '~') || '|' || CAST(is_deleted AS TEXT) || '|' \
     || CAST(updated_at AS TEXT) FROM rbac.permissions ORDER BY id",
    "SELECT 'role_permission|' || CAST(role_id AS TEXT) || '|' || CAST(permission_id AS TEXT) \
     FROM rbac.role_permissions ORDER BY 1",
    "SELECT 'user_role|' || CAST(user_id AS TEXT) || '|' || CAST(role_id AS TEXT) || '|' \
     || COALESCE(CAST(assigned_by AS TEXT), '~') FROM rbac.user_roles ORDER BY 1",
    "SELECT 'user_permission|' || CAST(user_id AS TEXT) || '|' || CAST(permission_id AS TEXT) \
     || '|' || COALESCE(CAST(granted_by AS TEXT), '~') || '|' || COALESCE(reason, '~') \
     FROM rbac.user_permissions ORDER BY 1",
];

/// Every row of every table, as text.
pub async fn snapshot(app: &TestApp) -> Vec<String> {
    let db = &app.state.db;
    let mut rows = Vec::new();
    for sql in FINGERPRINT {
        let sql = db.sql(sql);
        let part: Vec<String> = crate::with_test_pool!(db, |pool| {
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(pool)
                .await
                .expect("fingerprint query (a table is missing?)")
        });
        rows.extend(part);
    }
    rows
}

/// Assert that the database is exactly `before`, naming the case.
#[track_caller]
pub fn assert_unchanged(before: &[String], after: &[String], case: &str) {
    if before != after {
        let gone: Vec<_> = before.iter().filter(|r| !after.contains(r)).collect();
        let new: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
        panic!("database changed by {case}\nremoved/changed: {gone:#?}\nadded/changed: {new:#?}");
    }
}

/// Run `attack`, assert its reply with `check`, then assert the database is unchanged.
pub async fn unchanged<F, Fut>(app: &TestApp, case: &str, attack: F) -> Reply
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    let before = snapshot(app).await;
    let reply = attack().await;
    assert!(reply.status < 500, "{case}: server error {}", reply.text);
    let after = snapshot(app).await;
    assert_unchanged(&before, &after, case);
    reply
}

/// A raw request: any method, raw body text, optional bearer token and content type.
pub async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

/// Percent-encode one path segment (everything but unreserved characters).
pub fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
}

/// The decoded payload of a token.
pub fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("payload segment");
    serde_json::from_slice(&unb64(part)).expect("payload JSON")
}

/// Sign `claims` with `secret` under a standard header for `alg` (an HMAC algorithm).
pub fn forge(claims: &Value, secret: &[u8], alg: Algorithm) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).expect("encode")
}

/// Assemble a token with an arbitrary header, signed with HMAC-SHA256 over `secret`
/// (what an attacker does for algorithm confusion).
pub fn forge_with_header(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
    .expect("sign");
    format!("{message}.{signature}")
}

/// Valid-looking access claims for `user_id` in session `sid`.
pub fn access_claims(user_id: i64, sid: &str) -> Value {
    let iat = now();
    json!({"sub": user_id.to_string(), "type": "access", "jti": uuid::Uuid::new_v4().to_string(),
           "sid": sid, "iat": iat, "nbf": iat, "exp": iat + 900, "fresh": false,
           "username": "x", "email": "x@example.com"})
}

/// A logged-in `super_admin`; returns (id, token).
pub async fn super_admin(app: &TestApp) -> (i64, String) {
    app.user_with_role("root", "super_admin").await
}

/// The stored user row of `id` as the API shows it to a super administrator.
pub async fn user_json(app: &TestApp, admin: &str, id: i64) -> Value {
    let reply = app.get(&format!("/api/v1/users/{id}"), Some(admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["data"].clone()
}

/// Send raw bytes over a fresh TCP connection and return the server's first response (head
/// and `Content-Length` body), for requests an HTTP client refuses to build. Gives up after
/// 10 s, returning whatever arrived.
pub async fn raw_http(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    stream.write_all(request).await.expect("write");
    let mut response = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if response.len() >= end + 4 + length {
                break;
            }
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => response.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&response).into_owned()
}
