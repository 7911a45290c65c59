//! The PostgreSQL connections for the per-request reads: a few `tokio-postgres` connections
//! (`DB_READ_CONNECTIONS`, taken from `DB_POOL_SIZE`: see [`split`]) that every request shares.
//!
//! perf: the session check of every authenticated request and the user read by id are the hot
//! statements. Each request sends its statement on the next connection at once, also while
//! others are in flight there, and `tokio-postgres` pipelines them: PostgreSQL's backend finds
//! the next statement already waiting instead of sleeping between round trips, and far fewer
//! backends compete for the CPU. Statements are prepared once per connection and columns read
//! by position. The SQL text is the same constant the sqlx path runs (SQLite keeps that path).
//! Measurements: docs/performance.md, fourth round.
//!
//! Cancellation needs no lease here: a `tokio-postgres` connection is driven by its own task,
//! which reads every answer to the end and hands each to the statement that asked for it, so a
//! request dropped mid-statement leaves nothing behind for the next one (tests/api/reads.rs).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{Client, NoTls, Row, Statement};

use super::pg::{PING_IF_IDLE_FOR, PoolSettings, REAP_EVERY};
use crate::store::DbError;

/// What the read pool is opened with.
pub struct ReadSetup {
    pub config: tokio_postgres::Config,
    /// `DB_READ_CONNECTIONS`: how many connections the reads share.
    pub connections: usize,
}

/// How many of `DB_POOL_SIZE` connections (`max_size`) the read pool gets and how many stay
/// with the general pool: the `wanted` number (`DB_READ_CONNECTIONS`), leaving the general pool
/// at least one; the total is never more than the setting. No read pool (`None`) when that
/// leaves none for the reads (`DB_POOL_SIZE` = 1 or `DB_READ_CONNECTIONS` = 0): the reads then
/// go through the general pool.
///
/// Few because they are shared: every request sends its statement on the next connection at
/// once, so two connections keep PostgreSQL's backends busy with statements queued back to
/// back (docs/performance.md, fourth round).
pub fn split(max_size: usize, wanted: usize) -> (Option<usize>, usize) {
    let max_size = max_size.max(1);
    let reads = wanted.min(max_size - 1);
    if reads == 0 {
        return (None, max_size);
    }
    (Some(reads), max_size - reads)
}

/// One connection, shared by every request that reads through it: its client, the statements
/// prepared on it, and when it was opened and last used.
struct ReadConnection {
    client: Client,
    /// perf: the read path runs two statements, so a short list compared by text beats a
    /// hashed cache (hashing the ~600-byte session lookup costs more than comparing it).
    prepared: Mutex<Vec<(&'static str, Statement)>>,
    opened: Instant,
    /// Milliseconds since `opened` at the last hand-out.
    last_used_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl ReadConnection {
    async fn open(config: &tokio_postgres::Config) -> Result<Arc<Self>, tokio_postgres::Error> {
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "read connection ended");
            }
        });
        Ok(Arc::new(Self {
            client,
            prepared: Mutex::new(Vec::new()),
            opened: Instant::now(),
            last_used_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }))
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_used_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }

    fn touch(&self) {
        let now = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_used_ms.store(now, Ordering::Relaxed);
    }

    /// Usable for a new statement: its connection task still runs, its lifetime has not ended.
    fn usable(&self, settings: &PoolSettings) -> bool {
        !self.client.is_closed() && self.opened.elapsed() < settings.max_lifetime
    }

    fn prepared(&self, sql: &'static str) -> Option<Statement> {
        let prepared = self.prepared.lock().unwrap_or_else(PoisonError::into_inner);
        prepared
            .iter()
            .find(|(text, _)| *text == sql)
            .map(|(_, statement)| statement.clone())
    }

    async fn statement(&self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.prepared(sql) {
            return Ok(statement);
        }
        let statement = self.client.prepare(sql).await?;
        let mut prepared = self.prepared.lock().unwrap_or_else(PoisonError::into_inner);
        if !prepared.iter().any(|(text, _)| *text == sql) {
            prepared.push((sql, statement.clone()));
        }
        Ok(statement)
    }
}

/// Counts a statement in flight on a connection while it lives.
struct InFlight<'a>(&'a ReadConnection);

