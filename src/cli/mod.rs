//! The command line: clap definitions and dispatch to one handler per subcommand.

mod admin;
mod audit;
mod database;
mod mail;
mod probe;
pub mod smoke;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, Vars};
use crate::telemetry::{self, ConsoleTarget, LogFormat, LogSettings, TelemetryGuard};

/// Exit codes of the command line (README, "Command line").
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const PENDING: u8 = 3;
}

#[derive(Debug, Parser)]
#[command(
    name = "warden",
    version,
    about = "User management, authentication and access control API service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default command).
    Serve,
    /// Apply pending migrations (adopting an original database) and the RBAC seed.
    Migrate {
        /// Only report which migrations are applied; change nothing (exit 3 when pending).
        #[arg(long)]
        status: bool,
    },
    /// Create the demo users (refused in production).
    Seed,
    /// Insert missing permissions and system roles.
    SeedRbac,
    /// Create a user holding the super_admin role.
    CreateAdmin {
        #[arg(long, default_value = "admin")]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long = "first-name", default_value = "Admin")]
        first_name: String,
        #[arg(long = "last-name")]
        last_name: Option<String>,
        /// Read the password from one line of standard input.
        #[arg(long = "password-stdin")]
        password_stdin: bool,
    },
    /// Give an existing user the super_admin role.
    AssignAdmin {
        /// The user's username (trimmed and lower-cased).
        username: String,
    },
    /// Drop every table and recreate the schema (destructive).
    Reset {
        /// Confirm the reset.
        #[arg(long)]
        yes: bool,
    },
    /// Print the OpenAPI document.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Probe a running instance's readiness (for Docker HEALTHCHECK); exit 0 only on 200.
    Healthcheck {
        /// URL to probe (default http://127.0.0.1:<PORT>/readyz).
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
    /// Read the security audit log from the database.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Send one test message through the configured mail transport (checks SMTP settings).
    SendTestMail {
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
    /// Black-box check of a running instance (post-deploy smoke test).
    Smoke {
        /// Base URL of the instance, e.g. https://staging.example.com
        #[arg(long = "base-url")]
        base_url: Option<String>,
        /// Per-request timeout in seconds.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print the newest events, oldest first.
    Tail {
        /// Only events at or after this time: RFC 3339, or an age such as 15m, 2h, 7d.
        #[arg(long)]
        since: Option<String>,
        /// An event name (auth.login_failed) or a prefix ending in '.' (auth.).
        #[arg(long)]
        event: Option<String>,
        /// How many events (1-200).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// One JSON object per line (the admin route's event object).
        #[arg(long)]
        json: bool,
    },
}

fn config_or_exit() -> Result<Config, ExitCode> {
    Config::from_vars(&Vars::from_process()).map_err(|err| {
        eprintln!("error: invalid configuration: {err}");
        ExitCode::from(exit::USAGE)
    })
}

fn start_logging(config: &Config, console: ConsoleTarget) -> Result<TelemetryGuard, ExitCode> {
    let settings = LogSettings {
        filter: config.log.filter.clone(),
        format: match config.log.format {
            crate::config::LogFormatSetting::Pretty => LogFormat::Pretty,
            crate::config::LogFormatSetting::Json => LogFormat::Json,
        },
        dir: if matches!(console, ConsoleTarget::Stdout) {
            config.log.dir.clone()
        } else {
            None
        },
        retention_days: config.log.retention_days,
        console,
    };
    telemetry::init(&settings).map_err(|err| {
        eprintln!("error: invalid configuration: {err}");
        ExitCode::from(exit::USAGE)
    })
}

fn runtime(config: Option<&Config>) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = config.and_then(|c| c.worker_threads) {
        builder.worker_threads(threads);
    }
    builder.enable_all().build().map_err(|err| {
        eprintln!("error: cannot start the async runtime: {err}");
        ExitCode::from(exit::FAILURE)
    })
}

/// Parse the command line and run it; the process exit code is the result.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    match execute(command) {
        Ok(code) | Err(code) => code,
    }
}

fn execute(command: Command) -> Result<ExitCode, ExitCode> {
    // Commands that need neither database nor secrets.
    match &command {
        Command::Openapi { output } => return Ok(probe::openapi(output.as_deref())),
        Command::Healthcheck { url, timeout } => {
            let rt = runtime(None)?;
            return Ok(rt.block_on(probe::healthcheck(url.clone(), *timeout)));
        }
        Command::Smoke { base_url, timeout } => {
            let Some(base_url) = base_url.clone() else {
                eprintln!("error: smoke needs --base-url <URL>");
                return Ok(ExitCode::from(exit::USAGE));
            };
            let rt = runtime(None)?;
            return Ok(rt.block_on(smoke::run(&base_url, *timeout)));
        }
        _ => {}
    }
    let config = config_or_exit()?;
    let console = if matches!(command, Command::Serve) {
        ConsoleTarget::Stdout
    } else {
        ConsoleTarget::Stderr
    };
    let _guard = start_logging(&config, console)?;
    let rt = runtime(Some(&config))?;
    let code = rt.block_on(async move {
        match command {
            Command::Serve => database::serve(config).await,
            Command::Migrate { status } => database::migrate(config, status).await,
            Command::Seed => database::seed(config).await,
            Command::SeedRbac => database::seed_rbac(config).await,
            Command::Reset { yes } => database::reset(config, yes).await,
            Command::CreateAdmin {
                username,
                email,
                first_name,
                last_name,
                password_stdin,
            } => {
                let request = admin::CreateAdmin {
                    username,
                    email,
                    first_name,
                    last_name,
                    password_stdin,
                };
                admin::create_admin(config, request).await
            }
            Command::AssignAdmin { username } => admin::assign_admin(config, &username).await,
            Command::Audit {
                action:
                    AuditCommand::Tail {
                        since,
                        event,
                        limit,
                        json,
                    },
            } => {
                let request = audit::TailRequest {
                    since,
                    event,
                    limit,
                    json,
                };
                audit::tail(config, request).await
            }
            Command::SendTestMail { to } => mail::send_test_mail(config, &to).await,
            Command::Openapi { .. } | Command::Healthcheck { .. } | Command::Smoke { .. } => {
                exit::USAGE
            }
        }
    });
    Ok(ExitCode::from(code))
}
