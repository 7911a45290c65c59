//! Adoption of an original (Flask) PostgreSQL database: `migrate` adds only what is
//! missing, keeps every row, refuses what it cannot adopt without writing anything, and legacy
//! password hashes log in and are upgraded. PostgreSQL only: without `TEST_DATABASE_URL` these
//! tests say so on stderr and return (CI runs them in its PostgreSQL pass).

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use serde_json::json;
use sqlx::PgPool;
use warden::store::Db;
use warden::store::migrate::migrate;

use helpers::{
    TestDatabase, create_test_database, postgres_admin_url, spawn_app_with, test_config,
};

const LEGACY_SQL: &str = include_str!("fixtures/legacy-schema.sql");
const LEGACY_TABLES: &[&str] = &[
    "users.users",
    "rbac.permissions",
    "rbac.roles",
    "rbac.role_permissions",
    "rbac.user_permissions",
    "rbac.user_roles",
    "public.alembic_version",
];

async fn legacy_database() -> Option<(TestDatabase, PgPool)> {
    let Some(admin) = postgres_admin_url() else {
        eprintln!("SKIP adoption test: set TEST_DATABASE_URL to run it (PostgreSQL only)");
        return None;
    };
    let database = create_test_database(&admin).await;
    let pool = PgPool::connect(&database.url).await.expect("connect");
    sqlx::raw_sql(LEGACY_SQL)
        .execute(&pool)
        .await
        .expect("load legacy schema");
    Some((database, pool))
}

/// Permissions added after the original: the seed inserts them (only missing rows).
const NEWER_PERMISSIONS: &str = "'audit:read'";

/// Row count and an order-independent checksum of every legacy table (the legacy rows only:
/// permissions the original did not have are left out).
async fn fingerprint(pool: &PgPool) -> Vec<(String, i64, String)> {
    let mut result = Vec::new();
    for table in LEGACY_TABLES {
        let only_legacy = if *table == "rbac.permissions" {
            format!(" WHERE t.name NOT IN ({NEWER_PERMISSIONS})")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t{only_legacy}"
        );
        let (count, checksum): (i64, String) = sqlx::query_as(&sql)
            .fetch_one(pool)
            .await
            .expect("fingerprint");
        result.push((table.to_string(), count, checksum));
    }
    result
}

async fn exists(pool: &PgPool, regclass: &str) -> bool {
    let found: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(regclass)
        .fetch_one(pool)
        .await
        .expect("regclass");
    found.is_some()
}

#[tokio::test]
async fn migrate_adopts_the_original_database_keeping_every_row() {
    let Some((database, pool)) = legacy_database().await else {
        return;
    };
    let before = fingerprint(&pool).await;
    assert_eq!(before[0].1, 4, "four legacy users");
    let db = Db::open(&test_config(&[], &database.url)).expect("open");
    let report = migrate(&db).await.expect("adoption succeeds");
    assert_eq!(
        report.applied.len(),
        warden::store::migrate::MIGRATIONS.len()
    );
    assert_eq!(
        (report.seed.permissions_created, report.seed.roles_created),
        (1, 0),
        "only audit:read was missing"
    );
    let admin_audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM rbac.role_permissions rp JOIN rbac.roles r ON r.id = rp.role_id \
         JOIN rbac.permissions p ON p.id = rp.permission_id WHERE r.name = 'admin' AND p.name = 'audit:read'",
    )
    .fetch_one(&pool)
    .await
    .expect("grant");
    assert_eq!(
        admin_audit, 0,
        "an existing role's permissions are not touched"
    );
    assert_eq!(fingerprint(&pool).await, before, "no legacy row changed");
    assert!(
        exists(&pool, "auth.sessions").await
            && exists(&pool, "auth.audit_events").await
            && exists(&pool, "users.ux_users_users_email_lower").await
            && exists(&pool, "auth.account_tokens").await
            && exists(&pool, "auth.email_verifications").await
    );
    let second = migrate(&db).await.expect("second run");
    assert!(second.applied.is_empty());
    assert_eq!(
        fingerprint(&pool).await,
        before,
        "a second migrate changes nothing"
    );
    let revision: String = sqlx::query_scalar("SELECT version_num FROM public.alembic_version")
        .fetch_one(&pool)
        .await
        .expect("rev");
    assert_eq!(revision, "06ffc6d4c520");
}

#[tokio::test]
async fn legacy_hashes_log_in_and_are_upgraded_to_argon2id() {
    let Some((database, pool)) = legacy_database().await else {
        return;
    };
    let app = spawn_app_with(&[("DATABASE_URL", database.url.as_str())]).await;
    for (email, id) in [
        ("admin@example.com", 1),
        ("jane@example.com", 3),
        ("test@example.com", 4),
    ] {
        let reply = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": "Password123!"}),
            )
            .await;
        assert_eq!(reply.status, 200, "{email}: {}", reply.text);
        assert_eq!(
            reply.body["data"]["user"]["email_verified"], false,
            "adopted users start unverified"
        );
        let stored: String =
            sqlx::query_scalar("SELECT password_hash FROM users.users WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{email}: {stored}"
        );
        let again = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": "Password123!"}),
            )
            .await;
        assert_eq!(again.status, 200, "{email} after upgrade");
    }
    let updated_at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT updated_at FROM users.users WHERE id = 1")
            .fetch_one(&pool)
            .await
            .expect("ts");
    assert_eq!(
        updated_at.to_rfc3339(),
        "2026-01-15T10:30:45+00:00",
        "the upgrade does not touch updated_at"
    );
    let admin = warden::store::rbac::effective_permissions(&app.state.db, 1)
        .await
        .expect("perms");
    assert_eq!(admin, vec!["*:*".to_string()]);
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "john@example.com", "password": "Password123"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
}

#[tokio::test]
async fn an_unknown_alembic_revision_is_refused_without_writing_anything() {
    let Some((database, pool)) = legacy_database().await else {
        return;
    };
    sqlx::query("UPDATE public.alembic_version SET version_num = 'deadbeef0001'")
        .execute(&pool)
        .await
        .expect("update");
    let before = fingerprint(&pool).await;
    let db = Db::open(&test_config(&[], &database.url)).expect("open");
    let err = migrate(&db).await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        "cannot adopt database: unsupported Alembic revision 'deadbeef0001'; only 06ffc6d4c520 can be adopted"
    );
    assert_eq!(fingerprint(&pool).await, before);
    assert!(
        !exists(&pool, "auth.sessions").await && !exists(&pool, "public._warden_migrations").await
    );
}

#[tokio::test]
async fn a_column_of_the_wrong_type_is_refused_with_its_qualified_name() {
    let Some((database, pool)) = legacy_database().await else {
        return;
    };
    sqlx::raw_sql(
        "ALTER TABLE users.users DROP COLUMN bio; ALTER TABLE users.users ADD COLUMN bio INTEGER",
    )
    .execute(&pool)
    .await
    .expect("alter");
    let db = Db::open(&test_config(&[], &database.url)).expect("open");
    let err = migrate(&db).await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        "cannot adopt database: column users.users.bio has type integer, expected text"
    );
    assert!(!exists(&pool, "auth.sessions").await);
}
