//! The partial profile update (`UserUpdateSchema`): only present keys change, explicit
//! `null` clears the nullable fields, and an update that names no field is rejected as a whole.

use serde_json::Value;

use super::coerce::body_bool;
use super::person::{Bio, PersonName};
use super::rules::{Collector, FieldError, patch_str, required_str};
use super::{JsonObject, ValidationErrors};

/// A validated partial update. For the nullable fields `None` = leave unchanged,
/// `Some(None)` = clear (explicit `null`), `Some(Some(v))` = set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserUpdate {
    pub first_name: Option<PersonName>,
    pub middle_name: Option<Option<PersonName>>,
    pub last_name: Option<Option<PersonName>>,
    pub bio: Option<Option<Bio>>,
    pub is_active: Option<bool>,
}

impl UserUpdate {
    /// Whether the body carried `is_active`: it decides between the self rule and
    /// `users:update` and triggers the target guard.
    pub fn contains_is_active(&self) -> bool {
        self.is_active.is_some()
    }
}

fn update_first_name(raw: Option<&Value>) -> Result<Option<PersonName>, FieldError> {
    match raw {
        None => Ok(None),
        Some(_) => required_str(raw)
            .and_then(PersonName::parse_first)
            .map(Some),
    }
}

fn patch_name(raw: Option<&Value>) -> Result<Option<Option<PersonName>>, FieldError> {
    let patch = patch_str(raw)?.into_option();
    patch
        .map(|value| value.map(PersonName::parse_optional).transpose())
        .transpose()
}

fn patch_bio(raw: Option<&Value>) -> Result<Option<Option<Bio>>, FieldError> {
    let patch = patch_str(raw)?.into_option();
    patch
        .map(|value| value.map(Bio::parse).transpose())
        .transpose()
}

fn update_is_active(raw: Option<&Value>) -> Result<Option<bool>, FieldError> {
    raw.map(body_bool).transpose()
}

/// Parses `UserUpdateSchema`, including the whole-body "at least one field" rule.
pub fn parse_user_update(body: &JsonObject) -> Result<UserUpdate, ValidationErrors> {
    let mut fields = Collector::new(body);
    let first_name = fields.field("first_name", update_first_name);
    let middle_name = fields.field("middle_name", patch_name);
    let last_name = fields.field("last_name", patch_name);
    let bio = fields.field("bio", patch_bio);
    let is_active = fields.field("is_active", update_is_active);
    let (Some(first_name), Some(middle_name), Some(last_name), Some(bio), Some(is_active)) =
        (first_name, middle_name, last_name, bio, is_active)
    else {
        return Err(fields.into_errors());
    };
    let update = UserUpdate {
        first_name,
        middle_name,
        last_name,
        bio,
        is_active,
    };
    if update.is_empty() {
        return Err(ValidationErrors::from([(
            "body".to_owned(),
            FieldError::value_error("At least one field must be provided for update")
                .into_message(),
        )]));
    }
    Ok(update)
}

impl UserUpdate {
    fn is_empty(&self) -> bool {
        self.first_name.is_none()
            && self.middle_name.is_none()
            && self.last_name.is_none()
            && self.bio.is_none()
            && self.is_active.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<UserUpdate, ValidationErrors> {
        match value {
            Value::Object(map) => parse_user_update(&map),
            _ => Err(ValidationErrors::new()),
        }
    }

    fn errors(value: Value) -> ValidationErrors {
        parse(value).err().unwrap_or_default()
    }

    const AT_LEAST_ONE: &str = "Value error, At least one field must be provided for update";

    #[test]
    fn an_empty_or_unknown_only_body_fails_as_a_whole() {
        let expected = ValidationErrors::from([("body".into(), AT_LEAST_ONE.into())]);
        assert_eq!(errors(json!({})), expected);
        assert_eq!(
            errors(json!({"username": "x", "email": "y", "password": "z"})),
            expected
        );
    }

    #[test]
    fn field_errors_win_over_the_whole_body_rule() {
        let found = errors(json!({"first_name": null}));
        assert_eq!(
            found,
            ValidationErrors::from([(
                "first_name".into(),
                "Input should be a valid string".into()
            )])
        );
    }

    #[test]
    fn explicit_nulls_clear_and_absent_keys_leave_unchanged() {
        let update = parse(json!({"middle_name": null, "bio": null})).expect("valid");
        assert_eq!(update.middle_name, Some(None));
        assert_eq!(update.bio, Some(None));
        assert_eq!(update.last_name, None);
        assert_eq!(update.first_name, None);
        assert!(!update.contains_is_active());
    }

    #[test]
    fn strings_are_stripped_title_cased_and_may_be_empty_where_optional() {
        let update = parse(json!({"first_name": " johnny ", "middle_name": "",
                                  "last_name": " mcDONALD ", "bio": "  Updated bio "}))
        .expect("valid");
        assert_eq!(
            update.first_name.map(PersonName::into_inner),
            Some("Johnny".into())
        );
        assert_eq!(
            update.middle_name,
            Some(Some(PersonName::parse_optional("").expect("ok")))
        );
        assert_eq!(
            update.last_name.flatten().map(PersonName::into_inner),
            Some("Mcdonald".into())
        );
        assert_eq!(
            update.bio.flatten().map(Bio::into_inner),
            Some("Updated bio".into())
        );
    }

    #[test]
    fn each_field_reports_its_first_failing_rule() {
        let found = errors(json!({"first_name": "  ", "middle_name": 3,
                                  "last_name": "x".repeat(51), "bio": "b".repeat(501),
                                  "is_active": null}));
        assert_eq!(
            found["first_name"],
            "String should have at least 1 character"
        );
        assert_eq!(found["middle_name"], "Input should be a valid string");
        assert_eq!(
            found["last_name"],
            "String should have at most 50 characters"
        );
        assert_eq!(found["bio"], "String should have at most 500 characters");
        assert_eq!(found["is_active"], "Input should be a valid boolean");
    }

    #[test]
    fn is_active_accepts_lax_booleans() {
        let update = parse(json!({"is_active": "off"})).expect("valid");
        assert_eq!(update.is_active, Some(false));
        assert!(update.contains_is_active());
        assert_eq!(
            parse(json!({"is_active": 1.0})).map(|u| u.is_active),
            Ok(Some(true))
        );
        assert_eq!(
            errors(json!({"is_active": 2}))["is_active"],
            "Input should be a valid boolean, unable to interpret input"
        );
    }
}
