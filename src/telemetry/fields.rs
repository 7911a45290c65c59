//! Collection of event and span fields into ordered, redacted JSON values.

use std::fmt;

use serde_json::{Number, Value};
use tracing::field::{Field, Visit};

use super::redact::redact_field;

/// Ordered `key → value` list; inserting an existing key replaces its value in place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldMap {
    entries: Vec<(&'static str, Value)>,
}

impl FieldMap {
    /// Inserts or replaces `key`.
    pub fn insert(&mut self, key: &'static str, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Copies every entry of `other` into `self` (replacing equal keys).
    pub fn merge(&mut self, other: &FieldMap) {
        for (k, v) in other.iter() {
            self.insert(k, v.clone());
        }
    }
}

/// Fields of a span, kept in the span's extensions.
#[derive(Debug, Default)]
pub struct SpanFields(pub FieldMap);

/// Visitor that records fields into a [`FieldMap`], redacting as it goes.
pub struct FieldVisitor<'a> {
    fields: &'a mut FieldMap,
}

impl<'a> FieldVisitor<'a> {
    pub fn new(fields: &'a mut FieldMap) -> Self {
        Self { fields }
    }

    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        self.fields.insert(name, redact_field(name, value));
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let json =
            Number::from_f64(value).map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.put(field, json);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        let json =
            i64::try_from(value).map_or_else(|_| Value::String(value.to_string()), Value::from);
        self.put(field, json);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        let json =
            u64::try_from(value).map_or_else(|_| Value::String(value.to_string()), Value::from);
        self.put(field, json);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(error_chain(value)));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}

/// `error: cause: root cause`, skipping sources already contained in the text.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
