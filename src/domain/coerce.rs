//! Lax scalar coercions, as the original service accepted them: booleans in JSON bodies and query strings, and query
//! integers. They reproduce what the original (pydantic "lax" mode) accepted, so existing
//! clients keep working.

use serde_json::{Number, Value};

use super::rules::FieldError;

const FALSE_WORDS: [&str; 6] = ["0", "off", "f", "false", "n", "no"];
const TRUE_WORDS: [&str; 6] = ["1", "on", "t", "true", "y", "yes"];

fn bool_unable() -> FieldError {
    FieldError::new("Input should be a valid boolean, unable to interpret input")
}

fn bool_invalid() -> FieldError {
    FieldError::new("Input should be a valid boolean")
}

/// Also used for a `{user_id}` that is not made of digits (the router normally prevents it).
pub(crate) fn int_unparsable() -> FieldError {
    FieldError::new("Input should be a valid integer, unable to parse string as an integer")
}

/// Interprets a boolean word, case-insensitively and without trimming.
///
/// ASCII case folding suffices: no non-ASCII character lower-cases into these words.
fn bool_word(text: &str) -> Option<bool> {
    if FALSE_WORDS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(text))
    {
        Some(false)
    } else if TRUE_WORDS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(text))
    {
        Some(true)
    } else {
        None
    }
}

/// A query-string boolean (`include_deleted=yes`).
pub(crate) fn query_bool(text: &str) -> Result<bool, FieldError> {
    bool_word(text).ok_or_else(bool_unable)
}

/// A JSON-body boolean (`is_active`): real booleans, numbers equal to 0 or 1, boolean words.
pub(crate) fn body_bool(value: &Value) -> Result<bool, FieldError> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        Value::String(text) => query_bool(text),
        Value::Number(number) => number_bool(number),
        Value::Null | Value::Array(_) | Value::Object(_) => Err(bool_invalid()),
    }
}

/// 0/1 in any spelling (`1`, `1.0`, `1e0`) are booleans; other integral numbers cannot be
/// interpreted; non-integral numbers are not booleans at all.
fn number_bool(number: &Number) -> Result<bool, FieldError> {
    if let Some(integer) = number.as_i64() {
        return integral_bool(integer == 0, integer == 1);
    }
    if number.as_u64().is_some() {
        // Larger than i64::MAX: integral, but neither 0 nor 1.
        return Err(bool_unable());
    }
    match number.as_f64() {
        Some(float) if float.is_finite() && float.fract() == 0.0 => {
            integral_bool(float == 0.0, float == 1.0)
        }
        _ => Err(bool_invalid()),
    }
}

fn integral_bool(is_zero: bool, is_one: bool) -> Result<bool, FieldError> {
    match (is_zero, is_one) {
        (true, _) => Ok(false),
        (_, true) => Ok(true),
        _ => Err(bool_unable()),
    }
}

/// ASCII whitespace as C's `isspace` knows it (space, \t, \n, \v, \f, \r).
fn is_ascii_space(c: char) -> bool {
    c.is_ascii_whitespace() || c == '\u{0B}'
}

/// A query-string integer: ASCII whitespace trimmed, then `[+-]?[0-9]+` fitting in i64.
pub(crate) fn query_int(text: &str) -> Result<i64, FieldError> {
    let trimmed = text.trim_matches(is_ascii_space);
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(int_unparsable());
    }
    trimmed.parse::<i64>().map_err(|_| int_unparsable())
}

/// Lower bound of every query integer and of `{user_id}`.
pub(crate) fn check_at_least_one(value: i64) -> Result<i64, FieldError> {
    if value < 1 {
        return Err(below_one());
    }
    Ok(value)
}

pub(crate) fn below_one() -> FieldError {
    FieldError::new("Input should be greater than or equal to 1")
}

