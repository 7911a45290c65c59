//! The `{user_id}` path parameter: the router has matched `[0-9]+`; zero is a
//! validation error, and values beyond the `users.id` column are a guaranteed "not found".

use super::ValidationErrors;
use super::coerce::{below_one, int_unparsable};
use super::rules::FieldError;

/// A `{user_id}` path value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserIdParam {
    /// A value that fits the `users.id` column.
    Id(i32),
    /// Above 2,147,483,647: no such user can exist; carries the digits without leading zeros
    /// for the 404 message.
    OutOfRange(String),
}

impl UserIdParam {
    /// The value as shown in messages: decimal digits without leading zeros.
    pub fn digits(&self) -> String {
        match self {
            Self::Id(id) => id.to_string(),
            Self::OutOfRange(digits) => digits.clone(),
        }
    }
}

/// Parses the digits the router matched (`[0-9]+`, leading zeros allowed).
pub fn parse_user_id(raw_digits: &str) -> Result<UserIdParam, ValidationErrors> {
    parse_user_id_value(raw_digits)
        .map_err(|error| ValidationErrors::from([("user_id".to_owned(), error.into_message())]))
}

fn parse_user_id_value(raw: &str) -> Result<UserIdParam, FieldError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(int_unparsable());
    }
    let digits = raw.trim_start_matches('0');
    if digits.is_empty() {
        return Err(below_one());
    }
    match digits.parse::<i32>() {
        Ok(id) => Ok(UserIdParam::Id(id)),
        Err(_) => Ok(UserIdParam::OutOfRange(digits.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_parse_with_leading_zeros() {
        assert_eq!(parse_user_id("007"), Ok(UserIdParam::Id(7)));
        assert_eq!(parse_user_id("2147483647"), Ok(UserIdParam::Id(i32::MAX)));
    }

    #[test]
    fn user_id_zero_is_a_validation_error() {
        let expected = Err(ValidationErrors::from([(
            "user_id".into(),
            "Input should be greater than or equal to 1".into(),
        )]));
        assert_eq!(parse_user_id("0"), expected);
        assert_eq!(parse_user_id("000"), expected);
    }

    #[test]
    fn user_ids_beyond_i32_are_out_of_range_without_leading_zeros() {
        let id = parse_user_id("0002147483648");
        assert_eq!(id, Ok(UserIdParam::OutOfRange("2147483648".into())));
        assert_eq!(id.map(|id| id.digits()), Ok("2147483648".into()));
        let many = "9".repeat(40);
        assert_eq!(
            parse_user_id(&many),
            Ok(UserIdParam::OutOfRange(many.clone()))
        );
        assert_eq!(parse_user_id("042").map(|id| id.digits()), Ok("42".into()));
    }

    #[test]
    fn non_digit_user_ids_are_rejected_rather_than_guessed() {
        for raw in ["", "-1", "+1", "1a"] {
            assert!(parse_user_id(raw).is_err(), "{raw}");
        }
    }
}
