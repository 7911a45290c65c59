//! The `warden` binary's data commands end to end, on a SQLite file by default or on a
//! fresh PostgreSQL database when `TEST_DATABASE_URL` is set.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

#[path = "api/smtp_sink.rs"]
#[allow(dead_code)]
mod smtp_sink;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use helpers::{TestDatabase, create_test_database, postgres_admin_url};

struct Target {
    dir: tempfile::TempDir,
    url: String,
    _database: Option<TestDatabase>,
}

async fn target() -> Target {
    let dir = tempfile::tempdir().expect("tempdir");
    match postgres_admin_url() {
        Some(admin) => {
            let database = create_test_database(&admin).await;
            Target {
                url: database.url.clone(),
                dir,
                _database: Some(database),
            }
        }
        None => Target {
            url: "sqlite://data/cli.db".into(),
            dir,
            _database: None,
        },
    }
}

fn run(target: &Target, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command
        .args(args)
        .current_dir(target.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_ENV", "testing")
        .env("DATABASE_URL", &target.url)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("spawn warden");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    assert!(!stdout.contains("$argon2id$"), "no hash on stdout");
    let _ = stderr;
    (status.code().unwrap_or(-1), stdout)
}

#[tokio::test]
async fn migrate_status_reports_pending_then_applied_and_a_second_run_is_a_no_op() {
    let target = target().await;
    let no_auto = [("AUTO_MIGRATE", "false")];
    let (code, out) = run(&target, &["migrate", "--status"], &no_auto, None);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("0001_baseline: pending") && out.contains("original database: not detected"),
        "{out}"
    );
    let (code, out) = run(&target, &["migrate"], &no_auto, None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("applied 0001_baseline") && out.contains("permissions: created 21, skipped 0"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("database is up to date"), "{out}");
    let (code, out) = run(&target, &["migrate"], &no_auto, None);
    assert_eq!(code, 0);
    assert!(
        !out.contains("applied 0001")
            && out.contains("permissions: created 0, skipped 21")
            && out.contains("roles: created 0, skipped 4"),
        "{out}"
    );
    let (code, out) = run(&target, &["migrate", "--status"], &no_auto, None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0003_email_ci: applied "), "{out}");
}

#[tokio::test]
async fn serve_refuses_a_behind_schema_without_auto_migrate() {
    let target = target().await;
    let (code, out) = run(&target, &["seed-rbac"], &[("AUTO_MIGRATE", "false")], None);
    assert_eq!(code, 1);
    assert!(
        out.contains("database schema is not up to date; run 'warden migrate'"),
        "{out}"
    );
}

/// Run SQL written for PostgreSQL's schemas on the target (SQLite names the tables without them).
async fn execute(target: &Target, statements: &[&str]) {
    if target._database.is_some() {
        let pool = sqlx::PgPool::connect(&target.url).await.expect("connect");
        for sql in statements {
            sqlx::query(sql).execute(&pool).await.expect("statement");
        }
        pool.close().await;
        return;
    }
    let file = target.dir.path().join("data/cli.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("connect");
    for sql in statements {
        let sql = sql.replace("rbac.", "");
        sqlx::query(&sql).execute(&pool).await.expect("statement");
    }
    pool.close().await;
}

#[tokio::test]
async fn seed_rbac_counts_a_recreated_role_as_created() {
    let target = target().await;
    let (code, out) = run(&target, &["seed-rbac"], &[], None);
    assert_eq!(code, 0, "{out}");
    execute(
        &target,
        &[
            "DELETE FROM rbac.role_permissions WHERE role_id = \
             (SELECT id FROM rbac.roles WHERE name = 'moderator')",
            "DELETE FROM rbac.roles WHERE name = 'moderator'",
        ],
    )
    .await;
    for auto_migrate in ["true", "false"] {
        let (code, out) = run(
            &target,
            &["seed-rbac"],
            &[("AUTO_MIGRATE", auto_migrate)],
            None,
        );
        assert_eq!(code, 0, "{out}");
        let roles = if auto_migrate == "true" {
            "roles: created 1, skipped 3"
        } else {
            "roles: created 0, skipped 4"
        };
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].starts_with("permissions: created 0, skipped "),
            "{out}"
        );
        assert_eq!(lines[1], roles, "AUTO_MIGRATE={auto_migrate}");
    }
}

#[tokio::test]
async fn seed_creates_the_demo_users_once() {
    let target = target().await;
    let (code, out) = run(&target, &["seed"], &[], None);
    assert_eq!(code, 0, "{out}");
    for user in ["admin", "john_doe", "jane_smith", "test_user"] {
        assert!(out.contains(&format!("created user {user}")), "{out}");
    }
    let (code, out) = run(&target, &["seed"], &[], None);
    assert_eq!(
        (code, out.trim()),
        (0, "database already has users; skipping")
    );
    let (code, out) = run(
        &target,
        &["seed"],
        &[
            ("APP_ENV", "production"),
            ("SECRET_KEY", "x".repeat(40).as_str()),
        ],
        None,
    );
    assert_eq!((code, out.trim()), (2, "seed is disabled in production"));
}

#[tokio::test]
async fn create_admin_validates_creates_and_refuses_duplicates() {
    let target = target().await;
    let args = [
        "create-admin",
        "--email",
        "Root@Example.com",
        "--username",
        "root",
        "--password-stdin",
    ];
    let (code, out) = run(&target, &args, &[], Some("weak\n"));
    assert_eq!(code, 2);
    assert!(
        out.contains("password: String should have at least 8 characters"),
        "{out}"
    );
    let (code, out) = run(&target, &args, &[], Some("Password123!\n"));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("created super admin root (id "), "{out}");
    let (code, out) = run(&target, &args, &[], Some("Password123!\n"));
    assert_eq!((code, out.trim()), (1, "Username already exists"));
    let (code, out) = run(
        &target,
        &["create-admin", "--email", "x@example.com"],
        &[],
        None,
    );
    assert_eq!(code, 2, "no TTY and no password: {out}");
}

