//! Query of `GET /api/v1/admin/audit-events/`: `event` (a name or a prefix ending in `.`),
//! `user_id`, `since`/`until` (RFC 3339), `limit` (1–200, default 50) and the opaque `cursor`.
//! The first occurrence of a key wins; unknown keys are ignored; every bad value is reported
//! under its parameter name.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use super::ValidationErrors;
use super::coerce::{check_at_least_one, query_int};
use super::rules::FieldError;

pub const AUDIT_DEFAULT_LIMIT: u32 = 50;
pub const AUDIT_MAX_LIMIT: u32 = 200;

/// Which events a page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventMatch {
    Exact(String),
    /// Ends with `.` (`auth.`).
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub event: Option<EventMatch>,
    /// Actor or subject.
    pub user_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
    /// Only events older (smaller id) than this one.
    pub before_id: Option<i64>,
}

/// The opaque cursor of the page that follows the event `id` (base64url of the decimal id).
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(id.to_string())
}

fn decode_cursor(raw: &str) -> Result<i64, FieldError> {
    let invalid = || FieldError::value_error("Invalid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse::<i64>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(invalid)
}

fn no_nul(raw: &str) -> Result<&str, FieldError> {
    if raw.contains('\0') {
        return Err(FieldError::value_error(
            "Text must not contain the NUL character",
        ));
    }
    Ok(raw)
}

fn parse_event(raw: &str, known: &[&str]) -> Result<EventMatch, FieldError> {
    let raw = no_nul(raw)?;
    if known.contains(&raw) {
        return Ok(EventMatch::Exact(raw.to_owned()));
    }
    if raw.ends_with('.') && known.iter().any(|name| name.starts_with(raw)) {
        return Ok(EventMatch::Prefix(raw.to_owned()));
    }
    Err(FieldError::value_error(
        "Unknown event; expected an event name or a prefix ending in '.'",
    ))
}

fn parse_timestamp(raw: &str) -> Result<DateTime<Utc>, FieldError> {
    let raw = no_nul(raw)?;
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|ts| ts.with_timezone(&Utc))
        .map_err(|_| FieldError::new("Input should be a valid datetime in RFC 3339 format"))
}

fn parse_limit(raw: &str) -> Result<u32, FieldError> {
    let value = query_int(raw).and_then(check_at_least_one)?;
    u32::try_from(value)
        .ok()
        .filter(|limit| *limit <= AUDIT_MAX_LIMIT)
        .ok_or_else(|| {
            FieldError::new(format!(
                "Input should be less than or equal to {AUDIT_MAX_LIMIT}"
            ))
        })
}

/// Parses the query; `known` is the list of event names.
pub fn parse_audit_query(
    pairs: &[(String, String)],
    known: &[&str],
) -> Result<AuditQuery, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let first = |key: &str| {
        pairs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    };
    let mut check = |key: &str, result: Result<(), FieldError>| {
        if let Err(error) = result {
            errors.insert(key.to_owned(), error.into_message());
        }
    };
    let mut query = AuditQuery {
        event: None,
        user_id: None,
        since: None,
        until: None,
        limit: AUDIT_DEFAULT_LIMIT,
        before_id: None,
    };
    if let Some(raw) = first("event").filter(|raw| !raw.is_empty()) {
        check(
            "event",
            parse_event(raw, known).map(|e| query.event = Some(e)),
        );
    }
    if let Some(raw) = first("user_id") {
        let parsed = query_int(raw).and_then(check_at_least_one);
        check("user_id", parsed.map(|id| query.user_id = Some(id)));
    }
    if let Some(raw) = first("since") {
        check(
            "since",
            parse_timestamp(raw).map(|ts| query.since = Some(ts)),
        );
    }
    if let Some(raw) = first("until") {
        check(
            "until",
            parse_timestamp(raw).map(|ts| query.until = Some(ts)),
        );
    }
    if let Some(raw) = first("limit") {
        check("limit", parse_limit(raw).map(|limit| query.limit = limit));
    }
    if let Some(raw) = first("cursor") {
        let parsed = no_nul(raw).and_then(decode_cursor);
        check("cursor", parsed.map(|id| query.before_id = Some(id)));
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["auth.login_failed", "auth.logout", "user.deleted"];

    fn parse(items: &[(&str, &str)]) -> Result<AuditQuery, ValidationErrors> {
        let pairs: Vec<(String, String)> = items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse_audit_query(&pairs, KNOWN)
    }

    #[test]
    fn the_cursor_of_the_contract_example_decodes_to_its_id() {
        assert_eq!(encode_cursor(1042), "MTA0Mg");
        assert_eq!(decode_cursor("MTA0Mg").unwrap(), 1042);
        for bad in ["", "!!", "YWJj", "MA", "LTE"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_apply_without_parameters() {
        let query = parse(&[]).unwrap();
        assert_eq!(query.limit, 50);
        assert_eq!(query.event, None);
    }

    #[test]
    fn events_are_exact_names_or_known_prefixes() {
        assert_eq!(
            parse(&[("event", "auth.")]).unwrap().event,
            Some(EventMatch::Prefix("auth.".into()))
        );
        assert_eq!(
            parse(&[("event", "user.deleted")]).unwrap().event,
            Some(EventMatch::Exact("user.deleted".into()))
        );
        for bad in ["auth", "rbac.", "auth.nope", "a\0."] {
            assert!(parse(&[("event", bad)]).unwrap_err().contains_key("event"));
        }
    }

    #[test]
    fn every_bad_parameter_is_reported_under_its_name() {
        let errors = parse(&[
            ("limit", "201"),
            ("user_id", "0"),
            ("since", "yesterday"),
            ("until", "2026-13-01T00:00:00Z"),
            ("cursor", "%%"),
        ])
        .unwrap_err();
        assert_eq!(errors["limit"], "Input should be less than or equal to 200");
        assert_eq!(
            errors["user_id"],
            "Input should be greater than or equal to 1"
        );
        assert!(errors.contains_key("since") && errors.contains_key("until"));
        assert_eq!(errors["cursor"], "Value error, Invalid cursor");
    }
}
