//! Embedded migrations for both dialects, and adoption of an original (Flask) database (docs/compatibility.md).
//!
//! The whole run is one transaction: on PostgreSQL the adoption checks happen before anything is
//! written, so a refused migration leaves the database exactly as it was. A transaction-scoped
//! advisory lock keeps concurrently starting instances from migrating at the same time.

use std::collections::HashMap;

use crate::store::seed::{SeedReport, run_rbac_seed};
use crate::store::types::Ts;
use crate::store::{Backend, Db, DbError};
use crate::with_pool;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    postgres: &'static str,
    sqlite: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "baseline",
        postgres: include_str!("../../migrations/postgres/0001_baseline.sql"),
        sqlite: include_str!("../../migrations/sqlite/0001_baseline.sql"),
    },
    Migration {
        version: 2,
        name: "sessions",
        postgres: include_str!("../../migrations/postgres/0002_sessions.sql"),
        sqlite: include_str!("../../migrations/sqlite/0002_sessions.sql"),
    },
    Migration {
        version: 3,
        name: "email_ci",
        postgres: include_str!("../../migrations/postgres/0003_email_ci.sql"),
        sqlite: include_str!("../../migrations/sqlite/0003_email_ci.sql"),
    },
    Migration {
        version: 4,
        name: "account_lifecycle",
        postgres: include_str!("../../migrations/postgres/0004_account_lifecycle.sql"),
        sqlite: include_str!("../../migrations/sqlite/0004_account_lifecycle.sql"),
    },
    Migration {
        version: 5,
        name: "audit_events",
        postgres: include_str!("../../migrations/postgres/0005_audit_events.sql"),
        sqlite: include_str!("../../migrations/sqlite/0005_audit_events.sql"),
    },
];

/// The migration re-run on every `migrate` (its index may be skipped on a case clash).
const EMAIL_CI: &str = "email_ci";

const ADOPTABLE_REVISION: &str = "06ffc6d4c520";
const MIGRATION_LOCK_KEY: i64 = 0x7761_7264_656e; // "warden"

const PG_BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS public._warden_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP WITH TIME ZONE NOT NULL)";
const SQLITE_BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS _warden_migrations (\
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

impl Migration {
    fn script(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Postgres => self.postgres,
            Backend::Sqlite => self.sqlite,
        }
    }
    pub fn label(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }
}

#[derive(Debug)]
pub struct MigrateReport {
    pub applied: Vec<String>,
    pub seed: SeedReport,
}

#[derive(Debug)]
pub struct MigrationStatus {
    pub backend: Backend,
    pub legacy_revision: Option<String>,
    /// (label, applied_at) in order.
    pub entries: Vec<(String, Option<Ts>)>,
}

impl MigrationStatus {
    pub fn pending(&self) -> usize {
        self.entries.iter().filter(|(_, at)| at.is_none()).count()
    }
}

/// (column, type family) pairs of one legacy table.
type Columns = &'static [(&'static str, &'static str)];

/// Expected legacy columns and their type family: adoption refuses a table whose column is
/// missing or of another family.
const LEGACY_TABLES: &[(&str, &str, Columns)] = &[
    (
        "users",
        "users",
        &[
            ("username", "text"),
            ("email", "text"),
            ("password_hash", "text"),
            ("first_name", "text"),
            ("middle_name", "text"),
            ("last_name", "text"),
            ("bio", "text"),
            ("is_active", "boolean"),
            ("id", "integer"),
            ("created_at", "timestamp"),
            ("updated_at", "timestamp"),
            ("is_deleted", "boolean"),
        ],
    ),
    (
        "rbac",
        "permissions",
        &[
            ("name", "text"),
            ("resource", "text"),
            ("action", "text"),
            ("description", "text"),
            ("id", "integer"),
            ("created_at", "timestamp"),
            ("updated_at", "timestamp"),
            ("is_deleted", "boolean"),
        ],
    ),
    (
        "rbac",
        "roles",
        &[
            ("name", "text"),
            ("display_name", "text"),
            ("description", "text"),
            ("is_system_role", "boolean"),
            ("parent_role_id", "integer"),
            ("id", "integer"),
            ("created_at", "timestamp"),
            ("updated_at", "timestamp"),
            ("is_deleted", "boolean"),
        ],
    ),
    (
        "rbac",
        "role_permissions",
        &[
            ("role_id", "integer"),
            ("permission_id", "integer"),
            ("granted_at", "timestamp"),
        ],
    ),
    (
        "rbac",
        "user_permissions",
        &[
            ("user_id", "integer"),
            ("permission_id", "integer"),
            ("granted_at", "timestamp"),
            ("granted_by", "integer"),
            ("reason", "text"),
        ],
    ),
    (
        "rbac",
        "user_roles",
        &[
            ("user_id", "integer"),
            ("role_id", "integer"),
            ("assigned_at", "timestamp"),
            ("assigned_by", "integer"),
        ],
    ),
];