#[tokio::test]
async fn assign_admin_normalises_the_name_and_is_idempotent() {
    let target = target().await;
    assert_eq!(run(&target, &["seed"], &[], None).0, 0);
    let (code, out) = run(&target, &["assign-admin", "  JANE_SMITH "], &[], None);
    assert_eq!(
        (code, out.trim()),
        (0, "assigned role 'super_admin' to user 'jane_smith'")
    );
    let (code, out) = run(&target, &["assign-admin", "jane_smith"], &[], None);
    assert_eq!(
        (code, out.trim()),
        (0, "user 'jane_smith' already has role 'super_admin'")
    );
    let (code, out) = run(&target, &["assign-admin", "ghost"], &[], None);
    assert_eq!((code, out.trim()), (1, "user 'ghost' not found"));
}

#[tokio::test]
async fn reset_needs_confirmation_and_recreates_the_schema() {
    let target = target().await;
    assert_eq!(run(&target, &["seed"], &[], None).0, 0);
    let (code, out) = run(&target, &["reset"], &[], None);
    assert_eq!((code, out.trim()), (2, "refusing to reset without --yes"));
    let (code, out) = run(&target, &["reset", "--yes"], &[], None);
    assert_eq!((code, out.trim()), (0, "database reset"));
    let (code, out) = run(&target, &["seed"], &[], None);
    assert!(
        code == 0 && out.contains("created user admin"),
        "users were dropped by the reset: {out}"
    );
}

