//! `App::build(config)`: connect, migrate or check the schema, bind; then
//! `run_until_stopped` serves until a shutdown signal and drains within a bounded time.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::router;
use crate::http::serve::serve;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::ratelimit::LimiterStore;
use crate::state::AppState;
use crate::store::seed::SeedReport;
use crate::store::types::Ts;
use crate::store::{Db, DbError, account_tokens, audit_events, migrate, sessions};

const DATABASE_PATIENCE: Duration = Duration::from_secs(30);
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);
/// Sessions and account tokens are deleted only a week after they expired.
const SESSION_RETENTION: chrono::Duration = chrono::Duration::days(7);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database unreachable: {0}")]
    DatabaseUnreachable(DbError),
    #[error("{0}")]
    Migration(DbError),
    #[error("database schema is not up to date; run 'warden migrate'")]
    SchemaBehind,
    #[error("invalid rate-limit store: {0}")]
    Limiter(String),
    #[error("mail transport: {0}")]
    Mail(crate::mail::MailError),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// Open the database, wait for it, and bring the schema up to date (or check it is).
pub async fn open_database(config: &Config) -> Result<Db, StartupError> {
    open_database_seeded(config).await.map(|(db, _)| db)
}

/// [`open_database`], also returning what the migration's RBAC seed did when `AUTO_MIGRATE` ran
/// it (so `warden seed-rbac` can report the rows that run created instead of finding them
/// already present).
pub async fn open_database_seeded(
    config: &Config,
) -> Result<(Db, Option<SeedReport>), StartupError> {
    let db = Db::open(config).map_err(StartupError::DatabaseUnreachable)?;
    db.wait_until_reachable(DATABASE_PATIENCE)
        .await
        .map_err(StartupError::DatabaseUnreachable)?;
    if config.auto_migrate {
        let report = migrate::migrate(&db)
            .await
            .map_err(StartupError::Migration)?;
        for applied in &report.applied {
            tracing::info!(migration = %applied, "migration applied");
        }
        return Ok((db, Some(report.seed)));
    } else if migrate::status(&db)
        .await
        .map_err(StartupError::Migration)?
        .pending()
        > 0
    {
        return Err(StartupError::SchemaBehind);
    }
    Ok((db, None))
}

/// The per-client limiter (when enabled), the Redis health probes use, and the store that holds
/// every counter (the per-account throttle uses it even when per-client limits are off).
async fn open_limiters(
    config: &Config,
) -> Result<(Option<LimiterStore>, Option<LimiterStore>, LimiterStore), StartupError> {
    let store = match &config.rate_limit.redis_url {
        Some(url) => LimiterStore::redis(url.expose())
            .await
            .map_err(|e| StartupError::Limiter(e.to_string()))?,
        None => LimiterStore::memory(),
    };
    let health = match (store.is_redis(), &config.redis_url) {
        (true, _) => Some(store.clone()),
        (false, Some(url)) => Some(
            LimiterStore::redis(url.expose())
                .await
                .map_err(|e| StartupError::Limiter(e.to_string()))?,
        ),
        (false, None) => None,
    };
    if let Some(redis) = &health {
        if redis.ping().await.is_err() {
            tracing::warn!("redis is unreachable at startup; continuing (readiness reports it)");
        }
    }
    let limiter = config.rate_limit.enabled.then(|| store.clone());
    Ok((limiter, health, store))
}

fn spawn_housekeeping(db: Db, audit_retention_days: u32) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
        loop {
            every.tick().await;
            purge_sessions(&db).await;
            purge_account_tokens(&db).await;
            purge_audit_events(&db, audit_retention_days).await;
        }
    });
}

async fn purge_sessions(db: &Db) {
    let cutoff = Ts(chrono::Utc::now() - SESSION_RETENTION);
    let outcome = sessions::purge_expired_before(db, cutoff).await;
    log_purge(
        outcome,
        "expired sessions purged",
        "session housekeeping failed",
    );
}

/// Account tokens go with the sessions' retention: a week after they expired.
async fn purge_account_tokens(db: &Db) {
    let cutoff = Ts(chrono::Utc::now() - SESSION_RETENTION);
    let outcome = account_tokens::purge_expired_before(db, cutoff).await;
    log_purge(
        outcome,
        "expired account tokens purged",
        "account token housekeeping failed",
    );
}

/// `AUDIT_RETENTION_DAYS`: 0 keeps every event.
pub async fn purge_audit_events(db: &Db, retention_days: u32) {
    if retention_days == 0 {
        return;
    }
    let cutoff = Ts(chrono::Utc::now() - chrono::Duration::days(i64::from(retention_days)));
    let outcome = audit_events::purge_before(db, cutoff).await;
    log_purge(
        outcome,
        "audit events past retention purged",
        "audit housekeeping failed",
    );
}

/// One housekeeping pass's log line: the rows deleted (nothing when none), or the failure.
fn log_purge(outcome: Result<u64, DbError>, purged: &str, failed: &str) {
    match outcome {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "{purged}"),
        Err(err) => tracing::warn!(error = %err, "{failed}"),
    }
}

impl App {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let db = open_database(&config).await?;
        Self::build_with_db(config, db).await
    }

    /// Build on an already prepared database (tests and the CLI share one pool this way).
    pub async fn build_with_db(config: Config, db: Db) -> Result<Self, StartupError> {
        let (limiter, health_redis, counters) = open_limiters(&config).await?;
        let addr = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        spawn_housekeeping(db.clone(), config.protection.audit_retention_days);
        let metrics = Metrics::new(env!("CARGO_PKG_VERSION"), config.env.as_str());
        let mailer = Mailer::start(&config.mail, metrics.mail_messages.clone())
            .map_err(StartupError::Mail)?;
        let state = AppState::new(
            config,
            db,
            limiter,
            health_redis,
            &counters,
            metrics,
            mailer,
        );
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until `shutdown` resolves; then stop accepting, report not-ready, and give
    /// in-flight requests up to `SHUTDOWN_TIMEOUT_SECS` before closing the pools.
    pub async fn run_until_stopped<F>(self, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Self {
            listener,
            router,
            state,
        } = self;
        let drain = Duration::from_secs(state.config.shutdown_timeout_secs);
        let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
        let flag = state.clone();
        let drain_deadline = std::sync::Arc::new(std::sync::Mutex::new(None));
        let deadline_writer = drain_deadline.clone();
        let graceful = async move {
            shutdown.await;
            flag.begin_shutdown();
            if let Ok(mut deadline) = deadline_writer.lock() {
                *deadline = Some(tokio::time::Instant::now() + drain);
            }
            tracing::info!("shutdown started");
            let _ = signalled_tx.send(());
        };
        let limits = state.config.connections;
        let server = serve(listener, router, limits, graceful);
        let mut server = std::pin::pin!(server);
        tokio::select! {
            () = &mut server => {},
            _ = signalled_rx => if tokio::time::timeout(drain, &mut server).await.is_err() {
                tracing::warn!(drain_secs = drain.as_secs(), "drain time exceeded; closing remaining connections");
            },
        };
        // Queued mail gets what is left of the drain time.
        let left = drain_deadline
            .lock()
            .ok()
            .and_then(|deadline| *deadline)
            .map_or(drain, |deadline| {
                deadline.saturating_duration_since(tokio::time::Instant::now())
            });
        state.mailer.flush(left).await;
        state.db.close().await;
        tracing::info!("shutdown finished");
        Ok(())
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
