//! Typed settings read once at startup from the environment (and an optional `.env`).
//!
//! Every variable of docs/configuration.md is parsed and validated here; any bad value is a
//! [`ConfigError`] that names the variable, so `main` can print it and exit 2.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use crate::ratelimit::{Limit, RateClass, TrustedProxies, parse_limits};

mod account;
pub use account::{
    AccountSettings, MailSettings, MailTransportSetting, SmtpSecurity, SmtpSettings,
    TOKEN_PLACEHOLDER,
};

/// Published example secrets, which production refuses to start with.
const KNOWN_DEFAULT_SECRETS: &[&str] = &[
    "dev-secret-key-change-in-production",
    "your-super-secret-key-change-in-production",
    "dev-secret-key-for-docker-compose",
    "test-secret-key-for-ci",
    "change-me",
    "changeme",
    "secret",
    "your-secret-key",
];
const DEV_SECRET: &str = "dev-secret-key-change-in-production";
const MIN_PRODUCTION_SECRET_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self {
            variable,
            reason: reason.into(),
        }
    }
}

/// A string that never shows up in `Debug` or `Display` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Testing,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Testing => "testing",
            Self::Production => "production",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Self::Development => "Development",
            Self::Testing => "Testing",
            Self::Production => "Production",
        }
    }
    pub fn is_production(self) -> bool {
        self == Self::Production
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormatSetting {
    Pretty,
    Json,
}

/// The database location (`DATABASE_URL`). The URL keeps its password, so it is a secret.
#[derive(Debug, Clone)]
pub enum DatabaseSetting {
    Postgres(Secret),
    SqliteFile(PathBuf),
    SqliteMemory,
}

#[derive(Debug, Clone)]
pub struct CorsSettings {
    /// Effective origin list for the environment; empty = CORS disabled.
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub credentials: bool,
    pub max_age: u64,
}

impl CorsSettings {
    pub fn wildcard(&self) -> bool {
        self.origins.iter().any(|o| o == "*")
    }
}

#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub default_limits: Vec<Limit>,
    pub login_limits: Vec<Limit>,
    pub register_limits: Vec<Limit>,
    pub password_change_limits: Vec<Limit>,
    pub password_forgot_limits: Vec<Limit>,
    pub password_reset_limits: Vec<Limit>,
    /// Shared by the two e-mail verification routes.
    pub email_verify_limits: Vec<Limit>,
    /// `None` = in-memory store.
    pub redis_url: Option<Secret>,
    pub fail_open: bool,
    pub trusted_proxies: TrustedProxies,
}

impl RateLimitSettings {
    /// The limits of a class, or `None` when it is exempt.
    pub fn limits(&self, class: RateClass) -> Option<&[Limit]> {
        let limits = match class {
            RateClass::Exempt => return None,
            RateClass::Default => &self.default_limits,
            RateClass::Login => &self.login_limits,
            RateClass::Register => &self.register_limits,
            RateClass::PasswordChange => &self.password_change_limits,
            RateClass::PasswordForgot => &self.password_forgot_limits,
            RateClass::PasswordReset => &self.password_reset_limits,
            RateClass::EmailVerify => &self.email_verify_limits,
        };
        Some(limits)
    }
}

/// Limits that keep slow or idle clients from holding the process's memory
/// (docs/operations.md, "Connections and client limits").
#[derive(Debug, Clone, Copy)]
pub struct ConnectionSettings {
    /// A request head not complete this long after the connection opened, or after the previous
    /// response on a keep-alive connection, closes the connection.
    pub header_read_timeout_secs: u64,
    /// A larger request head is answered 431 and the connection closes.
    pub max_header_bytes: usize,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
}

/// Per-account login throttle and audit retention (docs/configuration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountProtection {
    /// Failed password checks per email and window before attempts are refused; 0 disables.
    pub max_failures: u64,
    pub window_secs: u64,
    /// Audit events older than this are deleted by housekeeping; 0 keeps them forever.
    pub audit_retention_days: u32,
}

