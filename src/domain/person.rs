//! Profile text fields of registration and profile updates: person names, title-cased after their length check,
//! and the free-text bio, kept as written.

use super::rules::{FieldError, check_length};

pub const NAME_MAX: usize = 50;
pub const BIO_MAX: usize = 500;

/// A stripped, length-checked, title-cased name part (first, middle or last name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// `first_name`: required, 1–50 characters after stripping.
    pub fn parse_first(raw: &str) -> Result<Self, FieldError> {
        Self::parse_with_min(raw, 1)
    }

    /// `middle_name` / `last_name`: at most 50 characters after stripping; `""` is allowed.
    pub fn parse_optional(raw: &str) -> Result<Self, FieldError> {
        Self::parse_with_min(raw, 0)
    }

    fn parse_with_min(raw: &str, min: usize) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_length(value, min, NAME_MAX)?;
        Ok(Self(title_case(value)))
    }

    /// The title-cased name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The title-cased name, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A stripped bio of at most 500 characters, otherwise unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    /// Strips and checks the length.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_length(value, 0, BIO_MAX)?;
        Ok(Self(value.to_owned()))
    }

    /// The bio text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bio text, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Python's `str.title()` rule with Rust's full case mappings, exactly as the original service applied it:
/// a cased character that starts the text or follows a non-cased one is upper-cased, every
/// other cased character is lower-cased, non-cased characters are kept.
pub fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_cased = false;
    for c in text.chars() {
        let cased = c.is_uppercase() || c.is_lowercase();
        match (cased, previous_cased) {
            (true, false) => out.extend(c.to_uppercase()),
            (true, true) => out.extend(c.to_lowercase()),
            (false, _) => out.push(c),
        }
        previous_cased = cased;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_follows_the_contract_examples() {
        assert_eq!(title_case("mcDONALD"), "Mcdonald");
        assert_eq!(title_case("o'brien"), "O'Brien");
        assert_eq!(title_case("jean-luc"), "Jean-Luc");
        assert_eq!(title_case("1abc"), "1Abc");
        assert_eq!(title_case("mary ann"), "Mary Ann");
        assert_eq!(title_case("élodie"), "Élodie");
    }

    #[test]
    fn title_case_uses_full_upper_case_mappings() {
        assert_eq!(title_case("ßa"), "SSa");
        assert_eq!(title_case("ﬁsh"), "FIsh");
        assert_eq!(title_case(""), "");
    }

    #[test]
    fn first_names_are_required_non_empty_after_stripping() {
        let err = PersonName::parse_first("   ").map_err(FieldError::into_message);
        assert_eq!(err, Err("String should have at least 1 character".into()));
        assert_eq!(
            PersonName::parse_first("  john ").map(PersonName::into_inner),
            Ok("John".into())
        );
    }

    #[test]
    fn name_lengths_are_checked_before_title_casing() {
        // 25 × "ß-" upper-cases to 75 characters but still fits the limit of 50.
        let fifty = "ß-".repeat(25);
        assert_eq!(
            PersonName::parse_optional(&fifty).map(|n| n.as_str().chars().count()),
            Ok(75)
        );
        let err = PersonName::parse_first(&"a".repeat(51)).map_err(FieldError::into_message);
        assert_eq!(err, Err("String should have at most 50 characters".into()));
    }

    #[test]
    fn optional_names_may_be_empty() {
        assert_eq!(
            PersonName::parse_optional(" ").map(PersonName::into_inner),
            Ok(String::new())
        );
    }

    #[test]
    fn bios_are_stripped_but_otherwise_unchanged() {
        assert_eq!(
            Bio::parse("  hello WORLD  ").map(Bio::into_inner),
            Ok("hello WORLD".into())
        );
        assert!(Bio::parse(&"x".repeat(500)).is_ok());
        let err = Bio::parse(&"x".repeat(501)).map_err(FieldError::into_message);
        assert_eq!(err, Err("String should have at most 500 characters".into()));
    }
}
