//! The PostgreSQL connection pool: sqlx connections in a `deadpool` pool.
//!
//! perf: sqlx's own pool pings every connection when it comes back (unconditionally), so a
//! one-statement request costs two database round trips. The ping exists because a query
//! future dropped half-way leaves its connection mid-protocol. Here a [`Lease`] is marked in
//! flight from the moment it is handed out until its work has finished; a lease dropped while
//! in flight (request cancelled) takes its connection out of the pool and closes it, so the
//! pool only ever gets back connections that are between statements. Queries, prepared
//! statements (sqlx caches them per connection) and transactions stay sqlx's.
//! Measurements: docs/performance.md.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Postgres, TransactionManager};

use crate::store::DbError;
use crate::store::pg_reads::{self, ReadPool};

/// Connections idle for longer than this are pinged before they are handed out.
///
/// A connection of a busy pool was used moments ago; one that broke since fails its query
/// exactly as it could right after a successful ping. After an outage the pool is idle, so every
/// stale connection is still caught here before a request gets it.
pub(super) const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// How often idle connections past their idle timeout or lifetime are closed.
pub(super) const REAP_EVERY: Duration = Duration::from_secs(30);

/// Pool sizing and recycling, from the `DB_*` settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_size: usize,
    pub min_idle: usize,
    pub acquire_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
}

impl PoolSettings {
    /// Past its lifetime or idle for longer than the idle timeout.
    pub(super) fn expired(&self, metrics: &Metrics) -> bool {
        metrics.age() >= self.max_lifetime || metrics.last_used() >= self.idle_timeout
    }
}

pub struct Manager {
    options: Arc<PgConnectOptions>,
    settings: PoolSettings,
}

impl managed::Manager for Manager {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        self.options.connect().await
    }

    async fn recycle(
        &self,
        conn: &mut PgConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if self.settings.expired(metrics) {
            return Err(RecycleError::message("idle timeout or lifetime reached"));
        }
        if metrics.last_used() >= PING_IF_IDLE_FOR {
            conn.ping().await?;
        }
        Ok(())
    }
}

/// A pool of PostgreSQL connections; cheap to clone.
#[derive(Clone)]
pub struct Pool {
    inner: managed::Pool<Manager>,
    /// The per-request reads' own connections, when `DB_POOL_SIZE` leaves room for them.
    reads: Option<ReadPool>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("status", &self.inner.status())
            .finish()
    }
}

impl Pool {
    /// A pool that connects lazily (no connection is made here). Inside a Tokio runtime it also
    /// starts the task that closes idle connections and keeps `min_idle` open.
    ///
    /// With `reads` (the same `DATABASE_URL` as `options`), `settings.max_size` is shared with
    /// a [`ReadPool`] for the per-request reads (see [`pg_reads::split`]); without, every
    /// statement goes through this pool.
    pub fn new(
        options: PgConnectOptions,
        reads: Option<pg_reads::ReadSetup>,
        settings: PoolSettings,
    ) -> Result<Self, DbError> {
        let wanted = reads.as_ref().map_or(0, |setup| setup.connections);
        let (read_size, general_size) = pg_reads::split(settings.max_size, wanted);
        let reads = match (reads, read_size) {
            (Some(setup), Some(size)) => Some(ReadPool::new(
                setup.config,
                pg_reads::settings(settings, size),
            )?),
            _ => None,
        };
        let settings = PoolSettings {
            max_size: general_size,
            min_idle: settings.min_idle.min(settings.max_size)
                - reads.as_ref().map_or(0, ReadPool::min_idle),
            ..settings
        };
        let timeout = Some(settings.acquire_timeout);
        let inner = managed::Pool::builder(Manager {
            options: Arc::new(options),
            settings,
        })
        .max_size(settings.max_size.max(1))
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Setup(format!("connection pool: {e}")))?;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(maintain(inner.weak()));
        }
        Ok(Self { inner, reads })
    }

    /// The pool for the per-request reads, if this pool has one.
    pub fn reads(&self) -> Option<&ReadPool> {
        self.reads.as_ref()
    }

    /// The options every connection of this pool is opened with.
    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.inner.manager().options
    }

    /// A connection for one unit of work; see [`Lease`].
    pub async fn lease(&self) -> Result<Lease, DbError> {
        let object = self.inner.get().await.map_err(|err| match err {
            PoolError::Backend(err) => DbError::Sqlx(err),
            PoolError::Timeout(_) => DbError::Sqlx(sqlx::Error::PoolTimedOut),
            PoolError::Closed => DbError::Sqlx(sqlx::Error::PoolClosed),
            other => DbError::Setup(format!("connection pool: {other}")),
        })?;
        Ok(Lease {
            object: Some(object),
        })
    }

    /// `(idle, in_use, max)` connections of both pools together.
    pub fn stats(&self) -> (u64, u64, u64) {
        let status = self.inner.status();
        let size = status.size as u64;
        let idle = status.available as u64;
        let general = (idle, size.saturating_sub(idle), status.max_size as u64);
        match &self.reads {
            Some(reads) => {
                let (r_idle, r_used, r_max) = reads.stats();
                (general.0 + r_idle, general.1 + r_used, general.2 + r_max)
            }
            None => general,
        }
    }

    /// Refuse new leases and close the idle connections gracefully.
    pub async fn close(&self) {
        if let Some(reads) = &self.reads {
            reads.close();
        }
        self.inner.close();
        for conn in self.inner.retain(|_, _| false).removed {
            let _ = conn.close().await;
        }
    }
}

