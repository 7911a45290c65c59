//! Human-readable line rendering:
//! `2026-01-15T10:30:45.123Z  INFO warden::http [<id>] GET /path | message k=v`.

use std::fmt::Write as _;

use serde_json::Value;
use tracing::Level;

use super::json::{REQUEST_KEYS, format_timestamp, message_text};
use super::layer::EventRecord;

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";

/// Renders one event as a pretty line followed by `\n`.
pub fn render(record: &EventRecord<'_>, ansi: bool) -> String {
    let mut line = String::with_capacity(128);
    paint(&mut line, ansi.then_some(DIM), &format_timestamp(record));
    line.push(' ');
    let level = format!("{:>5}", record.level.as_str());
    paint(&mut line, ansi.then(|| level_colour(record.level)), &level);
    line.push(' ');
    paint(&mut line, ansi.then_some(DIM), record.target);
    line.push(' ');
    if push_request_prefix(&mut line, record) {
        line.push_str(" | ");
    }
    line.push_str(&message_text(record));
    for (key, value) in extra_fields(record) {
        let _ = write!(line, " {key}={}", display_value(value));
    }
    line.push('\n');
    line
}

/// ANSI colour of a level: ERROR red, WARN yellow, INFO green, DEBUG cyan, TRACE magenta.
pub fn level_colour(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "\x1b[31m",
        Level::WARN => "\x1b[33m",
        Level::INFO => "\x1b[32m",
        Level::DEBUG => "\x1b[36m",
        Level::TRACE => "\x1b[35m",
    }
}

fn paint(line: &mut String, colour: Option<&str>, text: &str) {
    match colour {
        Some(code) => {
            let _ = write!(line, "{code}{text}{RESET}");
        }
        None => line.push_str(text),
    }
}

/// Writes `[request_id] METHOD /path` (the parts present); returns whether any was.
fn push_request_prefix(line: &mut String, record: &EventRecord<'_>) -> bool {
    let mut parts = Vec::with_capacity(3);
    for key in REQUEST_KEYS {
        let value = record.fields.get(key).or_else(|| record.spans.get(key));
        if let Some(value) = value {
            let text = plain(value);
            parts.push(if key == "request_id" {
                format!("[{text}]")
            } else {
                text
            });
        }
    }
    line.push_str(&parts.join(" "));
    !parts.is_empty()
}

/// Event fields, then span fields not shown elsewhere (e.g. `user_id`).
fn extra_fields<'r>(
    record: &'r EventRecord<'_>,
) -> impl Iterator<Item = (&'static str, &'r Value)> {
    let own = record
        .fields
        .iter()
        .filter(|(k, _)| *k != "message" && !REQUEST_KEYS.contains(k));
    let inherited = record.spans.iter().filter(|(k, _)| {
        *k != "message" && !REQUEST_KEYS.contains(k) && !record.fields.contains(k)
    });
    own.chain(inherited)
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Strings are written bare unless empty or containing spaces, quotes or `=`.
fn display_value(value: &Value) -> String {
    match value {
        Value::String(text) if needs_quotes(text) => value.to_string(),
        other => plain(other),
    }
}

fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=')
}
