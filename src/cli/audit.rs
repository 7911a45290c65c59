//! `warden audit tail`: the newest audit events straight from the database, for operators
//! without API access (docs/operations.md, "Audit log"). Oldest first, like `tail`; `--json`
//! prints one event object per line, the shape of the admin route.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::database::prepared_database;
use crate::cli::exit;
use crate::config::Config;
use crate::domain::{AuditQuery, parse_audit_query};
use crate::http::views::audit::AuditEventView;
use crate::service::audit::EventKind;
use crate::service::audit_log;

/// What `warden audit tail` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailRequest {
    pub since: Option<String>,
    pub event: Option<String>,
    pub limit: u32,
    pub json: bool,
}

/// `--since`: RFC 3339, or an age such as `90s`, `15m`, `2h`, `7d`.
fn parse_since(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(ts) = DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(ts.with_timezone(&Utc));
    }
    let invalid = || format!("--since: expected RFC 3339 or an age like 15m, 2h, 7d; got '{raw}'");
    let raw = raw.trim();
    let split = raw.len().checked_sub(1).ok_or_else(invalid)?;
    let (number, unit) = raw.split_at(split);
    let count: u64 = number.parse().map_err(|_| invalid())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(invalid()),
    };
    let age = chrono::Duration::from_std(Duration::from_secs(count.saturating_mul(unit_secs)))
        .map_err(|_| invalid())?;
    now.checked_sub_signed(age).ok_or_else(invalid)
}

/// The admin route's query rules, so both readers accept and refuse the same values.
fn query(request: &TailRequest) -> Result<AuditQuery, String> {
    let mut pairs = vec![("limit".to_owned(), request.limit.to_string())];
    if let Some(event) = &request.event {
        pairs.push(("event".to_owned(), event.clone()));
    }
    if let Some(raw) = &request.since {
        let since = parse_since(raw, Utc::now())?;
        pairs.push(("since".to_owned(), since.to_rfc3339()));
    }
    let known = EventKind::ALL.map(|kind| kind.as_str());
    parse_audit_query(&pairs, &known).map_err(|errors| {
        errors
            .iter()
            .map(|(key, message)| format!("--{key}: {message}"))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn line(event: &AuditEventView) -> String {
    let id = |value: Option<i32>| value.map_or_else(|| "-".to_owned(), |v| v.to_string());
    format!(
        "{} {} actor={} subject={} ip={} request_id={} details={}",
        event.occurred_at,
        event.event,
        id(event.actor_user_id),
        id(event.subject_user_id),
        event.ip_address.as_deref().unwrap_or("-"),
        event.request_id.as_deref().unwrap_or("-"),
        event.details
    )
}

pub async fn tail(config: Config, request: TailRequest) -> u8 {
    let query = match query(&request) {
        Ok(query) => query,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::USAGE;
        }
    };
    let db = match prepared_database(&config).await {
        Ok(db) => db,
        Err(code) => return code,
    };
    let page = match audit_log::page(&db, &query).await {
        Ok(page) => page,
        Err(err) => {
            eprintln!("error: {err}");
            return exit::FAILURE;
        }
    };
    for row in page.events.into_iter().rev() {
        let event = AuditEventView::from(row);
        if request.json {
            match serde_json::to_string(&event) {
                Ok(text) => println!("{text}"),
                Err(err) => {
                    eprintln!("error: {err}");
                    return exit::FAILURE;
                }
            }
        } else {
            println!("{}", line(&event));
        }
    }
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn since_accepts_timestamps_and_ages() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        assert_eq!(
            parse_since("2h", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()
        );
        assert_eq!(
            parse_since("2026-12-01T00:00:00+01:00", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap()
        );
        for bad in ["", "h", "2w", "yesterday", "-1h"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_follow_the_admin_route_rules() {
        let request = |event: Option<&str>, limit| TailRequest {
            since: Some("1h".into()),
            event: event.map(str::to_owned),
            limit,
            json: false,
        };
        assert!(query(&request(Some("auth."), 50)).is_ok());
        assert!(query(&request(Some("user.deleted"), 200)).is_ok());
        assert!(
            query(&request(Some("auth"), 50))
                .unwrap_err()
                .starts_with("--event: ")
        );
        assert!(
            query(&request(None, 201))
                .unwrap_err()
                .starts_with("--limit: ")
        );
    }
}