/// `per_page` upper bound.
pub(crate) fn check_at_most_hundred(value: i64) -> Result<i64, FieldError> {
    if value > 100 {
        return Err(FieldError::new("Input should be less than or equal to 100"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const UNABLE: &str = "Input should be a valid boolean, unable to interpret input";
    const INVALID: &str = "Input should be a valid boolean";
    const NOT_INT: &str = "Input should be a valid integer, unable to parse string as an integer";

    fn body_message(value: Value) -> String {
        body_bool(&value)
            .map(|flag| flag.to_string())
            .unwrap_or_else(FieldError::into_message)
    }

    #[test]
    fn query_bools_accept_every_word_case_insensitively() {
        for word in ["0", "off", "F", "FALSE", "n", "No", "oFf"] {
            assert_eq!(query_bool(word), Ok(false), "{word}");
        }
        for word in ["1", "ON", "t", "True", "Y", "yEs"] {
            assert_eq!(query_bool(word), Ok(true), "{word}");
        }
    }

    #[test]
    fn query_bools_are_not_trimmed_and_reject_other_words() {
        for word in [" true", "true ", "", "2", "yess", "nope", "tru"] {
            assert_eq!(
                query_bool(word).map_err(FieldError::into_message),
                Err(UNABLE.into())
            );
        }
    }

    #[test]
    fn body_bools_accept_booleans_zero_one_and_words() {
        assert_eq!(body_message(json!(true)), "true");
        assert_eq!(body_message(json!(false)), "false");
        assert_eq!(body_message(json!(0)), "false");
        assert_eq!(body_message(json!(1)), "true");
        assert_eq!(body_message(json!(0.0)), "false");
        assert_eq!(body_message(json!(-0.0)), "false");
        assert_eq!(body_message(json!(1.0)), "true");
        assert_eq!(
            body_message(serde_json::from_str("1e0").unwrap_or(Value::Null)),
            "true"
        );
        assert_eq!(body_message(json!("YES")), "true");
        assert_eq!(body_message(json!("off")), "false");
    }

    #[test]
    fn body_bools_cannot_interpret_other_integral_numbers_or_strings() {
        assert_eq!(body_message(json!(2)), UNABLE);
        assert_eq!(body_message(json!(-1)), UNABLE);
        assert_eq!(body_message(json!(2.0)), UNABLE);
        assert_eq!(body_message(json!(u64::MAX)), UNABLE);
        assert_eq!(body_message(json!(1e300)), UNABLE);
        assert_eq!(body_message(json!("maybe")), UNABLE);
        assert_eq!(body_message(json!(" true")), UNABLE);
    }

    #[test]
    fn body_bools_reject_null_containers_and_fractions() {
        assert_eq!(body_message(Value::Null), INVALID);
        assert_eq!(body_message(json!([true])), INVALID);
        assert_eq!(body_message(json!({"a": 1})), INVALID);
        assert_eq!(body_message(json!(1.5)), INVALID);
        assert_eq!(body_message(json!(0.5)), INVALID);
    }

    #[test]
    fn query_ints_trim_ascii_whitespace_and_accept_signs() {
        assert_eq!(query_int("5"), Ok(5));
        assert_eq!(query_int(" \t+5\n"), Ok(5));
        assert_eq!(query_int("-3"), Ok(-3));
        assert_eq!(query_int("007"), Ok(7));
        assert_eq!(query_int("\u{0B}9\u{0C}"), Ok(9));
        assert_eq!(query_int("9223372036854775807"), Ok(i64::MAX));
    }

    #[test]
    fn query_ints_reject_non_integers_and_overflow() {
        for text in [
            "",
            " ",
            "abc",
            "1.5",
            "1e3",
            "+",
            "-",
            "+-1",
            "1_000",
            "9223372036854775808",
            "\u{A0}5",
            "５",
            "0x10",
        ] {
            assert_eq!(
                query_int(text).map_err(FieldError::into_message),
                Err(NOT_INT.into()),
                "{text}"
            );
        }
    }

    #[test]
    fn integer_bounds_use_the_exact_messages() {
        assert_eq!(check_at_least_one(1), Ok(1));
        assert_eq!(
            check_at_least_one(0).map_err(FieldError::into_message),
            Err("Input should be greater than or equal to 1".into())
        );
        assert_eq!(check_at_most_hundred(100), Ok(100));
        assert_eq!(
            check_at_most_hundred(101).map_err(FieldError::into_message),
            Err("Input should be less than or equal to 100".into())
        );
    }
}
