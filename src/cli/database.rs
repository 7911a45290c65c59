//! `serve`, `migrate`, `seed`, `seed-rbac`, `reset`.

use crate::app::{App, StartupError, open_database, open_database_seeded, shutdown_signal};
use crate::cli::admin::{AccountDraft, report_failure};
use crate::cli::exit;
use crate::config::{Config, DatabaseSetting};
use crate::service::Context;
use crate::service::users::{self as service_users, Enrolment};
use crate::store::seed::{SEED_USERS, SeedReport, SeedUser, seed_rbac as run_seed_rbac};
use crate::store::{Db, migrate as migrations, users};

/// Every demo user's password.
const SEED_PASSWORD: &str = "Password123!";
use crate::telemetry::redact_url;

fn database_label(config: &Config) -> String {
    match &config.database {
        DatabaseSetting::Postgres(url) => redact_url(url.expose()),
        DatabaseSetting::SqliteFile(path) => format!("sqlite://{}", path.display()),
        DatabaseSetting::SqliteMemory => "sqlite::memory:".into(),
    }
}

fn startup_failure(err: &StartupError) -> u8 {
    tracing::error!(error = %err, "startup failed");
    println!("error: {err}");
    exit::FAILURE
}

pub async fn serve(config: Config) -> u8 {
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let store = match &config.rate_limit.redis_url {
        Some(url) => redact_url(url.expose()),
        None => "memory://".into(),
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        env = config.env.as_str(),
        bind = %format!("{}:{}", config.host, config.port),
        database = %database_label(&config),
        rate_limit_store = %store,
        log_level = %config.log.filter,
        log_dir = %config.log.dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default(),
        "warden starting"
    );
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(err) => return startup_failure(&err),
    };
    match app.local_addr() {
        Ok(addr) => tracing::info!("listening on {addr}"),
        Err(err) => tracing::warn!(error = %err, "listening address unknown"),
    }
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => exit::OK,
        Err(err) => {
            tracing::error!(error = %err, "server failed");
            exit::FAILURE
        }
    }
}

/// The database with its schema current (or exit 1), for the data commands.
pub async fn prepared_database(config: &Config) -> Result<Db, u8> {
    open_database(config)
        .await
        .map_err(|err| startup_failure(&err))
}

pub async fn migrate(config: Config, status_only: bool) -> u8 {
    let db = match Db::open(&config) {
        Ok(db) => db,
        Err(err) => return startup_failure(&StartupError::DatabaseUnreachable(err)),
    };
    if status_only {
        return print_status(&db).await;
    }
    match migrations::migrate(&db).await {
        Ok(report) => {
            for applied in &report.applied {
                println!("applied {applied}");
            }
            print_seed(&report.seed);
            println!("database is up to date");
            exit::OK
        }
        Err(err) => {
            println!("error: {err}");
            exit::FAILURE
        }
    }
}

async fn print_status(db: &Db) -> u8 {
    match migrations::status(db).await {
        Ok(status) => {
            println!("backend: {}", status.backend.label());
            match &status.legacy_revision {
                Some(revision) => {
                    println!("original database: detected (alembic revision {revision})")
                }
                None => println!("original database: not detected"),
            }
            for (label, applied_at) in &status.entries {
                match applied_at {
                    Some(at) => println!("{label}: applied {}", at.to_api()),
                    None => println!("{label}: pending"),
                }
            }
            if status.pending() > 0 {
                exit::PENDING
            } else {
                exit::OK
            }
        }
        Err(err) => {
            println!("error: {err}");
            exit::FAILURE
        }
    }
}

fn print_seed(report: &SeedReport) {
    println!(
        "permissions: created {}, skipped {}",
        report.permissions_created, report.permissions_skipped
    );
    println!(
        "roles: created {}, skipped {}",
        report.roles_created, report.roles_skipped
    );
}

pub async fn seed_rbac(config: Config) -> u8 {
    let (db, migration_seed) = match open_database_seeded(&config).await {
        Ok(opened) => opened,
        Err(err) => return startup_failure(&err),
    };
    // With AUTO_MIGRATE the migration already ran the seed; its counts are this command's.
    if let Some(report) = migration_seed {
        print_seed(&report);
        return exit::OK;
    }
    match run_seed_rbac(&db).await {
        Ok(report) => {
            print_seed(&report);
            exit::OK
        }
        Err(err) => {
            println!("error: {err}");
            exit::FAILURE
        }
    }
}

pub async fn seed(config: Config) -> u8 {
    if config.env.is_production() {
        println!("seed is disabled in production");
        return exit::USAGE;
    }
    let db = match prepared_database(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    if let Err(err) = run_seed_rbac(&db).await {
        println!("error: {err}");
        return exit::FAILURE;
    }
    match users::any_user_exists(&db).await {
        Ok(false) => {}
        Ok(true) => {
            println!("database already has users; skipping");
            return exit::OK;
        }
        Err(err) => {
            println!("error: {err}");
            return exit::FAILURE;
        }
    }
    let ctx = Context::offline(&config, db);
    for seed_user in SEED_USERS {
        if let Err(code) = create_seed_user(&ctx, seed_user).await {
            return code;
        }
        println!("created user {}", seed_user.username);
    }
    exit::OK
}

/// A demo user through the registration code, with its one role and no audit event.
async fn create_seed_user(ctx: &Context, seed_user: &SeedUser) -> Result<(), u8> {
    let draft = AccountDraft {
        username: seed_user.username,
        email: seed_user.email,
        password: SEED_PASSWORD,
        first_name: seed_user.first_name,
        last_name: seed_user.last_name,
        bio: Some(seed_user.bio),
    };
    let new_user = draft.validate()?;
    let roles = [seed_user.role.to_string()];
    let enrolment = Enrolment {
        roles: &roles,
        client: None,
        email_verified: false,
    };
    service_users::create(ctx, &new_user, enrolment)
        .await
        .map_err(|err| report_failure(&err))?;
    Ok(())
}

pub async fn reset(config: Config, confirmed: bool) -> u8 {
    if !confirmed {
        println!("refusing to reset without --yes");
        return exit::USAGE;
    }
    if config.env.is_production() {
        println!("reset is disabled in production");
        return exit::USAGE;
    }
    let db = match Db::open(&config) {
        Ok(db) => db,
        Err(err) => return startup_failure(&StartupError::DatabaseUnreachable(err)),
    };
    let outcome = async {
        migrations::drop_everything(&db).await?;
        migrations::migrate(&db).await
    }
    .await;
    match outcome {
        Ok(_) => {
            println!("database reset");
            exit::OK
        }
        Err(err) => {
            println!("error: {err}");
            exit::FAILURE
        }
    }
}
