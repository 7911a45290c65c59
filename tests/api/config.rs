//! Tests: configuration parsing and the production refusals, in-process and through the binary.

use std::process::Command;

use warden::config::{Config, Vars};

fn parse(pairs: &[(&str, &str)]) -> Result<Config, String> {
    Config::from_vars(&Vars::from_pairs(pairs.iter().copied())).map_err(|e| e.to_string())
}

const LONG_SECRET: &str = "0123456789abcdef0123456789abcdef-production";

#[test]
fn account_protection_defaults_and_overrides_are_read() {
    let defaults = parse(&[]).expect("defaults").protection;
    assert_eq!(
        (
            defaults.max_failures,
            defaults.window_secs,
            defaults.audit_retention_days
        ),
        (10, 900, 365)
    );
    let set = parse(&[
        ("LOGIN_ACCOUNT_MAX_FAILURES", "0"),
        ("LOGIN_ACCOUNT_WINDOW_SECS", "60"),
        ("AUDIT_RETENTION_DAYS", "0"),
    ])
    .expect("valid")
    .protection;
    assert_eq!(
        (set.max_failures, set.window_secs, set.audit_retention_days),
        (0, 60, 0)
    );
}

#[test]
fn every_invalid_value_is_refused_naming_its_variable() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("APP_ENV", "staging")], "APP_ENV: "),
        (&[("FLASK_ENV", "weird")], "FLASK_ENV: "),
        (&[("PORT", "http")], "PORT: "),
        (&[("PORT", "70000")], "PORT: "),
        (&[("HOST", "not-an-ip")], "HOST: "),
        (&[("DB_POOL_SIZE", "0")], "DB_POOL_SIZE: "),
        (&[("DB_READ_CONNECTIONS", "-1")], "DB_READ_CONNECTIONS: "),
        (&[("DB_READ_CONNECTIONS", "two")], "DB_READ_CONNECTIONS: "),
        (&[("REQUEST_TIMEOUT_SECS", "-1")], "REQUEST_TIMEOUT_SECS: "),
        (
            &[("DATABASE_URL", "mysql://localhost/db")],
            "DATABASE_URL: ",
        ),
        (&[("REDIS_URL", "http://redis")], "REDIS_URL: "),
        (
            &[("RATE_LIMIT_LOGIN", "five per minute")],
            "RATE_LIMIT_LOGIN: ",
        ),
        (
            &[("RATE_LIMIT_DEFAULT", "10 per fortnight")],
            "RATE_LIMIT_DEFAULT: ",
        ),
        (
            &[("RATE_LIMIT_STORAGE_URL", "memcached://x")],
            "RATE_LIMIT_STORAGE_URL: ",
        ),
        (&[("TRUSTED_PROXIES", "10.0.0.0/99")], "TRUSTED_PROXIES: "),
        (&[("RATE_LIMIT_ENABLED", "maybe")], "RATE_LIMIT_ENABLED: "),
        (&[("LOG_FORMAT", "xml")], "LOG_FORMAT: "),
        (
            &[("LOGIN_ACCOUNT_MAX_FAILURES", "-1")],
            "LOGIN_ACCOUNT_MAX_FAILURES: ",
        ),
        (
            &[("LOGIN_ACCOUNT_MAX_FAILURES", "ten")],
            "LOGIN_ACCOUNT_MAX_FAILURES: ",
        ),
        (
            &[("LOGIN_ACCOUNT_WINDOW_SECS", "0")],
            "LOGIN_ACCOUNT_WINDOW_SECS: ",
        ),
        (
            &[("LOGIN_ACCOUNT_WINDOW_SECS", "316224001")],
            "LOGIN_ACCOUNT_WINDOW_SECS: ",
        ),
        (&[("AUDIT_RETENTION_DAYS", "-5")], "AUDIT_RETENTION_DAYS: "),
        (
            &[("AUDIT_RETENTION_DAYS", "36501")],
            "AUDIT_RETENTION_DAYS: ",
        ),
        (
            &[("JWT_ACCESS_TOKEN_EXPIRES", "0")],
            "JWT_ACCESS_TOKEN_EXPIRES: ",
        ),
        (
            &[
                ("JWT_ACCESS_TOKEN_EXPIRES", "900"),
                ("JWT_REFRESH_TOKEN_EXPIRES", "60"),
            ],
            "JWT_REFRESH_TOKEN_EXPIRES: ",
        ),
    ];
    for (pairs, prefix) in cases {
        let err = parse(pairs).expect_err("refused");
        assert!(err.starts_with(prefix), "{pairs:?} gave {err}");
    }
}

#[test]
fn production_refuses_unsafe_secrets() {
    let prod = ("APP_ENV", "production");
    assert_eq!(
        parse(&[prod]).unwrap_err(),
        "SECRET_KEY: must be set in production"
    );
    assert_eq!(
        parse(&[prod, ("SECRET_KEY", "")]).unwrap_err(),
        "SECRET_KEY: must be set in production"
    );
    assert_eq!(
        parse(&[prod, ("SECRET_KEY", "dev-secret-key-change-in-production")]).unwrap_err(),
        "SECRET_KEY: must not be a known default value in production"
    );
    assert_eq!(
        parse(&[prod, ("SECRET_KEY", "short")]).unwrap_err(),
        "SECRET_KEY: must be at least 32 characters in production"
    );
    assert_eq!(
        parse(&[
            prod,
            ("SECRET_KEY", LONG_SECRET),
            ("JWT_SECRET_KEY", "changeme")
        ])
        .unwrap_err(),
        "JWT_SECRET_KEY: must not be a known default value in production"
    );
    let ok = parse(&[prod, ("SECRET_KEY", LONG_SECRET)]).expect("a long secret is accepted");
    assert!(!ok.auto_migrate && ok.cors.origins.is_empty() && !ok.pretty_json());
    assert!(ok.warnings.iter().any(|w| w.contains("CORS")));
}

