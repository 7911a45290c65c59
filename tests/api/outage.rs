//! Tests: readiness and API answers while the database is unreachable, and recovery.
//! PostgreSQL runs go through a TCP proxy the test stops and restarts (never the shared server);
//! SQLite runs make the database unreachable by holding the pool's only connection.

use std::time::Duration;

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::helpers::{create_test_database, postgres_admin_url, spawn_app_with};

/// A TCP forwarder to the PostgreSQL server that can be cut and restored.
struct Proxy {
    port: u16,
    target: String,
    tasks: Option<JoinSet<()>>,
}

impl Proxy {
    async fn start(target: &str) -> Self {
        let mut proxy = Self {
            port: 0,
            target: target.to_string(),
            tasks: None,
        };
        proxy.listen().await;
        proxy
    }

    async fn listen(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind proxy");
        self.port = listener.local_addr().expect("addr").port();
        let target = self.target.clone();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        self.tasks = Some(tasks);
    }

    /// Refuse new connections and cut the open ones.
    fn cut(&mut self) {
        if let Some(mut tasks) = self.tasks.take() {
            tasks.abort_all();
        }
    }
}

async fn wait_for_status(
    app: &crate::helpers::TestApp,
    path: &str,
    status: u16,
    within: Duration,
) -> Duration {
    let started = std::time::Instant::now();
    loop {
        if app.get(path, None).await.status == status {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "{path} never answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn readiness_follows_a_database_outage_and_recovery() {
    let Some(admin) = postgres_admin_url() else {
        return sqlite_pool_exhaustion_makes_readiness_fail().await;
    };
    let database = create_test_database(&admin).await;
    let upstream = url::Url::parse(&database.url).expect("url");
    let target = format!(
        "{}:{}",
        upstream.host_str().unwrap_or("127.0.0.1"),
        upstream.port().unwrap_or(5432)
    );
    let mut proxy = Proxy::start(&target).await;
    let mut via_proxy = upstream.clone();
    via_proxy.set_port(Some(proxy.port)).expect("port");
    let app = spawn_app_with(&[
        ("DATABASE_URL", via_proxy.as_str()),
        ("DB_POOL_TIMEOUT_SECS", "1"),
    ])
    .await;
    assert_eq!(app.get("/readyz", None).await.status, 200);
    assert!(
        app.state.db.reads().is_some(),
        "the per-request reads have their own pool at the default DB_POOL_SIZE"
    );
    let (id, token) = app.user("reader").await;
    let me = format!("/api/v1/users/{id}");
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status, 200);
    assert_eq!(app.get(&me, Some(&token)).await.status, 200);
    proxy.cut();
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 503, "{}", ready.text);
    for path in ["/api/v1/auth/me", me.as_str()] {
        let started = std::time::Instant::now();
        app.get(path, Some(&token)).await.assert_error(
            503,
            "DATABASE_ERROR",
            "The service is temporarily unavailable. Please try again later.",
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} answered slowly"
        );
    }
    assert_eq!(
        ready.body,
        json!({"status": "not_ready", "checks": {"database": "error", "redis": "not_configured"}})
    );
    let write = app.post("/api/v1/auth/register", None, json!({"username": "during", "email": "d@example.com", "password": "Password123", "first_name": "D"})).await;
    write.assert_error(
        503,
        "DATABASE_ERROR",
        "The service is temporarily unavailable. Please try again later.",
    );
    assert_eq!(
        app.get("/api/v1/health", None).await.body["data"]["database"],
        "disconnected"
    );
    proxy.listen().await;
    let recovery = wait_for_status(&app, "/readyz", 200, Duration::from_secs(10)).await;
    eprintln!("readiness recovered {recovery:?} after the database came back");
    assert!(app.register("after").await > 0);
    // The read pool's connections were cut with the rest; none of them is handed out again.
    assert_eq!(app.get("/api/v1/auth/me", Some(&token)).await.status, 200);
    assert_eq!(app.get(&me, Some(&token)).await.status, 200);
    drop(database);
}

async fn sqlite_pool_exhaustion_makes_readiness_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/outage.db", dir.path().display());
    let app = spawn_app_with(&[
        ("DATABASE_URL", url.as_str()),
        ("DB_POOL_SIZE", "1"),
        ("DB_POOL_TIMEOUT_SECS", "1"),
    ])
    .await;
    assert_eq!(app.get("/readyz", None).await.status, 200);
    let warden::store::Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };
    let held = pool.acquire().await.expect("hold the only connection");
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.body["checks"]["database"].as_str()),
        (503, Some("error"))
    );
    let write = app.post("/api/v1/auth/register", None, json!({"username": "during", "email": "d@example.com", "password": "Password123", "first_name": "D"})).await;
    write.assert_error(
        503,
        "DATABASE_ERROR",
        "The service is temporarily unavailable. Please try again later.",
    );
    drop(held);
    wait_for_status(&app, "/readyz", 200, Duration::from_secs(5)).await;
}

fn sqlite_file_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/w.db", dir.path().display())
}

#[tokio::test]
async fn a_request_still_running_at_the_timeout_is_503_service_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_file_url(&dir);
    let settings = [
        ("DATABASE_URL", url.as_str()),
        ("DB_POOL_SIZE", "1"),
        ("DB_POOL_TIMEOUT_SECS", "10"),
        ("REQUEST_TIMEOUT_SECS", "1"),
    ];
    let app = spawn_app_with(&settings).await;
    let warden::store::Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };
    let held = pool.acquire().await.expect("hold the only connection");
    let started = std::time::Instant::now();
    let reply = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "a@example.com", "password": "x"}),
        )
        .await;
    reply.assert_error(
        503,
        "SERVICE_UNAVAILABLE",
        "The service is temporarily unavailable. Please try again later.",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(held);
}

#[tokio::test]
async fn a_missing_table_is_a_500_configuration_error_without_internals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_file_url(&dir);
    let app = spawn_app_with(&[("DATABASE_URL", url.as_str())]).await;
    let warden::store::Db::Sqlite(pool) = &app.state.db else {
        panic!("sqlite expected")
    };
    sqlx::query("DROP TABLE sessions")
        .execute(pool)
        .await
        .expect("drop");
    app.register("schemaless").await;
    let reply = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "schemaless@example.com", "password": crate::helpers::PASSWORD}),
        )
        .await;
    reply.assert_error(
        500,
        "DATABASE_ERROR",
        "The service encountered a configuration error. Please try again later.",
    );
    assert!(
        !reply.text.contains("sessions") && !reply.text.contains("no such table"),
        "{}",
        reply.text
    );
}
