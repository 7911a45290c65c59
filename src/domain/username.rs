//! Usernames: stripped, 3–80 characters of `[a-zA-Z0-9_]`, stored lower-cased so
//! that uniqueness and look-ups are case-insensitive.

use super::rules::{FieldError, check_length};

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 80;
pub const PATTERN: &str = "^[a-zA-Z0-9_]+$";

/// A valid, lower-cased username.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Strips, checks length, then the pattern (so a too-short value with bad characters reports its length), then lower-cases.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_length(value, MIN_LEN, MAX_LEN)?;
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(FieldError::pattern(PATTERN));
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    /// The normalised username.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised username, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> Result<String, String> {
        Username::parse(raw)
            .map(Username::into_inner)
            .map_err(FieldError::into_message)
    }

    #[test]
    fn usernames_are_stripped_and_lower_cased() {
        assert_eq!(parsed("  John_Doe9 "), Ok("john_doe9".into()));
    }

    #[test]
    fn usernames_need_three_to_eighty_characters() {
        assert_eq!(
            parsed("ab"),
            Err("String should have at least 3 characters".into())
        );
        assert_eq!(
            parsed("  ab  "),
            Err("String should have at least 3 characters".into())
        );
        assert_eq!(parsed(&"a".repeat(80)), Ok("a".repeat(80)));
        assert_eq!(
            parsed(&"a".repeat(81)),
            Err("String should have at most 80 characters".into())
        );
    }

    #[test]
    fn the_pattern_is_checked_after_the_length() {
        let pattern = "String should match pattern '^[a-zA-Z0-9_]+$'";
        assert_eq!(parsed("john doe"), Err(pattern.into()));
        assert_eq!(parsed("jöhn"), Err(pattern.into()));
        assert_eq!(parsed("john-doe"), Err(pattern.into()));
        assert_eq!(
            parsed("a-"),
            Err("String should have at least 3 characters".into())
        );
    }
}