impl<'a> InFlight<'a> {
    fn start(connection: &'a ReadConnection) -> Self {
        connection.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(connection)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One of the pool's connection places: the open connection, if any, and a lock held while
/// one is being opened (so a broken connection is replaced once, not once per waiting request).
#[derive(Default)]
struct Slot {
    current: Mutex<Option<Arc<ReadConnection>>>,
    opening: tokio::sync::Mutex<()>,
}

impl Slot {
    fn current(&self) -> Option<Arc<ReadConnection>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, connection: Option<Arc<ReadConnection>>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = connection;
    }

    /// Statements in flight on this slot's connection (none without one).
    fn in_flight(&self) -> usize {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |connection| connection.in_flight.load(Ordering::Relaxed))
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
///
/// perf: unlike a pool that lends each connection to one request at a time, every request
/// picks the connection with the fewest statements in flight and sends its statement on it at
/// once, even while others are in flight there: `tokio-postgres` pipelines them, so
/// PostgreSQL's backend finds the next statement waiting instead of sleeping between round
/// trips. Measurements: docs/performance.md, fourth and fifth rounds.
#[derive(Clone)]
pub struct ReadPool {
    inner: Arc<Shared>,
}

struct Shared {
    config: tokio_postgres::Config,
    settings: PoolSettings,
    slots: Vec<Slot>,
    next: AtomicUsize,
    closed: AtomicBool,
}

impl Shared {
    /// perf: the slot with the fewest statements in flight, so a connection whose backend is
    /// slow (descheduled, or behind a slow statement) gets no more work until it catches up;
    /// the tail at c=64 fell from 3.6–3.9 to 2.7–2.8 × the median (docs/performance.md, fifth
    /// round).
    fn least_busy_slot(&self) -> &Slot {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let index = least_busy(start, self.slots.len(), |index| {
            self.slots[index].in_flight()
        });
        &self.slots[index]
    }
}

/// The index in `0..count` with the least `in_flight`, scanning from `start` (modulo `count`)
/// so that equally busy places take turns.
fn least_busy(start: usize, count: usize, in_flight: impl Fn(usize) -> usize) -> usize {
    let count = count.max(1);
    (0..count)
        .map(|offset| (start + offset) % count)
        .min_by_key(|&index| in_flight(index))
        .unwrap_or(start % count)
}

impl std::fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadPool")
            .field("stats", &self.stats())
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
        let slots = (0..settings.max_size.max(1))
            .map(|_| Slot::default())
            .collect();
        let pool = Self {
            inner: Arc::new(Shared {
                config,
                settings,
                slots,
                next: AtomicUsize::new(0),
                closed: AtomicBool::new(false),
            }),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(maintain(Arc::downgrade(&pool.inner)));
        }
        Ok(pool)
    }

    /// The next slot's connection, opened (or replaced) when it has none that is usable; one
    /// idle for [`PING_IF_IDLE_FOR`] is pinged first, as the general pool does.
    async fn connection(&self) -> Result<Arc<ReadConnection>, DbError> {
        let shared = &*self.inner;
        if shared.closed.load(Ordering::Relaxed) {
            return Err(DbError::Sqlx(sqlx::Error::PoolClosed));
        }
        let slot = shared.least_busy_slot();
        if let Some(connection) = slot.current().filter(|c| c.usable(&shared.settings)) {
            if connection.idle_for() < PING_IF_IDLE_FOR || self.ping(&connection).await {
                return Ok(connection);
            }
        }
        let wait = shared.settings.acquire_timeout;
        let _opening = tokio::time::timeout(wait, slot.opening.lock())
            .await
            .map_err(|_| DbError::Sqlx(sqlx::Error::PoolTimedOut))?;
        // Another request may have replaced it while this one waited.
        if let Some(connection) = slot.current().filter(|c| c.usable(&shared.settings)) {
            if connection.idle_for() < PING_IF_IDLE_FOR {
                return Ok(connection);
            }
        }
        slot.set(None);
        let connection = tokio::time::timeout(wait, ReadConnection::open(&shared.config))
            .await
            .map_err(|_| DbError::Sqlx(sqlx::Error::PoolTimedOut))??;
        connection.touch();
        slot.set(Some(connection.clone()));
        Ok(connection)
    }

