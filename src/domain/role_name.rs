//! Role names: normalised (stripped, lower-cased) before any rule, so the stored name,
//! the length check and the uniqueness check all see the same value.

use super::rules::{FieldError, check_length};

pub const NAME_MIN: usize = 2;
pub const NAME_MAX: usize = 50;

/// A normalised role name: stripped, lower-cased, 2–50 characters of letters, digits and `_`
/// (Unicode-aware), with at least one letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleName(String);

impl RoleName {
    /// Normalises first, so the length counts the stored value.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim().to_lowercase();
        check_length(&name, NAME_MIN, NAME_MAX)?;
        let mut rest = name.chars().filter(|c| *c != '_').peekable();
        if rest.peek().is_none() || !rest.all(char::is_alphanumeric) {
            return Err(FieldError::value_error(
                "Role name must contain only letters, numbers, and underscores",
            ));
        }
        Ok(Self(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised name, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for RoleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME_RULE: &str =
        "Value error, Role name must contain only letters, numbers, and underscores";

    fn name(raw: &str) -> Result<String, String> {
        RoleName::parse(raw)
            .map(RoleName::into_inner)
            .map_err(FieldError::into_message)
    }

    #[test]
    fn role_names_are_stripped_and_lower_cased_before_the_length_check() {
        assert_eq!(name("  Content_Editor "), Ok("content_editor".into()));
        assert_eq!(
            name(" A "),
            Err("String should have at least 2 characters".into())
        );
        assert_eq!(
            name(&"a".repeat(51)),
            Err("String should have at most 50 characters".into())
        );
        assert_eq!(name(&format!(" {} ", "A".repeat(50))), Ok("a".repeat(50)));
    }

    #[test]
    fn role_names_allow_unicode_letters_and_digits_but_not_only_underscores() {
        assert_eq!(name("Rédacteur_2"), Ok("rédacteur_2".into()));
        assert_eq!(name("__"), Err(NAME_RULE.into()));
        assert_eq!(name("content-editor"), Err(NAME_RULE.into()));
        assert_eq!(name("a b"), Err(NAME_RULE.into()));
        assert_eq!(name("a:b"), Err(NAME_RULE.into()));
    }
}
