//! Storage: one connection pool for either backend, the SQL per aggregate, migrations.
//!
//! SQL is written once in the PostgreSQL dialect with schema-qualified table names; for SQLite
//! [`Db::sql`] strips the schema prefixes and `COLLATE "C"` (SQLite's default collation is
//! already byte order). Everything else used here (`$n` parameters, `RETURNING`, `WITH
//! RECURSIVE`, `ON CONFLICT`) is understood by both. Values whose wire types differ between the
//! backends (timestamps, UUIDs) go through the newtypes of [`types`].

pub mod account_tokens;
pub mod audit_events;
pub mod email_verifications;
pub mod error;
pub mod migrate;
pub mod permissions;
pub mod pg;
pub mod pg_reads;
pub mod rbac;
pub mod rbac_lock;
pub mod roles;
pub mod seed;
pub mod sessions;
pub mod types;
pub mod users;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{LazyLock, RwLock};
use std::time::Duration;

use futures_util::FutureExt;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::{Config, DatabaseSetting};
pub use error::{DbClass, DbError};

/// Run `$body` with `$pool` bound to the database of either backend: a leased connection
/// (`&mut PgConnection`) on PostgreSQL, the pool on SQLite.
///
/// The body is compiled once per backend, so the same query code serves both without the
/// `Any` driver (which cannot carry typed timestamps or booleans). On PostgreSQL the lease
/// goes back to the pool only once the body has completed (see [`pg::Lease`]).
#[macro_export]
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::store::Db::Postgres(pg) => {
                #[allow(unused_imports)]
                use ::sqlx::Connection as _;
                let mut lease = pg.lease().await?;
                let outcome: ::std::result::Result<_, $crate::store::DbError> = async {
                    let $pool = lease.conn();
                    ::std::result::Result::Ok($body)
                }
                .await;
                lease.finish(&outcome).await;
                outcome?
            }
            $crate::store::Db::Sqlite($pool) => $body,
        }
    };
}