#[tokio::test]
async fn openapi_prints_a_clean_document() {
    let target = target().await;
    let (code, out) = run(&target, &["openapi"], &[], None);
    assert_eq!(code, 0);
    let document: serde_json::Value =
        serde_json::from_str(&out).expect("stdout is only the JSON document");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_0_only_on_a_healthy_answer() {
    let target = target().await;
    let app = helpers::spawn_app().await;
    let url = app.url("/readyz");
    let (code, out) = run(&target, &["healthcheck", "--url", &url], &[], None);
    assert_eq!((code, out.trim()), (0, "healthy"));
    let (code, out) = run(
        &target,
        &[
            "healthcheck",
            "--url",
            "http://127.0.0.1:1/readyz",
            "--timeout",
            "2",
        ],
        &[],
        None,
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("unhealthy: "), "{out}");
    let missing = app.url("/nope");
    let (code, out) = run(&target, &["healthcheck", "--url", &missing], &[], None);
    assert_eq!((code, out.trim()), (1, "unhealthy: 404"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_passes_against_a_live_instance() {
    let target = target().await;
    let app = helpers::spawn_app().await;
    let (code, out) = run(&target, &["smoke", "--base-url", &app.base], &[], None);
    for step in [
        "PASS register",
        "PASS login",
        "PASS me",
        "PASS refresh",
        "PASS refresh reuse rejected",
        "PASS session revoked after reuse",
        "PASS logout",
        "PASS token rejected after logout",
        "PASS delete throwaway account",
    ] {
        assert!(out.contains(step), "missing {step}:\n{out}");
    }
    assert_eq!(code, 0, "{out}");
    let (code, _) = run(&target, &["smoke"], &[], None);
    assert_eq!(code, 2);
}

/// The database the binary uses, opened from the test (the SQLite path is relative to the
/// binary's working directory).
fn library_db(target: &Target) -> warden::store::Db {
    let url = match &target._database {
        Some(_) => target.url.clone(),
        None => format!("sqlite://{}/data/cli.db", target.dir.path().display()),
    };
    let config = helpers::test_config(&[], &url);
    warden::store::Db::open(&config).expect("open")
}

fn audit_row(event: &'static str, subject: i32) -> warden::store::audit_events::NewAuditEvent {
    warden::store::audit_events::NewAuditEvent {
        occurred_at: warden::store::types::Ts::now(),
        event,
        actor_user_id: None,
        subject_user_id: Some(subject),
        ip_address: Some("203.0.113.7".into()),
        user_agent: None,
        request_id: Some("req-1".into()),
        details: r#"{"email":"john@example.com"}"#.into(),
    }
}

#[tokio::test]
async fn audit_tail_prints_the_newest_events_oldest_first() {
    let target = target().await;
    let (code, out) = run(&target, &["migrate"], &[], None);
    assert_eq!(code, 0, "{out}");
    let db = library_db(&target);
    for (event, subject) in [
        ("auth.login_failed", 5),
        ("user.deleted", 6),
        ("auth.logout", 7),
    ] {
        warden::store::audit_events::insert_alone(&db, &audit_row(event, subject))
            .await
            .expect("insert");
    }
    db.close().await;
    let (code, out) = run(
        &target,
        &["audit", "tail", "--json", "--event", "auth."],
        &[],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["event"], "auth.login_failed");
    assert_eq!(lines[1]["event"], "auth.logout");
    assert_eq!(lines[0]["details"]["email"], "john@example.com");
    let (code, out) = run(
        &target,
        &["audit", "tail", "--since", "1h", "--limit", "2"],
        &[],
        None,
    );
    assert_eq!(code, 0, "{out}");
    let text: Vec<&str> = out.lines().collect();
    assert_eq!(text.len(), 2, "{out}");
    assert!(
        text[0].contains(" user.deleted actor=- subject=6 ip=203.0.113.7 request_id=req-1 "),
        "{out}"
    );
    assert!(text[1].contains(" auth.logout "), "{out}");
    let (code, _) = run(
        &target,
        &["audit", "tail", "--since", "2999-01-01T00:00:00Z"],
        &[],
        None,
    );
    assert_eq!(code, 0);
    let (code, _) = run(
        &target,
        &["audit", "tail", "--event", "billing."],
        &[],
        None,
    );
    assert_eq!(code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_test_mail_reports_sent_or_the_failure() {
    let target = target().await;
    let sink = smtp_sink::SmtpSink::start().await;
    let url = sink.url();
    let args = ["send-test-mail", "--to", "ops@example.com"];
    let (code, out) = run(&target, &args, &[("SMTP_URL", url.as_str())], None);
    assert_eq!((code, out.trim()), (0, "sent"));
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, "ops@example.com");
    assert_eq!(mail.subject, "warden test message");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let down = format!("smtp://127.0.0.1:{closed}");
    let (code, out) = run(&target, &args, &[("SMTP_URL", down.as_str())], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("failed: "), "{out}");
    let (code, out) = run(&target, &args, &[("MAIL_TRANSPORT", "none")], None);
    assert_eq!(code, 1, "{out}");
}