#[derive(Debug, Clone)]
pub struct LogSettingsConfig {
    pub filter: String,
    pub format: LogFormatSetting,
    pub dir: Option<PathBuf>,
    pub retention_days: usize,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub host: IpAddr,
    pub port: u16,
    pub worker_threads: Option<usize>,
    pub shutdown_timeout_secs: u64,
    pub request_timeout_secs: u64,
    pub database: DatabaseSetting,
    pub db_pool_size: u32,
    pub db_pool_min_idle: u32,
    /// Of `db_pool_size`, the PostgreSQL connections the per-request reads share (pipelined).
    pub db_read_connections: u32,
    pub db_pool_timeout_secs: u64,
    pub db_idle_timeout_secs: u64,
    pub db_max_lifetime_secs: u64,
    pub auto_migrate: bool,
    pub redis_url: Option<Secret>,
    pub secret_key: Secret,
    pub jwt_secret: Secret,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub default_roles: Vec<String>,
    pub cors: CorsSettings,
    pub rate_limit: RateLimitSettings,
    /// Per-account login throttle and audit retention.
    pub protection: AccountProtection,
    pub max_body_bytes: usize,
    /// Callers that may wait for a password-hashing slot; more are answered 503 at once.
    pub hash_queue_max: usize,
    pub connections: ConnectionSettings,
    pub metrics_enabled: bool,
    pub log: LogSettingsConfig,
    pub mail: MailSettings,
    pub account: AccountSettings,
    /// Startup warnings collected while parsing; logged once logging is up.
    pub warnings: Vec<String>,
}

/// Raw variable lookup, so tests can feed a map instead of the process environment.
pub struct Vars(HashMap<String, String>);

impl Vars {
    /// The process environment, after loading `.env` from the working directory when present.
    pub fn from_process() -> Self {
        // Real environment variables win over `.env` (dotenvy never overrides).
        let _ = dotenvy::dotenv();
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

fn parse_bool(variable: &'static str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            variable,
            format!("expected a boolean (true/false), got '{}'", raw.trim()),
        )),
    }
}

fn parse_int<T: std::str::FromStr>(variable: &'static str, raw: &str) -> Result<T, ConfigError> {
    raw.trim().parse::<T>().map_err(|_| {
        ConfigError::new(
            variable,
            format!("expected an integer, got '{}'", raw.trim()),
        )
    })
}

fn parse_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

struct Reader<'a> {
    vars: &'a Vars,
}

impl Reader<'_> {
    fn raw(&self, name: &str) -> Option<&str> {
        self.vars.get(name)
    }
    fn bool_or(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        self.raw(name).map_or(Ok(default), |v| parse_bool(name, v))
    }
    fn int_or<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        self.raw(name).map_or(Ok(default), |v| parse_int(name, v))
    }
    fn positive<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + Default,
    {
        let value = self.int_or(name, default)?;
        if value <= T::default() {
            return Err(ConfigError::new(name, "must be a positive integer"));
        }
        Ok(value)
    }
    fn within<T>(&self, name: &'static str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display,
    {
        let value = self.int_or(name, default)?;
        if value < min || value > max {
            return Err(ConfigError::new(
                name,
                format!("must be between {min} and {max}"),
            ));
        }
        Ok(value)
    }
    fn list_or(&self, name: &str, default: &str) -> Vec<String> {
        parse_list(self.raw(name).unwrap_or(default))
    }
    fn limits(&self, name: &'static str, default: &str) -> Result<Vec<Limit>, ConfigError> {
        parse_limits(self.raw(name).unwrap_or(default))
            .map_err(|reason| ConfigError::new(name, reason))
    }
}

fn parse_environment(vars: &Vars, warnings: &mut Vec<String>) -> Result<Environment, ConfigError> {
    let app_env = vars.get("APP_ENV").map(|v| v.trim().to_ascii_lowercase());
    let flask_env = vars.get("FLASK_ENV").map(|v| v.trim().to_ascii_lowercase());
    let (variable, value) = match (&app_env, &flask_env) {
        (Some(app), Some(flask)) => {
            if app != flask {
                warnings.push(format!(
                    "APP_ENV ({app}) and FLASK_ENV ({flask}) differ; APP_ENV wins"
                ));
            }
            ("APP_ENV", app.clone())
        }
        (Some(app), None) => ("APP_ENV", app.clone()),
        (None, Some(flask)) => ("FLASK_ENV", flask.clone()),
        (None, None) => ("APP_ENV", "development".to_string()),
    };
    match value.as_str() {
        "development" => Ok(Environment::Development),
        "testing" => Ok(Environment::Testing),
        "production" => Ok(Environment::Production),
        other => Err(ConfigError::new(
            variable,
            format!("must be development, testing or production, got '{other}'"),
        )),
    }
}

fn parse_database(raw: &str) -> Result<DatabaseSetting, ConfigError> {
    let url = raw.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseSetting::Postgres(Secret::new(url)));
    }
    if url == "sqlite::memory:" {
        return Ok(DatabaseSetting::SqliteMemory);
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "sqlite:// needs a file path",
            ));
        }
        return Ok(DatabaseSetting::SqliteFile(PathBuf::from(path)));
    }
    Err(ConfigError::new(
        "DATABASE_URL",
        "must start with postgres://, postgresql://, sqlite:// or be sqlite::memory:",
    ))
}