    async fn ping(&self, connection: &ReadConnection) -> bool {
        let wait = self.inner.settings.acquire_timeout;
        let answered = tokio::time::timeout(wait, connection.client.simple_query("")).await;
        let alive = matches!(answered, Ok(Ok(_)));
        if alive {
            connection.touch();
        }
        alive
    }

    /// Run one statement (prepared once per connection) and return its row, if any.
    pub async fn query_opt(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, DbError> {
        let connection = self.connection().await?;
        let _in_flight = InFlight::start(&connection);
        let statement = connection.statement(sql).await?;
        Ok(connection.client.query_opt(&statement, params).await?)
    }

    /// Connections this pool keeps open while idle.
    pub fn min_idle(&self) -> usize {
        self.inner.settings.min_idle
    }

    /// `(idle, in_use, max)` connections: in use = at least one statement in flight.
    pub fn stats(&self) -> (u64, u64, u64) {
        let shared = &*self.inner;
        let (mut idle, mut in_use) = (0, 0);
        for connection in shared.slots.iter().filter_map(Slot::current) {
            if connection.in_flight.load(Ordering::Relaxed) > 0 {
                in_use += 1;
            } else {
                idle += 1;
            }
        }
        (idle, in_use, shared.slots.len() as u64)
    }

    /// Refuse new statements and close the connections (statements in flight finish first:
    /// their requests hold the connection until then).
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Relaxed);
        for slot in &self.inner.slots {
            slot.set(None);
        }
    }
}

/// Every [`REAP_EVERY`]: closes connections idle past the idle timeout or past their lifetime
/// (keeping `min_idle`) and opens connections up to `min_idle`; ends with the pool.
async fn maintain(pool: Weak<Shared>) {
    loop {
        tokio::time::sleep(REAP_EVERY).await;
        let Some(shared) = pool.upgrade() else { return };
        if shared.closed.load(Ordering::Relaxed) {
            return;
        }
        let settings = shared.settings;
        let mut open = shared
            .slots
            .iter()
            .filter(|s| s.current().is_some())
            .count();
        for slot in &shared.slots {
            let Some(connection) = slot.current() else {
                continue;
            };
            let idle = connection.in_flight.load(Ordering::Relaxed) == 0;
            let expired = !connection.usable(&settings)
                || (idle && connection.idle_for() >= settings.idle_timeout);
            if expired && (open > settings.min_idle || !connection.usable(&settings)) {
                slot.set(None);
                open -= 1;
            }
        }
        for slot in shared.slots.iter().filter(|s| s.current().is_none()) {
            if open >= settings.min_idle {
                break;
            }
            match ReadConnection::open(&shared.config).await {
                Ok(connection) => {
                    connection.touch();
                    slot.set(Some(connection));
                    open += 1;
                }
                Err(_) => break,
            }
        }
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

    use super::{least_busy, read_config, split};

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
    fn a_request_takes_the_connection_with_the_fewest_statements_in_flight() {
        let loads = [3, 1, 2];
        for start in 0..6 {
            assert_eq!(least_busy(start, 3, |index| loads[index]), 1);
        }
    }

    #[test]
    fn equally_busy_connections_take_turns() {
        let chosen: Vec<usize> = (0..4).map(|start| least_busy(start, 2, |_| 5)).collect();
        assert_eq!(chosen, [0, 1, 0, 1]);
        assert_eq!(least_busy(7, 1, |_| 0), 0);
    }

    #[test]
    fn the_read_pool_takes_its_share_and_the_total_stays_the_setting() {
        assert_eq!(split(1, 2), (None, 1));
        assert_eq!(split(2, 2), (Some(1), 1));
        assert_eq!(split(10, 2), (Some(2), 8));
        assert_eq!(split(32, 8), (Some(8), 24));
        assert_eq!(split(10, 0), (None, 10));
        assert_eq!(split(4, 100), (Some(3), 1));
        for size in 1..50 {
            for wanted in 0..60 {
                let (reads, general) = split(size, wanted);
                assert_eq!(reads.unwrap_or(0) + general, size);
                assert!(general >= 1);
                assert_ne!(reads, Some(0));
            }
        }
    }
}
