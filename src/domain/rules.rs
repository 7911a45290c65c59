//! Shared validation vocabulary: the exact validation messages of the API and a small collector that
//! turns per-field results into the `ValidationErrors` map.
//!
//! Every message lives here so that the byte-for-byte wording is defined exactly once.

use serde_json::Value;
use thiserror::Error;

use super::{JsonObject, ValidationErrors};

/// One field's first failing rule, carrying the exact client-facing message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct FieldError(String);

impl FieldError {
    /// Wraps an already formatted message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// The message as sent in `error.details`.
    pub fn message(&self) -> &str {
        &self.0
    }

    /// Consumes the error, returning the message.
    pub fn into_message(self) -> String {
        self.0
    }

    pub(crate) fn field_required() -> Self {
        Self::new("Field required")
    }

    pub(crate) fn not_a_string() -> Self {
        Self::new("Input should be a valid string")
    }

    pub(crate) fn not_a_list() -> Self {
        Self::new("Input should be a valid list")
    }

    /// `Value error, <text>`: the wording of custom (validator-function) rules.
    pub(crate) fn value_error(text: &str) -> Self {
        Self::new(format!("Value error, {text}"))
    }

    /// U+0000 in any string: PostgreSQL text cannot store it, so both backends refuse it alike.
    pub(crate) fn nul_character() -> Self {
        Self::value_error("Text must not contain the NUL character")
    }

    pub(crate) fn pattern(regex: &str) -> Self {
        Self::new(format!("String should match pattern '{regex}'"))
    }

    /// Minimum length; N = 1 uses the singular, as pydantic did.
    pub(crate) fn too_short(min: usize) -> Self {
        Self::new(format!("String should have at least {}", characters(min)))
    }

    /// Maximum length; N = 1 uses the singular.
    pub(crate) fn too_long(max: usize) -> Self {
        Self::new(format!("String should have at most {}", characters(max)))
    }
}

fn characters(count: usize) -> String {
    if count == 1 {
        "1 character".to_owned()
    } else {
        format!("{count} characters")
    }
}

/// Length in Unicode scalar values, the unit every length rule of the contract uses.
pub(crate) fn char_len(value: &str) -> usize {
    value.chars().count()
}

/// Checks `min..=max` characters, minimum first (the API reports the first failing rule).
pub(crate) fn check_length(value: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let len = char_len(value);
    if len < min {
        return Err(FieldError::too_short(min));
    }
    if len > max {
        return Err(FieldError::too_long(max));
    }
    Ok(())
}

/// The rule every string input passes right after its type check, before lengths and patterns.
pub(crate) fn without_nul(text: &str) -> Result<&str, FieldError> {
    if text.contains('\0') {
        return Err(FieldError::nul_character());
    }
    Ok(text)
}

/// A key's state in a JSON body where absent and explicit `null` mean different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Patch<T> {
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    /// `None` = no change, `Some(None)` = clear, `Some(Some(v))` = set.
    pub(crate) fn into_option(self) -> Option<Option<T>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(value) => Some(Some(value)),
        }
    }
}

/// A required string field: absent, `null` and non-strings are rejected.
pub(crate) fn required_str(raw: Option<&Value>) -> Result<&str, FieldError> {
    match raw {
        None => Err(FieldError::field_required()),
        Some(Value::String(text)) => without_nul(text),
        Some(_) => Err(FieldError::not_a_string()),
    }
}

/// An optional, nullable string field where absent and `null` both mean "no value".
pub(crate) fn optional_str(raw: Option<&Value>) -> Result<Option<&str>, FieldError> {
    match patch_str(raw)? {
        Patch::Value(text) => Ok(Some(text)),
        Patch::Absent | Patch::Null => Ok(None),
    }
}

/// A nullable string field where absent and `null` must be told apart (partial updates).
pub(crate) fn patch_str(raw: Option<&Value>) -> Result<Patch<&str>, FieldError> {
    match raw {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Null),
        Some(Value::String(text)) => without_nul(text).map(Patch::Value),
        Some(_) => Err(FieldError::not_a_string()),
    }
}

