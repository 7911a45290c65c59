//! The PostgreSQL connections for the per-request reads: `tokio-postgres` clients in a second,
//! smaller pool (see [`split`] for how `DB_POOL_SIZE` is shared with [`super::pg`]).
//!
//! perf: the session check of every authenticated request and the user read by id are the hot
//! statements. Through sqlx they cost about a quarter of warden's instructions per request
//! (its statement cache, by-name row decoding); here each is one prepared statement from the
//! connection's own cache and one round trip. The SQL text is the same constant the sqlx path
//! runs (SQLite keeps that path). Measurements: docs/performance.md, fourth round.
//!
//! Cancellation needs no lease here: a `tokio-postgres` connection is driven by its own task,
//! which reads every answer to the end even when the request that sent the statement was
//! dropped, so a client handed back after a cancelled request is between statements.

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult};
use sqlx::postgres::PgConnectOptions;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Client, NoTls, Row, Statement};

use super::pg::{PING_IF_IDLE_FOR, PoolSettings, Reaped};
use crate::store::DbError;

/// How many of `DB_POOL_SIZE` connections the read pool gets, and how many stay with the
/// general pool: a quarter for the reads (at least one), never more than the setting allows in
/// total. With `DB_POOL_SIZE` = 1 there is no read pool (`None`): the reads share the one
/// connection through the general pool.
///
/// A quarter because a read holds its connection for one round trip and nothing else, while
/// the general pool serves transactions that hold theirs across several statements.
pub fn split(max_size: usize) -> (Option<usize>, usize) {
    if max_size < 2 {
        return (None, max_size.max(1));
    }
    let reads = (max_size / 4).max(1);
    (Some(reads), max_size - reads)
}

/// One connection: its client and the statements prepared on it.
pub struct ReadConnection {
    client: Client,
    /// perf: the read path runs two statements, so a short list compared by text beats a
    /// hashed cache (hashing the ~600-byte session lookup costs more than comparing it).
    prepared: Vec<(&'static str, Statement)>,
}

impl ReadConnection {
    async fn statement(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some((_, statement)) = self.prepared.iter().find(|(text, _)| *text == sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).await?;
        self.prepared.push((sql, statement.clone()));
        Ok(statement)
    }
}

pub struct Manager {
    config: tokio_postgres::Config,
    settings: PoolSettings,
}

impl managed::Manager for Manager {
    type Type = ReadConnection;
    type Error = tokio_postgres::Error;

    async fn create(&self) -> Result<ReadConnection, tokio_postgres::Error> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "read connection ended");
            }
        });
        Ok(ReadConnection {
            client,
            prepared: Vec::new(),
        })
    }

    /// Past its idle timeout or lifetime: closed. A client whose connection task has ended
    /// (server gone, socket closed): closed. One idle for [`PING_IF_IDLE_FOR`]: pinged, as the
    /// general pool does.
    async fn recycle(
        &self,
        connection: &mut ReadConnection,
        metrics: &Metrics,
    ) -> RecycleResult<tokio_postgres::Error> {
        if self.settings.expired(metrics) {
            return Err(RecycleError::message("idle timeout or lifetime reached"));
        }
        if connection.client.is_closed() {
            return Err(RecycleError::message("connection closed"));
        }
        if metrics.last_used() >= PING_IF_IDLE_FOR {
            connection.client.simple_query("").await?;
        }
        Ok(())
    }
}

impl Reaped for Manager {
    fn settings(&self) -> &PoolSettings {
        &self.settings
    }

    async fn close(connection: ReadConnection) {
        // Dropping the client ends its connection task, which closes the socket.
        drop(connection);
    }
}

/// The `tokio-postgres` configuration for `url`, completed with what sqlx found outside it
/// (`options`: host, port, user, database from `PG*` variables and defaults); `None` when the
/// reads should stay on the general pool: `url` uses an option only sqlx understands, or it
/// names no password while sqlx may take one from a password file (which `tokio-postgres`
/// does not read).
pub fn read_config(url: &str, options: &PgConnectOptions) -> Option<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config = match url.parse() {
        Ok(config) => config,
        Err(err) => {
            tracing::info!(reason = %err, "per-request reads use the general connection pool");
            return None;
        }
    };
    if config.get_hosts().is_empty() {
        match options.get_socket() {
            Some(dir) => config.host_path(dir),
            None => config.host(options.get_host()),
        };
    }
    if config.get_ports().is_empty() {
        config.port(options.get_port());
    }
    if config.get_user().is_none() {
        config.user(options.get_username());
    }
    if config.get_dbname().is_none() {
        if let Some(database) = options.get_database() {
            config.dbname(database);
        }
    }
    if config.get_password().is_none() {
        match std::env::var("PGPASSWORD") {
            Ok(password) => {
                config.password(password);
            }
            Err(_) if password_file_exists() => {
                tracing::info!(
                    reason = "password file",
                    "per-request reads use the general connection pool"
                );
                return None;
            }
            Err(_) => {}
        }
    }
    Some(config)
}

