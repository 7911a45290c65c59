//! Spawns the real application on port 0, on in-memory SQLite by default or on a fresh
//! PostgreSQL database (created from `TEST_DATABASE_URL`, dropped afterwards).

use std::collections::HashMap;
use std::net::SocketAddr;

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use warden::App;
use warden::config::{Config, Vars};
use warden::state::AppState;

pub const PASSWORD: &str = "Password123!";

/// A running application plus what tests need to talk to it.
#[allow(dead_code)] // not every test binary reads every field
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: Client,
    pub state: AppState,
    pub database: Option<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A per-test PostgreSQL database, dropped when the test ends.
pub struct TestDatabase {
    pub admin_url: String,
    pub name: String,
    pub url: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async context: use a private runtime on a plain thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&pool)
                            .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// Create an empty PostgreSQL database for one test.
pub async fn create_test_database(admin_url: &str) -> TestDatabase {
    let name = format!("warden_test_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::PgPool::connect(admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    TestDatabase {
        admin_url: admin_url.to_string(),
        name,
        url: url.to_string(),
    }
}

/// Quiet, generous defaults so tests do not trip the limiter unless they mean to.
const TEST_DEFAULTS: &[(&str, &str)] = &[
    ("APP_ENV", "testing"),
    ("HOST", "127.0.0.1"),
    ("PORT", "0"),
    ("LOG_DIR", ""),
    ("LOG_LEVEL", "error"),
    ("RATE_LIMIT_LOGIN", "10000 per minute"),
    ("RATE_LIMIT_REGISTER", "10000 per minute"),
    ("RATE_LIMIT_PASSWORD_CHANGE", "10000 per minute"),
    ("RATE_LIMIT_PASSWORD_FORGOT", "10000 per minute"),
    ("RATE_LIMIT_PASSWORD_RESET", "10000 per minute"),
    ("RATE_LIMIT_EMAIL_VERIFY", "10000 per minute"),
    ("RATE_LIMIT_DEFAULT", "100000 per hour"),
    ("LOGIN_ACCOUNT_MAX_FAILURES", "100000"),
    ("SHUTDOWN_TIMEOUT_SECS", "5"),
];

pub fn test_config(overrides: &[(&str, &str)], database_url: &str) -> Config {
    let mut vars: HashMap<&str, &str> = TEST_DEFAULTS.iter().copied().collect();
    vars.insert("DATABASE_URL", database_url);
    for (key, value) in overrides {
        vars.insert(key, value);
    }
    Config::from_vars(&Vars::from_pairs(vars)).expect("valid test configuration")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Spawn with extra variables (a `DATABASE_URL` override wins over the backend choice).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_tweaked(overrides, |_| {}).await
}

/// Spawn with extra variables and a final adjustment of settings the environment cannot set.
pub async fn spawn_app_tweaked(
    overrides: &[(&str, &str)],
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let explicit_db = overrides
        .iter()
        .find(|(k, _)| *k == "DATABASE_URL")
        .map(|(_, v)| v.to_string());
    let (database, url) = match (explicit_db, postgres_admin_url()) {
        (Some(url), _) => (None, url),
        (None, Some(admin)) => {
            let db = create_test_database(&admin).await;
            let url = db.url.clone();
            (Some(db), url)
        }
        (None, None) => (None, "sqlite::memory:".to_string()),
    };
    let mut config = test_config(overrides, &url);
    tweak(&mut config);
    let app = App::build(config).await.expect("app builds");
    start(app, database)
}

pub fn start(app: App, database: Option<TestDatabase>) -> TestApp {
    let addr = app.local_addr().expect("bound address");
    let state = app.state().clone();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stop_rx.await;
    }));
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        state,
        database,
        stop: Some(stop_tx),
        server: Some(server),
    }
}

/// A decoded response: status, headers and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub async fn from(response: Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
    pub fn details(&self) -> &Value {
        &self.body["error"]["details"]
    }
    /// Assert status and error code together, showing the body on failure.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(
            (self.status, self.code(), self.message()),
            (status, code, message),
            "body: {}",
            self.text
        );
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PUT, path, token, Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Register `<name>` / `<name>@example.com` with [`PASSWORD`]; returns the new id.
    pub async fn register(&self, name: &str) -> i64 {
        let reply = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD, "first_name": "Test"}),
            )
            .await;
        assert_eq!(reply.status, 201, "register {name}: {}", reply.text);
        reply.body["data"]["id"].as_i64().expect("id")
    }

    /// Log in; returns (access, refresh).
    pub async fn login(&self, email: &str, password: &str) -> (String, String) {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(reply.status, 200, "login {email}: {}", reply.text);
        let data = &reply.body["data"];
        (
            data["access_token"].as_str().expect("access").into(),
            data["refresh_token"].as_str().expect("refresh").into(),
        )
    }

    /// Register and log in; returns (id, access token).
    pub async fn user(&self, name: &str) -> (i64, String) {
        let id = self.register(name).await;
        let (access, _) = self.login(&format!("{name}@example.com"), PASSWORD).await;
        (id, access)
    }

    /// Give a user a seeded role directly in the database (as an administrator would).
    pub async fn grant_role(&self, user_id: i64, role: &str) {
        let db = &self.state.db;
        let role = warden::store::rbac::role_by_name_any(db, role)
            .await
            .expect("query")
            .expect("role exists");
        warden::store::rbac::assign_role(
            db,
            i32::try_from(user_id).expect("id"),
            role.id,
            None,
            &[],
        )
        .await
        .expect("assign");
    }

    /// A logged-in user holding `role`; returns (id, access token).
    pub async fn user_with_role(&self, name: &str, role: &str) -> (i64, String) {
        let id = self.register(name).await;
        self.grant_role(id, role).await;
        let (access, _) = self.login(&format!("{name}@example.com"), PASSWORD).await;
        (id, access)
    }

    /// Stop the server gracefully and wait for it.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(handle) => handle.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// `warden::with_pool!` in a test: failing to get a connection fails the test.
#[macro_export]
macro_rules! with_test_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        async { Ok::<_, warden::store::DbError>(warden::with_pool!($db, |$pool| $body)) }
            .await
            .expect("database connection")
    };
}