/// Collects per-field results of one validation stage into a `ValidationErrors` map.
///
/// `field` returns `None` exactly when it recorded an error, so a caller holding only `Some`
/// values knows the stage passed.
pub(crate) struct Collector<'a> {
    body: &'a JsonObject,
    errors: ValidationErrors,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(body: &'a JsonObject) -> Self {
        Self {
            body,
            errors: ValidationErrors::new(),
        }
    }

    /// Runs `parse` on the raw value of `key` (None when the key is absent).
    pub(crate) fn field<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(Option<&'a Value>) -> Result<T, FieldError>,
    ) -> Option<T> {
        let body = self.body;
        self.record(key, parse(body.get(key)))
    }

    /// Records the outcome of an already computed result under `key`.
    pub(crate) fn record<T>(&mut self, key: &str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.insert(key.to_owned(), error.into_message());
                None
            }
        }
    }

    /// A list of strings: a non-list is reported under `key`, bad items under `key.<index>`.
    /// `Patch::Absent`/`Patch::Null` are returned as-is so callers can decide their meaning.
    pub(crate) fn string_list(&mut self, key: &str) -> Option<Patch<Vec<String>>> {
        let items = match self.body.get(key) {
            None => return Some(Patch::Absent),
            Some(Value::Null) => return Some(Patch::Null),
            Some(Value::Array(items)) => items,
            Some(_) => return self.record(key, Err(FieldError::not_a_list())),
        };
        let mut values = Vec::with_capacity(items.len());
        let mut failed = false;
        for (index, item) in items.iter().enumerate() {
            let checked = match item {
                Value::String(text) => without_nul(text),
                _ => Err(FieldError::not_a_string()),
            };
            match checked {
                Ok(text) => values.push(text.to_owned()),
                Err(error) => {
                    failed = true;
                    self.errors
                        .insert(format!("{key}.{index}"), error.into_message());
                }
            }
        }
        (!failed).then_some(Patch::Value(values))
    }

    /// The collected errors (non-empty whenever any `field` call returned `None`).
    pub(crate) fn into_errors(self) -> ValidationErrors {
        self.errors
    }
}

/// Removes repeated entries, keeping the first occurrence and the original order.
pub(crate) fn dedupe_preserving_order(values: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(values.len());
    values
        .into_iter()
        .filter(|value| seen.insert(value.clone()))
        .collect()
}

/// Shared by the parsers' tests, which write their bodies as `json!` literals; a non-object stands
/// for an empty body.
#[cfg(test)]
pub(crate) fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn length_messages_use_the_singular_only_for_one() {
        assert_eq!(
            FieldError::too_short(1).message(),
            "String should have at least 1 character"
        );
        assert_eq!(
            FieldError::too_short(3).message(),
            "String should have at least 3 characters"
        );
        assert_eq!(
            FieldError::too_long(1).message(),
            "String should have at most 1 character"
        );
        assert_eq!(
            FieldError::too_long(50).message(),
            "String should have at most 50 characters"
        );
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(check_length("ééé", 3, 3).is_ok());
        assert_eq!(check_length("é", 2, 3), Err(FieldError::too_short(2)));
        assert_eq!(check_length("éééé", 2, 3), Err(FieldError::too_long(3)));
    }

    #[test]
    fn required_strings_reject_absent_null_and_other_types() {
        assert_eq!(required_str(None), Err(FieldError::field_required()));
        assert_eq!(
            required_str(Some(&Value::Null)),
            Err(FieldError::not_a_string())
        );
        assert_eq!(
            required_str(Some(&json!(5))),
            Err(FieldError::not_a_string())
        );
        assert_eq!(required_str(Some(&json!("x"))), Ok("x"));
    }

    #[test]
    fn patch_strings_tell_absent_from_null() {
        assert_eq!(patch_str(None), Ok(Patch::Absent));
        assert_eq!(patch_str(Some(&Value::Null)), Ok(Patch::Null));
        assert_eq!(patch_str(Some(&json!("a"))), Ok(Patch::Value("a")));
        assert_eq!(patch_str(Some(&json!([]))), Err(FieldError::not_a_string()));
        assert_eq!(optional_str(Some(&Value::Null)), Ok(None));
    }

    #[test]
    fn string_lists_report_every_bad_item_by_index() {
        let body = object(json!({"p": ["a", 1, "b", null]}));
        let mut collector = Collector::new(&body);
        assert_eq!(collector.string_list("p"), None);
        let errors = collector.into_errors();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors["p.1"], "Input should be a valid string");
        assert_eq!(errors["p.3"], "Input should be a valid string");
    }

    #[test]
    fn nul_characters_are_refused_in_every_string_shape() {
        const NUL: &str = "Value error, Text must not contain the NUL character";
        let nul = json!("a\u{0}b");
        assert_eq!(
            required_str(Some(&nul)).map_err(FieldError::into_message),
            Err(NUL.into())
        );
        assert_eq!(
            patch_str(Some(&nul)).map_err(FieldError::into_message),
            Err(NUL.into())
        );
        let body = object(json!({"p": ["ok", "\u{0}"]}));
        let mut collector = Collector::new(&body);
        assert_eq!(collector.string_list("p"), None);
        assert_eq!(collector.into_errors()["p.1"], NUL);
    }

    #[test]
    fn string_lists_reject_non_lists_under_the_field_key() {
        let body = object(json!({"p": "a"}));
        let mut collector = Collector::new(&body);
        assert_eq!(collector.string_list("p"), None);
        assert_eq!(collector.into_errors()["p"], "Input should be a valid list");
    }

    #[test]
    fn dedupe_keeps_first_occurrences_in_order() {
        let values = vec!["b".into(), "a".into(), "b".into(), "c".into(), "a".into()];
        assert_eq!(dedupe_preserving_order(values), vec!["b", "a", "c"]);
    }
}
