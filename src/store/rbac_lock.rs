//! Serialises the authorization changes whose guard reads what another change may write (role
//! and permission grants, role updates and deletions, the target guard of user updates and
//! deletions): the guard's check and its write happen with no other such change in between, on
//! every instance (docs/architecture.md, "Authorization").
//!
//! PostgreSQL: a session advisory lock on a private connection (not one of the pool's, so a
//! pool of one cannot deadlock on it); the lock ends with that connection, also when the request
//! is cancelled half-way. SQLite serves one instance, so the in-process mutex alone suffices.

use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::sync::{Mutex, MutexGuard};

use crate::store::{Db, DbError};

/// The advisory-lock key of authorization changes ("warden:rbac" in ASCII).
const RBAC_LOCK_KEY: i64 = 0x7761_7264_3a72_6263;

/// Held while a guarded check-then-write runs; release with [`RbacLock::release`].
pub struct RbacLock<'a> {
    _local: MutexGuard<'a, ()>,
    cluster: Option<PgConnection>,
}

impl RbacLock<'_> {
    /// Ends the critical section (dropping the lock does the same, a little later).
    pub async fn release(self) {
        if let Some(connection) = self.cluster {
            // Closing the session releases its advisory lock.
            let _ = connection.close().await;
        }
    }
}

/// Waits for the lock: first this process's, then the cluster-wide one on PostgreSQL.
pub async fn acquire<'a>(db: &Db, local: &'a Mutex<()>) -> Result<RbacLock<'a>, DbError> {
    let local = local.lock().await;
    let cluster = match db {
        Db::Postgres(pool) => {
            let mut connection = pool.connect_options().connect().await?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(RBAC_LOCK_KEY)
                .execute(&mut connection)
                .await?;
            Some(connection)
        }
        Db::Sqlite(_) => None,
    };
    Ok(RbacLock {
        _local: local,
        cluster,
    })
}