fn parse_redis_url(variable: &'static str, raw: &str) -> Result<Secret, ConfigError> {
    let url = raw.trim();
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        Ok(Secret::new(url))
    } else {
        Err(ConfigError::new(
            variable,
            "must start with redis:// or rediss://",
        ))
    }
}

fn check_production_secret(variable: &'static str, value: &str) -> Result<(), ConfigError> {
    if KNOWN_DEFAULT_SECRETS.contains(&value) {
        return Err(ConfigError::new(
            variable,
            "must not be a known default value in production",
        ));
    }
    if value.chars().count() < MIN_PRODUCTION_SECRET_LEN {
        return Err(ConfigError::new(
            variable,
            "must be at least 32 characters in production",
        ));
    }
    Ok(())
}

fn parse_secrets(
    vars: &Vars,
    env: Environment,
    warnings: &mut Vec<String>,
) -> Result<(Secret, Secret), ConfigError> {
    let secret = vars.get("SECRET_KEY").filter(|v| !v.is_empty());
    let secret_key = match (secret, env) {
        (None, Environment::Production) => {
            return Err(ConfigError::new("SECRET_KEY", "must be set in production"));
        }
        (None, _) => {
            if env == Environment::Development {
                warnings.push("SECRET_KEY is not set; using the development default".into());
            }
            DEV_SECRET.to_string()
        }
        (Some(value), _) => value.to_string(),
    };
    if env.is_production() {
        check_production_secret("SECRET_KEY", &secret_key)?;
    }
    let jwt_secret = match vars.get("JWT_SECRET_KEY").filter(|v| !v.is_empty()) {
        Some(value) => {
            if env.is_production() {
                check_production_secret("JWT_SECRET_KEY", value)?;
            }
            value.to_string()
        }
        None => secret_key.clone(),
    };
    Ok((Secret::new(secret_key), Secret::new(jwt_secret)))
}

const DEV_ORIGINS: &[&str] = &[
    "http://localhost:3000",
    "http://localhost:5173",
    "http://localhost:8080",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:5173",
    "http://127.0.0.1:8080",
];

fn parse_cors(
    r: &Reader<'_>,
    env: Environment,
    warnings: &mut Vec<String>,
) -> Result<CorsSettings, ConfigError> {
    let configured = r.list_or("CORS_ORIGINS", "");
    let origins = match env {
        Environment::Development => {
            let mut list: Vec<String> = DEV_ORIGINS.iter().map(|o| o.to_string()).collect();
            list.extend(configured);
            list
        }
        Environment::Testing => vec!["*".to_string()],
        Environment::Production => configured,
    };
    let credentials = r.bool_or("CORS_CREDENTIALS", env != Environment::Testing)?;
    if env.is_production() {
        if origins.is_empty() {
            warnings.push("CORS_ORIGINS is empty: CORS is disabled".into());
        } else if origins.iter().any(|o| o == "*") {
            if credentials {
                // Any site could make credentialed requests on a user's behalf.
                return Err(ConfigError::new(
                    "CORS_ORIGINS",
                    "must not contain '*' while CORS_CREDENTIALS is true in production",
                ));
            }
            warnings.push("CORS_ORIGINS contains '*': any origin may call the API".into());
        }
    }
    let mut methods: Vec<String> = r
        .list_or("CORS_METHODS", "GET,POST,PUT,DELETE,OPTIONS")
        .into_iter()
        .map(|m| m.to_ascii_uppercase())
        .collect();
    methods.sort();
    methods.dedup();
    // Emitted as configured, so byte order here is the order of every response (docs/configuration.md).
    let mut expose_headers = r.list_or(
        "CORS_EXPOSE_HEADERS",
        "Content-Type,Authorization,X-Request-ID,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset,Retry-After",
    );
    expose_headers.sort();
    expose_headers.dedup();
    Ok(CorsSettings {
        origins,
        methods,
        allow_headers: r.list_or(
            "CORS_ALLOW_HEADERS",
            "Content-Type,Authorization,X-Request-ID",
        ),
        expose_headers,
        credentials,
        max_age: r.int_or("CORS_MAX_AGE", 3600u64)?,
    })
}

