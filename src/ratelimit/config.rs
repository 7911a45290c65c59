//! The rate-limit variables of §9.2, parsed from any lookup so the lead's config loader
//! (and tests) can feed them without touching the process environment.

use super::client_ip::TrustedProxies;
use super::error::StoreError;
use super::policy::{self, RoutePolicy};

/// Where counters live (`RATE_LIMIT_STORAGE_URL`).
#[derive(Clone, PartialEq, Eq)]
pub enum StorageUrl {
    Memory,
    /// A syntactically valid `redis://` or `rediss://` URL (may contain a password).
    Redis(String),
}

/// Hand-written: a Redis URL may carry a password (§10.4).
impl std::fmt::Debug for StorageUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory => f.write_str("Memory"),
            Self::Redis(_) => f.write_str("Redis(..)"),
        }
    }
}

impl StorageUrl {
    /// Accepts `memory://`, `redis://…`, `rediss://…` (scheme case-insensitive). Redis URLs
    /// are checked by the redis crate without connecting, so bad ones refuse startup.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let scheme = text
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("memory") => Ok(Self::Memory),
            Some("redis" | "rediss") => {
                redis::Client::open(text).map_err(|err| StoreError::InvalidUrl(err.to_string()))?;
                Ok(Self::Redis(text.to_owned()))
            }
            _ => Err(StoreError::UnsupportedScheme),
        }
    }
}

/// `<VARIABLE>: <reason>`, printed by the caller as
/// `error: invalid configuration: <VARIABLE>: <reason>` (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

/// Rate-limit part of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub policy: RoutePolicy,
    pub storage: StorageUrl,
    pub fail_open: bool,
    pub trusted_proxies: TrustedProxies,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            policy: RoutePolicy::default(),
            storage: StorageUrl::Memory,
            fail_open: true,
            trusted_proxies: TrustedProxies::none(),
        }
    }
}

impl RateLimitConfig {
    /// Reads `RATE_LIMIT_ENABLED`, `RATE_LIMIT_DEFAULT`, `RATE_LIMIT_LOGIN`,
    /// `RATE_LIMIT_REGISTER`, `RATE_LIMIT_STORAGE_URL` (alias `RATELIMIT_STORAGE_URL`,
    /// fallback `REDIS_URL`, then `memory://`), `RATE_LIMIT_FAIL_OPEN`, `TRUSTED_PROXIES`.
    /// Values are trimmed; a blank value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let limits = |name: &'static str, default: &str| {
            policy::parse_limits(get(name).as_deref().unwrap_or(default)).map_err(|reason| {
                ConfigError {
                    variable: name,
                    reason,
                }
            })
        };
        let flag = |name: &'static str, default: bool| {
            get(name).map_or(Ok(default), |v| parse_bool(name, &v))
        };
        Ok(Self {
            enabled: flag("RATE_LIMIT_ENABLED", true)?,
            policy: RoutePolicy {
                default: limits("RATE_LIMIT_DEFAULT", policy::DEFAULT_LIMITS)?,
                login: limits("RATE_LIMIT_LOGIN", policy::DEFAULT_LOGIN_LIMITS)?,
                register: limits("RATE_LIMIT_REGISTER", policy::DEFAULT_REGISTER_LIMITS)?,
            },
            storage: storage(&get)?,
            fail_open: flag("RATE_LIMIT_FAIL_OPEN", true)?,
            trusted_proxies: trusted_proxies(get("TRUSTED_PROXIES").as_deref())?,
        })
    }
}

fn storage(get: &impl Fn(&str) -> Option<String>) -> Result<StorageUrl, ConfigError> {
    let source = [
        "RATE_LIMIT_STORAGE_URL",
        "RATELIMIT_STORAGE_URL",
        "REDIS_URL",
    ]
    .into_iter()
    .find_map(|name| get(name).map(|value| (name, value)));
    let Some((variable, value)) = source else {
        return Ok(StorageUrl::Memory);
    };
    StorageUrl::parse(&value).map_err(|err| ConfigError {
        variable,
        reason: err.to_string(),
    })
}

fn trusted_proxies(value: Option<&str>) -> Result<TrustedProxies, ConfigError> {
    TrustedProxies::parse(value.unwrap_or("")).map_err(|reason| ConfigError {
        variable: "TRUSTED_PROXIES",
        reason,
    })
}

/// §9.1 booleans.
fn parse_bool(variable: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError {
            variable,
            reason: format!("\"{value}\" is not a boolean (true/false, 1/0, yes/no, on/off)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::policy::Limit;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<RateLimitConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RateLimitConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults() {
        assert_eq!(load(&[]).unwrap(), RateLimitConfig::default());
    }

    #[test]
    fn reads_every_variable() {
        let config = load(&[
            ("RATE_LIMIT_ENABLED", " OFF "),
            ("RATE_LIMIT_DEFAULT", "10/minute"),
            ("RATE_LIMIT_LOGIN", "1 per 5 seconds"),
            ("RATE_LIMIT_REGISTER", "2/hour;3/day"),
            ("RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0"),
            ("RATE_LIMIT_FAIL_OPEN", "no"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
        ])
        .unwrap();
        assert!(!config.enabled);
        assert!(!config.fail_open);
        assert_eq!(config.policy.default, [Limit::new(10, 60)]);
        assert_eq!(config.policy.login, [Limit::new(1, 5)]);
        assert_eq!(
            config.policy.register,
            [Limit::new(2, 3_600), Limit::new(3, 86_400)]
        );
        assert_eq!(
            config.storage,
            StorageUrl::Redis("redis://127.0.0.1:6379/0".into())
        );
        assert!(
            config
                .trusted_proxies
                .contains("127.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn storage_precedence() {
        let redis = |url: &str| StorageUrl::Redis(url.into());
        assert_eq!(
            load(&[("REDIS_URL", "redis://a")]).unwrap().storage,
            redis("redis://a")
        );
        assert_eq!(
            load(&[
                ("REDIS_URL", "redis://a"),
                ("RATELIMIT_STORAGE_URL", "memory://")
            ])
            .unwrap()
            .storage,
            StorageUrl::Memory
        );
        assert_eq!(
            load(&[
                ("RATELIMIT_STORAGE_URL", "redis://b"),
                ("RATE_LIMIT_STORAGE_URL", "rediss://c")
            ])
            .unwrap()
            .storage,
            redis("rediss://c")
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let cases = [
            ("RATE_LIMIT_LOGIN", "5 per fortnight"),
            ("RATE_LIMIT_DEFAULT", "50 per hour;"),
            ("RATE_LIMIT_REGISTER", "lots"),
            ("RATE_LIMIT_ENABLED", "maybe"),
            ("RATE_LIMIT_FAIL_OPEN", "2"),
            ("RATE_LIMIT_STORAGE_URL", "memcached://x"),
            ("RATELIMIT_STORAGE_URL", "http://x"),
            ("REDIS_URL", "redis://host:notaport"),
            ("TRUSTED_PROXIES", "10.0.0.0/99"),
        ];
        for (variable, value) in cases {
            let err = load(&[(variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable, "{value}: {err}");
        }
    }

    #[test]
    fn storage_url_debug_hides_password() {
        let url = StorageUrl::parse("redis://:hunter2@127.0.0.1:6379").unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
        let err = StorageUrl::parse("redis://:hunter2@127.0.0.1:notaport").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
