//! Registration password policy: stripped, 8–128 characters, then at least one
//! upper-case letter, one lower-case letter and one decimal digit, checked in that order.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::rules::{FieldError, check_length};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;
/// Login passwords: far above what registration allows (128), yet a bounded amount of memory
/// held while a login waits for a hashing slot.
pub const LOGIN_MAX_LEN: usize = 1024;

/// The login rule: not stripped, 1 to [`LOGIN_MAX_LEN`] characters.
pub(crate) fn check_login_password(raw: &str) -> Result<(), FieldError> {
    check_length(raw, 1, LOGIN_MAX_LEN)
}

/// A plaintext password that satisfies the registration policy.
///
/// `Debug` is redacted so the value cannot leak through logs or panics.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Strips and applies the policy; the stripped value is the one to hash.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_length(value, MIN_LEN, MAX_LEN)?;
        if !value.chars().any(char::is_uppercase) {
            return Err(FieldError::value_error(
                "Password must contain at least one uppercase letter",
            ));
        }
        if !value.chars().any(char::is_lowercase) {
            return Err(FieldError::value_error(
                "Password must contain at least one lowercase letter",
            ));
        }
        if !value.chars().any(is_decimal_digit) {
            return Err(FieldError::value_error(
                "Password must contain at least one digit",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The (stripped) plaintext, for hashing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The (stripped) plaintext, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Unicode general category `Nd`; `char::is_numeric` would also admit `Nl`/`No` (`Ⅻ`, `½`).
fn is_decimal_digit(c: char) -> bool {
    c.general_category() == GeneralCategory::DecimalNumber
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> Result<String, String> {
        Password::parse(raw)
            .map(Password::into_inner)
            .map_err(FieldError::into_message)
    }

    const UPPER: &str = "Value error, Password must contain at least one uppercase letter";
    const LOWER: &str = "Value error, Password must contain at least one lowercase letter";
    const DIGIT: &str = "Value error, Password must contain at least one digit";

    #[test]
    fn compliant_passwords_are_stripped() {
        assert_eq!(parsed("  Password123!  "), Ok("Password123!".into()));
    }

    #[test]
    fn length_is_checked_after_stripping_and_before_the_classes() {
        assert_eq!(
            parsed("weak"),
            Err("String should have at least 8 characters".into())
        );
        assert_eq!(
            parsed("   Ab1    "),
            Err("String should have at least 8 characters".into())
        );
        let long = format!("Aa1{}", "x".repeat(126));
        assert_eq!(
            parsed(&long),
            Err("String should have at most 128 characters".into())
        );
        assert!(parsed(&format!("Aa1{}", "x".repeat(125))).is_ok());
    }

    #[test]
    fn classes_are_checked_upper_then_lower_then_digit() {
        assert_eq!(parsed("password"), Err(UPPER.into()));
        assert_eq!(parsed("PASSWORD"), Err(LOWER.into()));
        assert_eq!(parsed("Password"), Err(DIGIT.into()));
        assert_eq!(parsed("12345678"), Err(UPPER.into()));
    }

    #[test]
    fn classes_are_unicode_aware() {
        assert_eq!(parsed("ÉCOLEécole"), Err(DIGIT.into()));
        assert!(parsed("Écoleécole٣").is_ok(), "Arabic-Indic digit is Nd");
        assert!(parsed("ΣΙΓΜΑσιγμα1").is_ok());
    }

    #[test]
    fn numeric_characters_that_are_not_decimal_digits_do_not_count() {
        assert_eq!(parsed("Passwordⅻ½"), Err(DIGIT.into()));
        assert_eq!(parsed("Password²"), Err(DIGIT.into()));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let debug = Password::parse("Password123!").map(|p| format!("{p:?}"));
        assert_eq!(debug, Ok("Password(<redacted>)".into()));
    }
}
