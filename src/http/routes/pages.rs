//! The HTML landing page `/` and health dashboard `/health`: no JavaScript, inline CSS,
//! every dynamic value escaped, status computed per request.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, SecondsFormat, Utc};

use crate::service::health::{DependencyState, check};
use crate::state::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const LANDING: &str = include_str!("../../../assets/pages/index.html");
const HEALTH: &str = include_str!("../../../assets/pages/health.html");

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// Replace `{{name}}` placeholders with escaped values.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |page, (name, value)| {
            page.replace(&format!("{{{{{name}}}}}"), &escape(value))
        })
}

fn uptime(state: &AppState) -> String {
    let secs = state.started.elapsed().as_secs();
    let (days, hours, minutes) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match (days, hours) {
        (0, 0) => format!("{minutes}m {}s", secs % 60),
        (0, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h {minutes}m"),
    }
}

pub async fn landing(State(state): State<AppState>) -> Response {
    let report = check(&state).await;
    let (status, status_class) = if report.healthy() {
        ("System Operational", "ok")
    } else {
        ("Degraded", "warn")
    };
    Html(fill(
        LANDING,
        &[
            ("status", status.into()),
            ("status_class", status_class.into()),
            ("version", VERSION.into()),
            ("environment", state.config.env.as_str().into()),
            ("year", Utc::now().year().to_string()),
        ],
    ))
    .into_response()
}

pub async fn health_page(State(state): State<AppState>) -> Response {
    let report = check(&state).await;
    let (overall, overall_class) = if report.healthy() {
        ("✅ Healthy", "ok")
    } else {
        ("⚠️ Degraded", "warn")
    };
    let database = if report.database == DependencyState::Up {
        "Connected"
    } else {
        "Disconnected"
    };
    let redis = match report.redis {
        DependencyState::Up => "Connected",
        DependencyState::Down => "Disconnected",
        DependencyState::NotConfigured => "Not configured",
    };
    Html(fill(
        HEALTH,
        &[
            ("overall", overall.into()),
            ("overall_class", overall_class.into()),
            (
                "updated",
                Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
            ("database", database.into()),
            ("backend", state.db.backend().label().into()),
            ("redis", redis.into()),
            ("version", VERSION.into()),
            ("environment", state.config.env.title().into()),
            ("uptime", uptime(&state)),
        ],
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_with_escaped_text() {
        assert_eq!(
            fill("<b>{{x}}</b>", &[("x", "<i>&".into())]),
            "<b>&lt;i&gt;&amp;</b>"
        );
    }
}
