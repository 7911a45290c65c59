//! JSON line rendering.

use serde_json::Value;

use super::layer::EventRecord;

/// Span fields written right after `message`, in this order.
pub const REQUEST_KEYS: [&str; 3] = ["request_id", "method", "path"];

/// Keys produced by the formatter itself; event fields with these names are
/// written as `field_<name>` so they cannot clash.
const RESERVED_KEYS: [&str; 3] = ["timestamp", "level", "target"];

/// Renders one event as a JSON object followed by `\n`.
///
/// Order: `timestamp`, `level`, `target`, `message`, `request_id`, `method`,
/// `path`, the event's own fields, then the remaining span fields (e.g. a
/// `user_id` recorded on the request span). An event field wins over a span
/// field of the same name.
pub fn render(record: &EventRecord<'_>) -> String {
    let mut line = ObjectWriter::default();
    line.push("timestamp", &Value::String(format_timestamp(record)));
    line.push("level", &Value::String(record.level.as_str().to_owned()));
    line.push("target", &Value::String(record.target.to_owned()));
    line.push("message", &Value::String(message_text(record)));
    for key in REQUEST_KEYS {
        if let (Some(value), false) = (record.spans.get(key), record.fields.contains(key)) {
            line.push(key, value);
        }
    }
    for (key, value) in record.fields.iter().filter(|(k, _)| *k != "message") {
        if RESERVED_KEYS.contains(&key) {
            line.push(&format!("field_{key}"), value);
        } else {
            line.push(key, value);
        }
    }
    for (key, value) in record.spans.iter() {
        let skip = REQUEST_KEYS.contains(&key)
            || RESERVED_KEYS.contains(&key)
            || key == "message"
            || record.fields.contains(key);
        if !skip {
            line.push(key, value);
        }
    }
    line.finish()
}

/// RFC 3339 UTC with milliseconds and `Z`.
pub fn format_timestamp(record: &EventRecord<'_>) -> String {
    record
        .timestamp
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The event's `message` as plain text (empty when the event has none); it was
/// already redacted when recorded.
pub fn message_text(record: &EventRecord<'_>) -> String {
    match record.fields.get("message") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Incremental writer of one compact JSON object.
#[derive(Default)]
struct ObjectWriter {
    buf: String,
}

impl ObjectWriter {
    fn push(&mut self, key: &str, value: &Value) {
        self.buf.push(if self.buf.is_empty() { '{' } else { ',' });
        self.buf
            .push_str(&Value::String(key.to_owned()).to_string());
        self.buf.push(':');
        self.buf.push_str(&value.to_string());
    }

    fn finish(mut self) -> String {
        if self.buf.is_empty() {
            self.buf.push('{');
        }
        self.buf.push_str("}\n");
        self.buf
    }
}