fn type_family(data_type: &str) -> &'static str {
    match data_type {
        "smallint" | "integer" | "bigint" => "integer",
        "character varying" | "character" | "text" => "text",
        "boolean" => "boolean",
        t if t.starts_with("timestamp with") || t.starts_with("timestamp without") => "timestamp",
        _ => "other",
    }
}

/// Check one existing legacy table's columns; `columns` maps name -> information_schema data_type.
fn check_legacy_columns(
    schema: &str,
    table: &str,
    expected: &[(&str, &str)],
    columns: &HashMap<String, String>,
) -> Result<(), DbError> {
    for (column, family) in expected {
        let qualified = format!("{schema}.{table}.{column}");
        match columns.get(*column) {
            None => return Err(DbError::Adoption(format!("missing column {qualified}"))),
            Some(actual) if type_family(actual) != *family => {
                return Err(DbError::Adoption(format!(
                    "column {qualified} has type {actual}, expected {family}"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

async fn legacy_revision(conn: &mut sqlx::PgConnection) -> Result<Option<String>, DbError> {
    let exists: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('public.alembic_version')::text")
            .fetch_one(&mut *conn)
            .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let versions: Vec<String> =
        sqlx::query_scalar("SELECT version_num::text FROM public.alembic_version")
            .fetch_all(&mut *conn)
            .await?;
    if let Some(other) = versions.iter().find(|v| v.as_str() != ADOPTABLE_REVISION) {
        return Err(DbError::Adoption(format!(
            "unsupported Alembic revision '{other}'; only {ADOPTABLE_REVISION} can be adopted"
        )));
    }
    Ok(versions.into_iter().next())
}

async fn check_adoptable(conn: &mut sqlx::PgConnection) -> Result<(), DbError> {
    legacy_revision(conn).await?;
    for (schema, table, expected) in LEGACY_TABLES {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2",
        )
        .bind(schema)
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            continue;
        }
        let columns: HashMap<String, String> = rows.into_iter().collect();
        check_legacy_columns(schema, table, expected, &columns)?;
    }
    Ok(())
}

async fn warn_about_case_clashes(conn: &mut sqlx::PgConnection) -> Result<(), DbError> {
    let clashes: Vec<String> = sqlx::query_scalar(
        "SELECT string_agg(id::text, ',' ORDER BY id) FROM users.users GROUP BY lower(email) HAVING count(*) > 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    if !clashes.is_empty() {
        tracing::warn!(
            clashing_user_ids = %clashes.join(";"),
            "users.users has emails that differ only by case; case-insensitive unique index not created"
        );
    }
    Ok(())
}

/// Apply every pending migration, re-evaluate the email index, run the RBAC seed.
pub async fn migrate(db: &Db) -> Result<MigrateReport, DbError> {
    let backend = db.backend();
    let mut applied = Vec::new();
    let seed = with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        if let Db::Postgres(_) = db {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
        }
        pre_checks(db, &mut tx).await?;
        let bookkeeping = if backend == Backend::Postgres {
            PG_BOOKKEEPING
        } else {
            SQLITE_BOOKKEEPING
        };
        sqlx::raw_sql(bookkeeping).execute(&mut *tx).await?;
        let done: Vec<i64> =
            sqlx::query_scalar(db.sql("SELECT version FROM public._warden_migrations"))
                .fetch_all(&mut *tx)
                .await?;
        for migration in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
            sqlx::raw_sql(migration.script(backend))
                .execute(&mut *tx)
                .await?;
            sqlx::query(db.sql("INSERT INTO public._warden_migrations (version, name, applied_at) VALUES ($1, $2, $3)"))
                .bind(migration.version)
                .bind(migration.name)
                .bind(Ts::now())
                .execute(&mut *tx)
                .await?;
            applied.push(migration.label());
        }
        // Re-evaluated on every run: a clash fixed by hand later gets its unique index.
        if let Some(email_ci) = MIGRATIONS.iter().find(|m| m.name == EMAIL_CI) {
            sqlx::raw_sql(email_ci.script(backend))
                .execute(&mut *tx)
                .await?;
        }
        post_checks(db, &mut tx).await?;
        let seed = run_rbac_seed!(db, tx).await?;
        tx.commit().await?;
        seed
    });
    Ok(MigrateReport { applied, seed })
}

/// Adoption checks (PostgreSQL only); a no-op on SQLite.
async fn pre_checks<C>(db: &Db, conn: &mut C) -> Result<(), DbError>
where
    C: AsPgConnection,
{
    match (db, conn.as_pg()) {
        (Db::Postgres(_), Some(pg)) => check_adoptable(pg).await,
        _ => Ok(()),
    }
}

async fn post_checks<C>(db: &Db, conn: &mut C) -> Result<(), DbError>
where
    C: AsPgConnection,
{
    match (db, conn.as_pg()) {
        (Db::Postgres(_), Some(pg)) => warn_about_case_clashes(pg).await,
        _ => Ok(()),
    }
}

/// Lets the backend-generic migration body reach PostgreSQL-only checks.
trait AsPgConnection {
    fn as_pg(&mut self) -> Option<&mut sqlx::PgConnection>;
}

impl AsPgConnection for sqlx::Transaction<'_, sqlx::Postgres> {
    fn as_pg(&mut self) -> Option<&mut sqlx::PgConnection> {
        Some(&mut **self)
    }
}

impl AsPgConnection for sqlx::Transaction<'_, sqlx::Sqlite> {
    fn as_pg(&mut self) -> Option<&mut sqlx::PgConnection> {
        None
    }
}