#[test]
fn production_refuses_a_wildcard_origin_with_credentials() {
    let base = [("APP_ENV", "production"), ("SECRET_KEY", LONG_SECRET)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        parse(&pairs)
    };
    let refusal = "CORS_ORIGINS: must not contain '*' while CORS_CREDENTIALS is true in production";
    assert_eq!(with(&[("CORS_ORIGINS", "*")]).unwrap_err(), refusal);
    assert_eq!(
        with(&[
            ("CORS_ORIGINS", "https://app.example, *"),
            ("CORS_CREDENTIALS", "true")
        ])
        .unwrap_err(),
        refusal
    );
    let without = with(&[("CORS_ORIGINS", "*"), ("CORS_CREDENTIALS", "false")])
        .expect("a wildcard without credentials starts");
    assert!(without.cors.wildcard());
    assert!(without.warnings.iter().any(|w| w.contains("CORS_ORIGINS")));
    let listed = with(&[("CORS_ORIGINS", "https://app.example")]).expect("a listed origin");
    assert!(listed.cors.credentials && !listed.cors.wildcard());
}

#[test]
fn exposed_cors_headers_are_kept_in_byte_order() {
    let config = parse(&[(
        "CORS_EXPOSE_HEADERS",
        "X-Request-ID, Content-Type,Authorization",
    )])
    .expect("parses");
    assert_eq!(
        config.cors.expose_headers,
        ["Authorization", "Content-Type", "X-Request-ID"]
    );
}

#[test]
fn development_defaults_match_the_contract() {
    let config = parse(&[]).expect("defaults");
    assert_eq!(
        (config.port, config.access_ttl_secs, config.refresh_ttl_secs),
        (5500, 900, 2_592_000)
    );
    assert!(config.auto_migrate && config.rate_limit.enabled && config.metrics_enabled);
    assert_eq!(config.cors.origins.len(), 6);
    assert_eq!(config.log.filter, "debug");
    assert!(
        matches!(&config.database, warden::config::DatabaseSetting::SqliteFile(p) if p.ends_with("data/warden.db"))
    );
    let flask = parse(&[("FLASK_ENV", "testing")]).expect("alias");
    assert_eq!(flask.env, warden::config::Environment::Testing);
}

#[test]
fn connection_limits_default_to_the_contract_and_refuse_values_out_of_range() {
    let limits = parse(&[]).expect("defaults").connections;
    assert_eq!(
        (
            limits.header_read_timeout_secs,
            limits.max_header_bytes,
            limits.max_connections
        ),
        (10, 65_536, 10_000)
    );
    for (name, value) in [
        ("HEADER_READ_TIMEOUT_SECS", "0"),
        ("HEADER_READ_TIMEOUT_SECS", "3601"),
        ("MAX_HEADER_BYTES", "1023"),
        ("MAX_HEADER_BYTES", "1048577"),
        ("MAX_HEADER_BYTES", "lots"),
        ("MAX_CONNECTIONS", "0"),
        ("MAX_CONNECTIONS", "-5"),
    ] {
        let err = parse(&[(name, value)]).expect_err("refused");
        assert!(
            err.starts_with(&format!("{name}: ")),
            "{name}={value} gave {err}"
        );
    }
    let set = parse(&[
        ("HEADER_READ_TIMEOUT_SECS", "3"),
        ("MAX_HEADER_BYTES", "8192"),
        ("MAX_CONNECTIONS", "64"),
    ])
    .expect("in range")
    .connections;
    assert_eq!(
        (
            set.header_read_timeout_secs,
            set.max_header_bytes,
            set.max_connections
        ),
        (3, 8192, 64)
    );
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let config = parse(&[
        ("SECRET_KEY", "super-secret-value-xyz"),
        ("DATABASE_URL", "postgres://u:hunter2@db/w"),
    ])
    .expect("ok");
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("super-secret-value-xyz") && !debug.contains("hunter2"),
        "{debug}"
    );
}

fn warden(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run warden")
}

#[test]
fn the_binary_exits_2_and_names_the_variable_on_refusal() {
    let output = warden(
        &["serve"],
        &[("APP_ENV", "production"), ("SECRET_KEY", "tooshort")],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "error: invalid configuration: SECRET_KEY: must be at least 32 characters in production"
        ),
        "{stderr}"
    );
}

#[test]
fn the_binary_exits_2_on_a_credentialed_wildcard_in_production() {
    let output = warden(
        &["serve"],
        &[
            ("APP_ENV", "production"),
            ("SECRET_KEY", LONG_SECRET),
            ("CORS_ORIGINS", "*"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "error: invalid configuration: CORS_ORIGINS: must not contain '*' while CORS_CREDENTIALS is true in production"
        ),
        "{stderr}"
    );
}

#[test]
fn version_and_help_work_for_every_subcommand() {
    let version = warden(&["--version"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("warden {}", env!("CARGO_PKG_VERSION"))
    );
    for sub in [
        "serve",
        "migrate",
        "seed",
        "seed-rbac",
        "create-admin",
        "assign-admin",
        "reset",
        "openapi",
        "healthcheck",
        "smoke",
    ] {
        let help = warden(&[sub, "--help"], &[]);
        assert_eq!(help.status.code(), Some(0), "{sub} --help");
        assert!(!help.stdout.is_empty());
    }
    assert_eq!(warden(&["no-such-command"], &[]).status.code(), Some(2));
}
