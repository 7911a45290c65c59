//! Redaction of sensitive values.

use serde_json::Value;

/// Replacement written instead of a sensitive value.
pub const REDACTED: &str = "***REDACTED***";

/// Field keys whose values are never logged (compared case-insensitively).
pub const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "password_hash",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "secret",
    "secret_key",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "private_key",
    "ssh_key",
    "credit_card",
    "card_number",
    "cvv",
    "ssn",
    "social_security",
];

/// Minimum length (exclusive) of a `Bearer `/`Token ` value that gets redacted.
const SCHEME_MIN_LEN: usize = 20;

/// Whether a field key names a sensitive value.
pub fn is_sensitive_key(key: &str) -> bool {
    SENSITIVE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Whether a string looks like an authorization header value
/// (longer than 20 characters and starting with `Bearer ` or `Token `).
pub fn is_credential_value(value: &str) -> bool {
    let v = value.trim_start_matches('"');
    (v.starts_with("Bearer ") || v.starts_with("Token ")) && v.chars().count() > SCHEME_MIN_LEN
}

/// Redacts one field value given its key.
pub fn redact_field(key: &str, value: Value) -> Value {
    if is_sensitive_key(key) {
        return Value::String(REDACTED.to_owned());
    }
    match value {
        Value::String(s) => Value::String(redact_string(s)),
        other => other,
    }
}

/// Redacts a free string value: credential-looking values are replaced, and a
/// string holding a JSON object or array has sensitive keys redacted at any depth.
pub fn redact_string(value: String) -> String {
    if is_credential_value(&value) {
        return REDACTED.to_owned();
    }
    let trimmed = value.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return value;
    }
    let Ok(mut parsed) = serde_json::from_str::<Value>(&value) else {
        return value;
    };
    if redact_json(&mut parsed) {
        parsed.to_string()
    } else {
        value
    }
}

/// Redacts a JSON value in place; returns whether anything changed.
pub fn redact_json(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            for (key, inner) in map.iter_mut() {
                if is_sensitive_key(key) {
                    *inner = Value::String(REDACTED.to_owned());
                    changed = true;
                } else {
                    changed |= redact_json(inner);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |acc, v| redact_json(v) | acc),
        Value::String(s) if is_credential_value(s) => {
            *s = REDACTED.to_owned();
            true
        }
        _ => false,
    }
}

/// Returns `url` with the password replaced by `***`
/// (`postgres://warden:secret@db:5432/warden` → `postgres://warden:***@db:5432/warden`).
///
/// Sensitive query parameters (`?password=…`) are masked as well. Input without a
/// `scheme://` part keeps nothing before its last `@`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return match url.rfind('@') {
            Some(at) => format!("***{}", &url[at..]),
            None => url.to_owned(),
        };
    };
    let (scheme, rest) = url.split_at(scheme_end + 3);
    let query_start = rest.find(['?', '#']).unwrap_or(rest.len());
    let (before_query, query) = rest.split_at(query_start);
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    // Standard form: userinfo inside the authority; otherwise an unencoded `/` in
    // the password pushed the `@` further: treat everything up to it as userinfo.
    let at = before_query[..authority_end]
        .rfind('@')
        .or_else(|| before_query.rfind('@'));
    let masked = match at {
        Some(at) => mask_userinfo(&before_query[..at], &before_query[at..]),
        None => before_query.to_owned(),
    };
    format!("{scheme}{masked}{}", mask_query(query))
}

/// `user:pass` + `@host…` → `user:***@host…`; no password → unchanged.
fn mask_userinfo(userinfo: &str, host_and_path: &str) -> String {
    match userinfo.find(':') {
        Some(colon) => format!("{}:***{host_and_path}", &userinfo[..colon]),
        None => format!("{userinfo}{host_and_path}"),
    }
}

/// Masks values of sensitive query parameters (`password`, `sslpassword`, `token`…).
fn mask_query(query: &str) -> String {
    let Some(body) = query.strip_prefix('?') else {
        return query.to_owned();
    };
    let (params, fragment) = match body.find('#') {
        Some(i) => body.split_at(i),
        None => (body, ""),
    };
    let masked: Vec<String> = params
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_sensitive_param(k) => format!("{k}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("?{}{fragment}", masked.join("&"))
}

fn is_sensitive_param(key: &str) -> bool {
    is_sensitive_key(key) || key.to_ascii_lowercase().contains("password")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_password_is_masked() {
        assert_eq!(
            redact_url("postgres://warden:secret@db:5432/warden"),
            "postgres://warden:***@db:5432/warden"
        );
        assert_eq!(
            redact_url("redis://:hunter2@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
        assert_eq!(
            redact_url("postgres://u:p@ss@db/x?sslmode=require"),
            "postgres://u:***@db/x?sslmode=require"
        );
    }

    #[test]
    fn url_without_password_is_unchanged() {
        for url in [
            "postgres://warden@db:5432/warden",
            "postgres://db:5432/warden",
            "sqlite://data/warden.db",
            "sqlite::memory:",
            "memory://",
            "redis://cache:6379",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn unusual_urls_lose_credentials() {
        assert_eq!(
            redact_url("postgres://u:pa/ss@db/warden"),
            "postgres://u:***@db/warden"
        );
        assert_eq!(redact_url("warden:secret@db/warden"), "***@db/warden");
        assert_eq!(
            redact_url("postgres://db/w?user=u&password=pw&sslmode=disable"),
            "postgres://db/w?user=u&password=***&sslmode=disable"
        );
    }

    #[test]
    fn credential_values() {
        assert!(is_credential_value("Bearer eyJhbGciOiJIUzI1NiJ9.abc"));
        assert!(is_credential_value("Token 0123456789abcdefghij"));
        assert!(!is_credential_value("Bearer x"));
        assert!(!is_credential_value("Bearer 0123456789abc")); // exactly 20 chars
        assert!(!is_credential_value("bearer of bad news, really long text"));
    }

    #[test]
    fn nested_json_string_is_redacted() {
        let input = r#"{"user":{"name":"a","Password":"x","list":[{"api_key":"k"}]},"n":1}"#;
        let out: Value = serde_json::from_str(&redact_string(input.to_owned())).unwrap();
        assert_eq!(out["user"]["Password"], REDACTED);
        assert_eq!(out["user"]["list"][0]["api_key"], REDACTED);
        assert_eq!(out["user"]["name"], "a");
        assert_eq!(out["n"], 1);
    }

    #[test]
    fn harmless_json_string_is_kept_verbatim() {
        let input = r#"{"b":1, "a":2}"#;
        assert_eq!(redact_string(input.to_owned()), input);
    }
}