/// Run `$body` (one statement) with `$conn` bound to the open transaction of either backend
/// (see [`Tx`]).
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.inner {
            $crate::store::TxInner::Postgres(tx) => {
                let outcome: ::std::result::Result<_, $crate::store::DbError> = async {
                    let $conn = tx.statement();
                    ::std::result::Result::Ok($body)
                }
                .await;
                tx.settle();
                outcome?
            }
            $crate::store::TxInner::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// An open transaction of either backend. A service that changes state begins one, passes it
/// to each store function that writes part of the change (and, later, the audit event), and
/// commits once.
pub struct Tx {
    pub inner: TxInner,
}

pub enum TxInner {
    Postgres(pg::PgTx),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Postgres(_) => Backend::Postgres,
            TxInner::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The statement text for this transaction's backend (see [`Db::sql`]).
    pub fn sql(&self, sql: &'static str) -> &'static str {
        dialect(self.backend(), sql)
    }

    pub async fn commit(self) -> Result<(), DbError> {
        match self.inner {
            TxInner::Postgres(tx) => tx.commit().await?,
            TxInner::Sqlite(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub enum Db {
    Postgres(pg::Pool),
    Sqlite(SqlitePool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

static SQLITE_SQL: LazyLock<RwLock<HashMap<&'static str, &'static str>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

fn to_sqlite_dialect(sql: &str) -> String {
    sql.replace("public.", "")
        .replace("users.users", "users")
        .replace("rbac.", "")
        .replace("auth.sessions", "sessions")
        .replace("auth.audit_events", "audit_events")
        .replace("::jsonb", "")
        .replace("details::text", "details")
        .replace("auth.account_tokens", "account_tokens")
        .replace("auth.email_verifications", "email_verifications")
        .replace(" COLLATE \"C\"", "")
        .replace(" FOR UPDATE", "")
}

/// The statement text for a backend. SQLite versions are derived once and kept for the life
/// of the process (the set of statements is fixed, so the cache is bounded).
pub fn dialect(backend: Backend, sql: &'static str) -> &'static str {
    if backend == Backend::Postgres {
        return sql;
    }
    if let Some(found) = SQLITE_SQL
        .read()
        .ok()
        .and_then(|cache| cache.get(sql).copied())
    {
        return found;
    }
    let translated: &'static str = Box::leak(to_sqlite_dialect(sql).into_boxed_str());
    if let Ok(mut cache) = SQLITE_SQL.write() {
        return cache.entry(sql).or_insert(translated);
    }
    translated
}

/// SQLite connections idle for longer than this are pinged before they are handed out (the
/// PostgreSQL pool does the same, see [`pg`]).
///
/// perf: sqlx's default (`test_before_acquire`) pings every connection it hands out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

async fn ping_if_idle<C: sqlx::Connection>(
    conn: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if meta.idle_for >= PING_IF_IDLE_FOR {
        conn.ping().await?;
    }
    Ok(true)
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The statement text for this backend (see [`dialect`]).
    pub fn sql(&self, sql: &'static str) -> &'static str {
        dialect(self.backend(), sql)
    }

    /// The pool for the per-request reads (PostgreSQL, when `DB_POOL_SIZE` leaves room for it);
    /// otherwise they go through [`with_pool!`] like every other statement.
    pub fn reads(&self) -> Option<&pg_reads::ReadPool> {
        match self {
            Self::Postgres(pool) => pool.reads(),
            Self::Sqlite(_) => None,
        }
    }

    /// Begin a transaction that store functions of several aggregates can share.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let inner = match self {
            Self::Postgres(pool) => TxInner::Postgres(pg::PgTx::begin(pool).await?),
            Self::Sqlite(pool) => TxInner::Sqlite(pool.begin().await?),
        };
        Ok(Tx { inner })
    }

    /// Open the pool described by the configuration (lazily: no connection is made yet).
    pub fn open(config: &Config) -> Result<Self, DbError> {
        match &config.database {
            DatabaseSetting::Postgres(url) => {
                let options = PgConnectOptions::from_str(url.expose())?;
                let settings = pg::PoolSettings {
                    max_size: config.db_pool_size as usize,
                    min_idle: config.db_pool_min_idle as usize,
                    acquire_timeout: Duration::from_secs(config.db_pool_timeout_secs),
                    idle_timeout: Duration::from_secs(config.db_idle_timeout_secs),
                    max_lifetime: Duration::from_secs(config.db_max_lifetime_secs),
                };
                let reads = pg_reads::read_config(url.expose(), &options).map(|read_config| {
                    pg_reads::ReadSetup {
                        config: read_config,
                        connections: config.db_read_connections as usize,
                    }
                });
                Ok(Self::Postgres(pg::Pool::new(options, reads, settings)?))
            }
            DatabaseSetting::SqliteFile(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        DbError::Setup(format!("cannot create directory {}: {e}", parent.display()))
                    })?;
                }
                let options = sqlite_options(
                    SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(true),
                );
                let pool = SqlitePoolOptions::new()
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| ping_if_idle(conn, meta).boxed())
                    .max_connections(config.db_pool_size)
                    .min_connections(config.db_pool_min_idle)
                    .acquire_timeout(Duration::from_secs(config.db_pool_timeout_secs))
                    .idle_timeout(Duration::from_secs(config.db_idle_timeout_secs))
                    .max_lifetime(Duration::from_secs(config.db_max_lifetime_secs))
                    .connect_lazy_with(options);
                Ok(Self::Sqlite(pool))
            }
            DatabaseSetting::SqliteMemory => {
                // One connection that never expires: the in-memory database lives exactly as
                // long as that connection.
                let options = sqlite_options(SqliteConnectOptions::from_str("sqlite::memory:")?);
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(Duration::from_secs(config.db_pool_timeout_secs))
                    .connect_lazy_with(options);
                Ok(Self::Sqlite(pool))
            }
        }
    }

    /// Wait until the database answers, retrying for up to `patience`.
    pub async fn wait_until_reachable(&self, patience: Duration) -> Result<(), DbError> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            match self.ping().await {
                Ok(()) => return Ok(()),
                Err(err) if tokio::time::Instant::now() >= deadline => return Err(err),
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// `SELECT 1`.
    pub async fn ping(&self) -> Result<(), DbError> {
        with_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// `(idle, in_use, max)` connections, for `/metrics`.
    pub fn pool_stats(&self) -> (u64, u64, u64) {
        match self {
            Self::Postgres(pool) => pool.stats(),
            Self::Sqlite(pool) => {
                let size = u64::from(pool.size());
                let idle = pool.num_idle() as u64;
                (
                    idle,
                    size.saturating_sub(idle),
                    u64::from(pool.options().get_max_connections()),
                )
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pool) => pool.close().await,
        }
    }
}

fn sqlite_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::to_sqlite_dialect;

    #[test]
    fn sqlite_dialect_drops_schemas_and_collations() {
        let sql = "SELECT u.id FROM users.users u JOIN rbac.user_roles ur ON ur.user_id = u.id \
                   JOIN auth.sessions s ON s.user_id = u.id ORDER BY u.username COLLATE \"C\"";
        assert_eq!(
            to_sqlite_dialect(sql),
            "SELECT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id \
             JOIN sessions s ON s.user_id = u.id ORDER BY u.username"
        );
    }
}