fn parse_rate_limit(
    r: &Reader<'_>,
    env: Environment,
    redis_url: &Option<Secret>,
    warnings: &mut Vec<String>,
) -> Result<RateLimitSettings, ConfigError> {
    let enabled = r.bool_or("RATE_LIMIT_ENABLED", true)?;
    let storage = match (
        r.raw("RATE_LIMIT_STORAGE_URL"),
        r.raw("RATELIMIT_STORAGE_URL"),
    ) {
        (Some(v), _) => Some(("RATE_LIMIT_STORAGE_URL", v)),
        (None, Some(v)) => Some(("RATELIMIT_STORAGE_URL", v)),
        (None, None) => None,
    };
    let store_url = match storage {
        Some((_, v)) if v.trim() == "memory://" => None,
        Some((name, v)) => Some(
            parse_redis_url(name, v)
                .map_err(|_| ConfigError::new(name, "must be memory://, redis:// or rediss://"))?,
        ),
        None => redis_url.clone(),
    };
    let trusted = r.raw("TRUSTED_PROXIES").unwrap_or("");
    let trusted_proxies = TrustedProxies::parse(trusted)
        .map_err(|reason| ConfigError::new("TRUSTED_PROXIES", reason))?;
    if env.is_production() {
        if !enabled {
            warnings.push("RATE_LIMIT_ENABLED=false: rate limiting is disabled".into());
        } else if store_url.is_none() {
            warnings.push("rate-limit store is memory://: limits are per instance".into());
        }
    }
    Ok(RateLimitSettings {
        enabled,
        default_limits: r.limits("RATE_LIMIT_DEFAULT", "50 per hour;200 per day")?,
        login_limits: r.limits("RATE_LIMIT_LOGIN", "5 per minute")?,
        register_limits: r.limits("RATE_LIMIT_REGISTER", "60 per minute")?,
        password_change_limits: r.limits("RATE_LIMIT_PASSWORD_CHANGE", "5 per minute")?,
        password_forgot_limits: r.limits("RATE_LIMIT_PASSWORD_FORGOT", "5 per hour")?,
        password_reset_limits: r.limits("RATE_LIMIT_PASSWORD_RESET", "10 per hour")?,
        email_verify_limits: r.limits("RATE_LIMIT_EMAIL_VERIFY", "5 per hour")?,
        redis_url: store_url,
        fail_open: r.bool_or("RATE_LIMIT_FAIL_OPEN", true)?,
        trusted_proxies,
    })
}

fn parse_connections(r: &Reader<'_>) -> Result<ConnectionSettings, ConfigError> {
    Ok(ConnectionSettings {
        header_read_timeout_secs: r.within("HEADER_READ_TIMEOUT_SECS", 10, 1, 3600)?,
        max_header_bytes: r.within("MAX_HEADER_BYTES", 65_536, 1_024, 1_048_576)?,
        max_connections: r.within("MAX_CONNECTIONS", 10_000, 1, 1_000_000)?,
    })
}

/// The longest window a fixed-window counter may have (the same bound as the rate limits).
const MAX_ACCOUNT_WINDOW_SECS: u64 = crate::ratelimit::MAX_PERIOD_SECS;
/// About 100 years: larger values overflow date arithmetic and mean "keep" anyway.
const MAX_AUDIT_RETENTION_DAYS: u32 = 36_500;

fn parse_account_protection(r: &Reader<'_>) -> Result<AccountProtection, ConfigError> {
    let window_secs: u64 = r.positive("LOGIN_ACCOUNT_WINDOW_SECS", 900)?;
    if window_secs > MAX_ACCOUNT_WINDOW_SECS {
        return Err(ConfigError::new(
            "LOGIN_ACCOUNT_WINDOW_SECS",
            format!("must be at most {MAX_ACCOUNT_WINDOW_SECS}"),
        ));
    }
    let audit_retention_days: u32 = r.int_or("AUDIT_RETENTION_DAYS", 365)?;
    if audit_retention_days > MAX_AUDIT_RETENTION_DAYS {
        return Err(ConfigError::new(
            "AUDIT_RETENTION_DAYS",
            format!("must be at most {MAX_AUDIT_RETENTION_DAYS} (0 keeps events forever)"),
        ));
    }
    Ok(AccountProtection {
        max_failures: r.int_or("LOGIN_ACCOUNT_MAX_FAILURES", 10)?,
        window_secs,
        audit_retention_days,
    })
}

