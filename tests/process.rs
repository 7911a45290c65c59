//! The real `warden serve` process: startup, logging hygiene, SIGTERM.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "api/smtp_sink.rs"]
#[allow(dead_code)]
mod smtp_sink;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

fn start(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_ENV", "development")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LOG_FORMAT", "json")
        .env("LOG_LEVEL", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    Server {
        child: command.spawn().expect("spawn"),
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            if response.status() == 200 {
                return started.elapsed();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server never became ready"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn terminate(child: &mut Child) -> (Option<i32>, String) {
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout.read_to_string(&mut out).expect("stdout");
    }
    (status.code(), out)
}

const RESET_PASSWORD: &str = "Reset-Secret-Passw0rd";
const CHANGED_PASSWORD: &str = "Changed-Secret-Passw0rd";

/// Forgot → reset → change password; returns the reset token that went by mail.
async fn account_flows(
    client: &reqwest::Client,
    base: &str,
    sink: &smtp_sink::SmtpSink,
    email: &str,
    access: &str,
) -> String {
    let post = |path: &str, body: Value| client.post(format!("{base}{path}")).json(&body).send();
    // Registration sent a verification link first.
    let sent = sink.wait_for(1).await.len();
    let forgot = post("/api/v1/auth/password/forgot", json!({"email": email}))
        .await
        .expect("forgot");
    assert_eq!(forgot.status(), 202);
    let reset_token = sink.wait_for(sent + 1).await[sent].token();
    let reset = post(
        "/api/v1/auth/password/reset",
        json!({"token": reset_token, "new_password": RESET_PASSWORD}),
    )
    .await
    .expect("reset");
    assert_eq!(reset.status(), 200);
    let login: Value = post(
        "/api/v1/auth/login",
        json!({"email": email, "password": RESET_PASSWORD}),
    )
    .await
    .expect("login")
    .json()
    .await
    .expect("json");
    let fresh = login["data"]["access_token"].as_str().unwrap_or(access);
    let change = client
        .post(format!("{base}/api/v1/auth/password/change"))
        .bearer_auth(fresh)
        .json(&json!({"current_password": RESET_PASSWORD, "new_password": CHANGED_PASSWORD}))
        .send()
        .await
        .expect("change");
    assert_eq!(change.status(), 200);
    reset_token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_secrets_and_sigterm_exits_cleanly() {
    let secret = "process-test-secret-key-0123456789";
    let sink = smtp_sink::SmtpSink::start().await;
    let smtp_url = sink.url();
    let mut server = start(&[
        ("SECRET_KEY", secret),
        ("DATABASE_URL", "sqlite://data/p.db"),
        ("LOG_DIR", "logs"),
        ("SMTP_URL", smtp_url.as_str()),
    ]);
    let client = reqwest::Client::new();
    wait_ready(&client, &server.base).await;
    let password = "Sup3r-Secret-Passw0rd";
    let email = "hidden.person@example.com";
    let register =
        json!({"username": "hidden", "email": email, "password": password, "first_name": "H"});
    client
        .post(format!("{}/api/v1/auth/register", server.base))
        .json(&register)
        .send()
        .await
        .expect("register");
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["data"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    client
        .get(format!("{}/api/v1/auth/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": "Wrong-Passw0rd"}))
        .send()
        .await
        .expect("failed login");
    // The account e-mails: a reset link and a password change must not leak either.
    let reset_token = account_flows(&client, &server.base, &sink, email, &token).await;
    let (code, stdout) = terminate(&mut server.child);
    assert_eq!(code, Some(0), "SIGTERM exits 0");
    let file_logs: String = std::fs::read_dir(server._dir.path().join("logs"))
        .expect("log dir")
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(
        file_logs.contains("request completed"),
        "daily file has JSON lines"
    );
    for logs in [&stdout, &file_logs] {
        for needle in [
            password,
            "Wrong-Passw0rd",
            token.as_str(),
            secret,
            "$argon2id$",
            email,
            reset_token.as_str(),
            RESET_PASSWORD,
            CHANGED_PASSWORD,
        ] {
            assert!(!logs.contains(needle), "{needle} appeared in the logs");
        }
        for line in logs.lines().filter(|l| !l.trim().is_empty()) {
            let parsed: Value =
                serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"));
            assert!(
                parsed["timestamp"].is_string()
                    && parsed["level"].is_string()
                    && parsed["message"].is_string()
            );
        }
    }
    assert!(
        stdout.contains("\"message\":\"listening on 127.0.0.1:"),
        "{stdout}"
    );
    assert!(stdout.contains("\"message\":\"shutdown finished\""));
    let completed = stdout
        .lines()
        .find(|l| l.contains("request completed") && l.contains("/api/v1/auth/me"))
        .expect("access line");
    let line: Value = serde_json::from_str(completed).expect("json");
    assert_eq!(
        (line["status"].as_u64(), line["method"].as_str()),
        (Some(200), Some("GET"))
    );
    assert!(
        line["request_id"].is_string()
            && line["duration_ms"].is_number()
            && line["user_id"].is_number()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_on_sqlite_reaches_ready_quickly() {
    let mut server = start(&[("DATABASE_URL", "sqlite://data/cold.db"), ("LOG_DIR", "")]);
    let client = reqwest::Client::new();
    let elapsed = wait_ready(&client, &server.base).await;
    eprintln!(
        "cold start to first 200 on /readyz (debug build, first run incl. migrations): {elapsed:?}"
    );
    let (code, _) = terminate(&mut server.child);
    assert_eq!(code, Some(0));
}