/// Which migrations are applied; changes nothing.
pub async fn status(db: &Db) -> Result<MigrationStatus, DbError> {
    let backend = db.backend();
    let (legacy_revision, applied): (Option<String>, Vec<(i64, Ts)>) = match db {
        Db::Postgres(pool) => {
            let mut lease = pool.lease().await?;
            let conn = lease.conn();
            let revision = legacy_revision(conn).await?;
            let exists: Option<String> =
                sqlx::query_scalar("SELECT to_regclass('public._warden_migrations')::text")
                    .fetch_one(&mut *conn)
                    .await?;
            let applied = if exists.is_some() {
                sqlx::query_as("SELECT version, applied_at FROM public._warden_migrations")
                    .fetch_all(&mut *conn)
                    .await?
            } else {
                Vec::new()
            };
            lease.finish(&Ok::<_, DbError>(())).await;
            (revision, applied)
        }
        Db::Sqlite(pool) => {
            let exists: Option<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_warden_migrations'",
            )
            .fetch_optional(pool)
            .await?;
            let applied = if exists.is_some() {
                sqlx::query_as("SELECT version, applied_at FROM _warden_migrations")
                    .fetch_all(pool)
                    .await?
            } else {
                Vec::new()
            };
            (None, applied)
        }
    };
    let entries = MIGRATIONS
        .iter()
        .map(|m| {
            let at = applied
                .iter()
                .find(|(v, _)| *v == m.version)
                .map(|(_, at)| *at);
            (m.label(), at)
        })
        .collect();
    Ok(MigrationStatus {
        backend,
        legacy_revision,
        entries,
    })
}

/// `warden reset --yes`: drop everything warden and the original created.
pub async fn drop_everything(db: &Db) -> Result<(), DbError> {
    match db {
        Db::Postgres(pool) => {
            let mut lease = pool.lease().await?;
            sqlx::raw_sql(
                "DROP SCHEMA IF EXISTS users, rbac, auth CASCADE; \
                 DROP TABLE IF EXISTS public._warden_migrations; \
                 DROP TABLE IF EXISTS public.alembic_version;",
            )
            .execute(lease.conn())
            .await?;
        }
        Db::Sqlite(pool) => {
            sqlx::raw_sql(
                "PRAGMA foreign_keys = OFF; \
                 DROP TABLE IF EXISTS audit_events; \
                 DROP TABLE IF EXISTS sessions; DROP TABLE IF EXISTS account_tokens; \
                 DROP TABLE IF EXISTS email_verifications; DROP TABLE IF EXISTS user_roles; \
                 DROP TABLE IF EXISTS user_permissions; DROP TABLE IF EXISTS role_permissions; \
                 DROP TABLE IF EXISTS roles; DROP TABLE IF EXISTS permissions; \
                 DROP TABLE IF EXISTS users; DROP TABLE IF EXISTS _warden_migrations; \
                 PRAGMA foreign_keys = ON;",
            )
            .execute(pool)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_families_follow_the_contract() {
        assert_eq!(type_family("bigint"), "integer");
        assert_eq!(type_family("character"), "text");
        assert_eq!(type_family("timestamp without time zone"), "timestamp");
        assert_eq!(type_family("jsonb"), "other");
    }

    #[test]
    fn a_column_of_another_family_is_refused_with_its_qualified_name() {
        let columns: HashMap<String, String> = [("bio".to_string(), "integer".to_string())].into();
        let err = check_legacy_columns("users", "users", &[("bio", "text")], &columns).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot adopt database: column users.users.bio has type integer, expected text"
        );
        let err =
            check_legacy_columns("users", "users", &[("email", "text")], &columns).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot adopt database: missing column users.users.email"
        );
    }
}