fn parse_log(r: &Reader<'_>, env: Environment) -> Result<LogSettingsConfig, ConfigError> {
    let default_level = match env {
        Environment::Development => "debug",
        Environment::Production => "info",
        Environment::Testing => "warn",
    };
    let filter = r
        .raw("LOG_LEVEL")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default_level);
    let format = match r.raw("LOG_FORMAT").map(|v| v.trim().to_ascii_lowercase()) {
        None => {
            if env == Environment::Development {
                LogFormatSetting::Pretty
            } else {
                LogFormatSetting::Json
            }
        }
        Some(v) if v == "pretty" => LogFormatSetting::Pretty,
        Some(v) if v == "json" => LogFormatSetting::Json,
        Some(v) => {
            return Err(ConfigError::new(
                "LOG_FORMAT",
                format!("must be pretty or json, got '{v}'"),
            ));
        }
    };
    let default_dir = if env == Environment::Testing {
        ""
    } else {
        "logs"
    };
    let dir = r.raw("LOG_DIR").unwrap_or(default_dir).trim();
    let retention_days: usize = r.positive("LOG_RETENTION_DAYS", 30)?;
    Ok(LogSettingsConfig {
        filter: filter.to_string(),
        format,
        dir: (!dir.is_empty()).then(|| PathBuf::from(dir)),
        retention_days,
    })
}

impl Config {
    /// Parse and validate every variable; the first problem found is returned.
    pub fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let mut warnings = Vec::new();
        let env = parse_environment(vars, &mut warnings)?;
        let r = Reader { vars };
        let host: IpAddr = match r.raw("HOST") {
            None => IpAddr::from([0, 0, 0, 0]),
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::new(
                    "HOST",
                    format!("expected an IP address, got '{}'", v.trim()),
                )
            })?,
        };
        let port: u16 = r.int_or("PORT", 5500)?;
        let worker_threads = match r.raw("WORKER_THREADS") {
            None => None,
            Some(_) => Some(r.positive::<usize>("WORKER_THREADS", 1)?),
        };
        let database = parse_database(r.raw("DATABASE_URL").unwrap_or("sqlite://data/warden.db"))?;
        let redis_url = match r.raw("REDIS_URL").map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => Some(parse_redis_url("REDIS_URL", v)?),
            None => None,
        };
        let (secret_key, jwt_secret) = parse_secrets(vars, env, &mut warnings)?;
        let access_ttl_secs: i64 = r.positive("JWT_ACCESS_TOKEN_EXPIRES", 900)?;
        let refresh_ttl_secs: i64 = r.positive("JWT_REFRESH_TOKEN_EXPIRES", 2_592_000)?;
        if refresh_ttl_secs < access_ttl_secs {
            return Err(ConfigError::new(
                "JWT_REFRESH_TOKEN_EXPIRES",
                "must be greater than or equal to JWT_ACCESS_TOKEN_EXPIRES",
            ));
        }
        let cors = parse_cors(&r, env, &mut warnings)?;
        let rate_limit = parse_rate_limit(&r, env, &redis_url, &mut warnings)?;
        let log = parse_log(&r, env)?;
        let protection = parse_account_protection(&r)?;
        let mail = account::parse_mail(&r, env, port, &mut warnings)?;
        let account = account::parse_account(&r)?;
        Ok(Self {
            env,
            host,
            port,
            worker_threads,
            shutdown_timeout_secs: r.int_or("SHUTDOWN_TIMEOUT_SECS", 30)?,
            request_timeout_secs: r.positive("REQUEST_TIMEOUT_SECS", 30)?,
            database,
            db_pool_size: r.positive("DB_POOL_SIZE", 10)?,
            db_pool_min_idle: r.int_or("DB_POOL_MIN_IDLE", 0)?,
            db_read_connections: r.int_or("DB_READ_CONNECTIONS", 2)?,
            db_pool_timeout_secs: r.positive("DB_POOL_TIMEOUT_SECS", 5)?,
            db_idle_timeout_secs: r.positive("DB_IDLE_TIMEOUT_SECS", 300)?,
            db_max_lifetime_secs: r.positive("DB_MAX_LIFETIME_SECS", 1800)?,
            auto_migrate: r.bool_or("AUTO_MIGRATE", !env.is_production())?,
            redis_url,
            secret_key,
            jwt_secret,
            access_ttl_secs,
            refresh_ttl_secs,
            default_roles: r.list_or("DEFAULT_ROLES", ""),
            cors,
            rate_limit,
            protection,
            max_body_bytes: r.positive("MAX_BODY_BYTES", 1_048_576)?,
            hash_queue_max: r.int_or("HASH_QUEUE_MAX", 64usize)?,
            connections: parse_connections(&r)?,
            metrics_enabled: r.bool_or("METRICS_ENABLED", true)?,
            log,
            mail,
            account,
            warnings,
        })
    }

    pub fn pretty_json(&self) -> bool {
        !self.env.is_production()
    }
}