/// Closes idle connections past their idle timeout or lifetime and opens connections up to
/// `min_idle`; ends with the pool.
async fn maintain(pool: managed::WeakPool<Manager>) {
    loop {
        tokio::time::sleep(REAP_EVERY).await;
        let Some(pool) = pool.upgrade() else { return };
        if pool.is_closed() {
            return;
        }
        let settings = pool.manager().settings;
        let mut keep = pool.status().size;
        let expired = pool.retain(|_, metrics| {
            let drop = keep > settings.min_idle && settings.expired(&metrics);
            keep -= usize::from(drop);
            !drop
        });
        for conn in expired.removed {
            let _ = conn.close().await;
        }
        let mut held = Vec::new();
        while pool.status().size < settings.min_idle.min(settings.max_size) {
            match pool.get().await {
                Ok(object) => held.push(object),
                Err(_) => break,
            }
        }
    }
}

/// A connection taken from the pool for one unit of work.
///
/// While the lease lives it counts as in flight: dropped (a cancelled request), it closes its
/// connection instead of returning it. [`Lease::finish`] returns a connection whose work ended.
pub struct Lease {
    object: Option<Object<Manager>>,
}

impl Lease {
    pub fn conn(&mut self) -> &mut PgConnection {
        // Only `finish` and `drop` empty the slot, and both consume the lease.
        self.object
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("a lease holds its connection until it ends"))
    }

    /// The work ended with `outcome`: hand the connection back if it is sound. An error the
    /// server reported leaves the connection usable; any other (I/O, protocol) does not. A
    /// transaction dropped without commit has queued its `ROLLBACK`: send it now, so no lock
    /// stays held by an idle connection.
    pub async fn finish<T>(self, outcome: &Result<T, DbError>) {
        let sound = match outcome {
            Ok(_) | Err(DbError::Sqlx(sqlx::Error::Database(_))) => true,
            Err(_) => false,
        };
        if sound {
            self.release().await;
        }
    }

    /// Hand a connection that is between statements back, after sending anything queued.
    async fn release(mut self) {
        if !self.conn().should_flush() || self.conn().ping().await.is_ok() {
            // Back to the pool: the connection is between statements.
            drop(self.object.take());
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(object) = self.object.take() {
            // In flight or unsound: never back to the pool; dropping the socket ends the
            // server session (and rolls back whatever it had open).
            drop(Object::take(object));
        }
    }
}

/// A transaction on a leased connection (the PostgreSQL side of [`crate::store::Tx`]).
///
/// Each statement run through `with_tx!` marks the transaction busy until it completes: a
/// transaction dropped uncommitted between statements rolls back and returns its connection
/// (from a spawned task); one dropped mid-statement closes it.
pub struct PgTx {
    lease: Option<Lease>,
    busy: bool,
}

impl PgTx {
    pub async fn begin(pool: &Pool) -> Result<Self, DbError> {
        let mut lease = pool.lease().await?;
        let begun = <Postgres as sqlx::Database>::TransactionManager::begin(lease.conn(), None)
            .await
            .map_err(DbError::from);
        if begun.is_err() {
            lease.finish(&begun).await;
            return begun.map(|()| unreachable!("checked to be an error"));
        }
        Ok(Self {
            lease: Some(lease),
            busy: false,
        })
    }

    /// The connection for the next statement, marked busy until [`PgTx::settle`].
    pub fn statement(&mut self) -> &mut PgConnection {
        self.busy = true;
        self.lease_mut().conn()
    }

    /// The statement started by [`PgTx::statement`] has completed (successfully or not).
    pub fn settle(&mut self) {
        self.busy = false;
    }

    fn lease_mut(&mut self) -> &mut Lease {
        self.lease
            .as_mut()
            .unwrap_or_else(|| unreachable!("a transaction holds its lease until it ends"))
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        let mut lease = self
            .lease
            .take()
            .unwrap_or_else(|| unreachable!("a transaction holds its lease until it ends"));
        let committed = <Postgres as sqlx::Database>::TransactionManager::commit(lease.conn())
            .await
            .map_err(DbError::from);
        if committed.is_ok() {
            lease.release().await;
        }
        // A failed COMMIT leaves sqlx's transaction depth counting an open transaction the
        // server has ended: that connection is closed (the lease drops), never reused.
        committed
    }
}

impl Deref for PgTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.lease
            .as_ref()
            .and_then(|lease| lease.object.as_deref())
            .unwrap_or_else(|| unreachable!("a transaction holds its lease until it ends"))
    }
}

impl DerefMut for PgTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.statement()
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        let Some(mut lease) = self.lease.take() else {
            return;
        };
        if self.busy {
            return; // the lease closes its connection
        }
        <Postgres as sqlx::Database>::TransactionManager::start_rollback(lease.conn());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(lease.release());
        }
    }
}