fn password_file_exists() -> bool {
    let path = std::env::var_os("PGPASSFILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::home_dir().map(|home| home.join(".pgpass")));
    path.is_some_and(|path| path.exists())
}

/// The pool of read connections; cheap to clone.
#[derive(Clone)]
pub struct ReadPool {
    inner: managed::Pool<Manager>,
}

impl std::fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadPool")
            .field("status", &self.inner.status())
            .finish()
    }
}

impl ReadPool {
    /// A pool that connects lazily; `config` comes from the same `DATABASE_URL` as the general
    /// pool's options.
    pub fn new(
        mut config: tokio_postgres::Config,
        settings: PoolSettings,
    ) -> Result<Self, DbError> {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(settings.acquire_timeout);
        }
        let manager = Manager { config, settings };
        let timeout = Some(settings.acquire_timeout);
        let inner = managed::Pool::builder(manager)
            .max_size(settings.max_size.max(1))
            .wait_timeout(timeout)
            .create_timeout(timeout)
            .recycle_timeout(timeout)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| DbError::Setup(format!("read connection pool: {e}")))?;
        super::pg::start_maintenance(&inner);
        Ok(Self { inner })
    }

    async fn connection(&self) -> Result<Object<Manager>, DbError> {
        self.inner.get().await.map_err(|err| match err {
            PoolError::Backend(err) => DbError::Postgres(err),
            PoolError::Timeout(_) => DbError::Sqlx(sqlx::Error::PoolTimedOut),
            PoolError::Closed => DbError::Sqlx(sqlx::Error::PoolClosed),
            other => DbError::Setup(format!("read connection pool: {other}")),
        })
    }

    /// Run one statement (prepared once per connection) and return its row, if any.
    pub async fn query_opt(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, DbError> {
        let mut connection = self.connection().await?;
        let statement = connection.statement(sql).await?;
        Ok(connection.client.query_opt(&statement, params).await?)
    }

    /// Connections this pool keeps open while idle.
    pub fn min_idle(&self) -> usize {
        self.inner.manager().settings.min_idle
    }

    /// `(idle, in_use, max)` connections.
    pub fn stats(&self) -> (u64, u64, u64) {
        let status = self.inner.status();
        let size = status.size as u64;
        let idle = status.available as u64;
        (idle, size.saturating_sub(idle), status.max_size as u64)
    }

    /// Refuse new clients and close the idle ones.
    pub fn close(&self) {
        self.inner.close();
    }
}

/// The value of column `index` of `row`, which the statement names `name`.
///
/// perf: by position; finding a column by name compares it with every name before it (about a
/// third of the read path's instructions with 17 columns). Debug builds (the test suites)
/// check that the statement really has `name` at `index`.
pub fn column<'a, T: FromSql<'a>>(
    row: &'a Row,
    index: usize,
    name: &'static str,
) -> Result<T, DbError> {
    debug_assert_eq!(
        row.columns().get(index).map(|column| column.name()),
        Some(name),
        "column {index} of the statement"
    );
    row.try_get(index).map_err(|source| DbError::Decode {
        column: name,
        source,
    })
}

/// The read pool's settings: the configured ones with its share of the size and of
/// `min_idle` (in proportion, rounded down, so the two pools never keep more open than set).
pub fn settings(configured: PoolSettings, reads: usize) -> PoolSettings {
    PoolSettings {
        max_size: reads,
        min_idle: configured.min_idle.min(configured.max_size) * reads / configured.max_size.max(1),
        ..configured
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::postgres::PgConnectOptions;

    use super::{read_config, split};

    fn both(url: &str) -> Option<tokio_postgres::Config> {
        read_config(url, &PgConnectOptions::from_str(url).ok()?)
    }

    #[test]
    fn a_plain_url_configures_the_reads_as_the_general_pool() {
        let config = both("postgres://app:s3cret@db.internal:6543/warden?application_name=w")
            .expect("understood by both drivers");
        assert_eq!(config.get_user(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(config.get_dbname(), Some("warden"));
        assert_eq!(config.get_ports(), &[6543]);
        assert_eq!(config.get_application_name(), Some("w"));
    }

    #[test]
    fn what_the_url_leaves_out_comes_from_the_general_pool_options() {
        let config = both("postgres://db.internal/warden").expect("understood by both drivers");
        assert_eq!(config.get_ports(), &[5432]);
        assert!(config.get_user().is_some_and(|user| !user.is_empty()));
    }

    #[test]
    fn an_option_only_sqlx_knows_keeps_the_reads_on_the_general_pool() {
        assert!(both("postgres://app:pw@localhost/warden?statement-cache-capacity=10").is_none());
    }

    #[test]
    fn the_read_pool_takes_a_quarter_and_the_total_stays_the_setting() {
        assert_eq!(split(1), (None, 1));
        assert_eq!(split(2), (Some(1), 1));
        assert_eq!(split(10), (Some(2), 8));
        assert_eq!(split(32), (Some(8), 24));
        for size in 2..100 {
            let (reads, general) = split(size);
            assert_eq!(reads.unwrap_or(0) + general, size);
            assert!(general >= 1);
        }
    }
}
