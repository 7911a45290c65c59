//! Account bodies: registration (`UserCreateSchema`) and login (`LoginRequest`).

use serde_json::Value;

use super::email::Email;
use super::password_policy::{Password, check_login_password};
use super::person::{Bio, PersonName};
use super::rules::{Collector, FieldError, optional_str, required_str};
use super::username::Username;
use super::{JsonObject, ValidationErrors};

/// A validated registration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub first_name: PersonName,
    pub middle_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub bio: Option<Bio>,
}

/// A validated login request. The password is neither stripped nor policy-checked, so accounts
/// created under older rules can still log in.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginRequest {
    pub email: Email,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

pub(crate) fn email_field(raw: Option<&Value>) -> Result<Email, FieldError> {
    required_str(raw).and_then(Email::parse)
}

fn register_email(raw: Option<&Value>) -> Result<Email, FieldError> {
    let email = email_field(raw)?;
    email.check_register_length()?;
    Ok(email)
}

fn optional_name(raw: Option<&Value>) -> Result<Option<PersonName>, FieldError> {
    optional_str(raw)?
        .map(PersonName::parse_optional)
        .transpose()
}

fn optional_bio(raw: Option<&Value>) -> Result<Option<Bio>, FieldError> {
    optional_str(raw)?.map(Bio::parse).transpose()
}

/// Parses `UserCreateSchema`, reporting every failing field with its first failing rule.
pub fn parse_user_create(body: &JsonObject) -> Result<NewUser, ValidationErrors> {
    let mut fields = Collector::new(body);
    let username = fields.field("username", |raw| {
        required_str(raw).and_then(Username::parse)
    });
    let email = fields.field("email", register_email);
    let password = fields.field("password", |raw| {
        required_str(raw).and_then(Password::parse)
    });
    let first_name = fields.field("first_name", |raw| {
        required_str(raw).and_then(PersonName::parse_first)
    });
    let middle_name = fields.field("middle_name", optional_name);
    let last_name = fields.field("last_name", optional_name);
    let bio = fields.field("bio", optional_bio);
    let (
        Some(username),
        Some(email),
        Some(password),
        Some(first_name),
        Some(middle_name),
        Some(last_name),
        Some(bio),
    ) = (
        username,
        email,
        password,
        first_name,
        middle_name,
        last_name,
        bio,
    )
    else {
        return Err(fields.into_errors());
    };
    Ok(NewUser {
        username,
        email,
        password,
        first_name,
        middle_name,
        last_name,
        bio,
    })
}

pub(crate) fn login_password(raw: Option<&Value>) -> Result<String, FieldError> {
    let password = required_str(raw)?;
    check_login_password(password)?;
    Ok(password.to_owned())
}

/// Parses `LoginRequest`.
pub fn parse_login(body: &JsonObject) -> Result<LoginRequest, ValidationErrors> {
    let mut fields = Collector::new(body);
    let email = fields.field("email", email_field);
    let password = fields.field("password", login_password);
    let (Some(email), Some(password)) = (email, password) else {
        return Err(fields.into_errors());
    };
    Ok(LoginRequest { email, password })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::object;
    use serde_json::json;

    fn valid_body() -> Value {
        json!({"username": " New_User ", "email": " New.User@Example.COM ",
               "password": " Password123! ", "first_name": " new ",
               "middle_name": null, "last_name": "  user", "bio": "  Hi there  "})
    }

    fn errors(body: Value) -> ValidationErrors {
        parse_user_create(&object(body)).err().unwrap_or_default()
    }

    #[test]
    fn a_valid_registration_is_stripped_and_normalised() {
        let user = parse_user_create(&object(valid_body())).expect("valid body");
        assert_eq!(user.username.as_str(), "new_user");
        assert_eq!(user.email.as_str(), "New.User@example.com");
        assert_eq!(user.password.as_str(), "Password123!");
        assert_eq!(user.first_name.as_str(), "New");
        assert_eq!(user.middle_name, None);
        assert_eq!(
            user.last_name.map(PersonName::into_inner),
            Some("User".into())
        );
        assert_eq!(user.bio.map(Bio::into_inner), Some("Hi there".into()));
    }

    #[test]
    fn the_contract_example_reports_every_field_with_its_first_rule() {
        let body = json!({"username": "ab", "email": "invalid-email", "password": "weak",
                          "first_name": ""});
        let expected = ValidationErrors::from([
            ("username".into(), "String should have at least 3 characters".into()),
            ("email".into(), "value is not a valid email address: The email address is not valid. It must have exactly one @-sign.".into()),
            ("password".into(), "String should have at least 8 characters".into()),
            ("first_name".into(), "String should have at least 1 character".into()),
        ]);
        assert_eq!(errors(body), expected);
    }

    #[test]
    fn missing_required_fields_are_reported_and_optional_ones_are_not() {
        let expected = ValidationErrors::from([
            ("username".into(), "Field required".into()),
            ("email".into(), "Field required".into()),
            ("password".into(), "Field required".into()),
            ("first_name".into(), "Field required".into()),
        ]);
        assert_eq!(errors(json!({})), expected);
    }

    #[test]
    fn wrong_types_and_nulls_on_required_fields_need_a_string() {
        let body = json!({"username": 5, "email": null, "password": ["x"], "first_name": {},
                          "middle_name": 1, "last_name": true, "bio": 2.5});
        let found = errors(body);
        assert_eq!(found.len(), 7);
        assert!(
            found
                .values()
                .all(|m| m == "Input should be a valid string")
        );
    }

    #[test]
    fn optional_fields_are_length_checked_and_title_cased() {
        let mut body = valid_body();
        body["middle_name"] = json!("x".repeat(51));
        body["bio"] = json!("b".repeat(501));
        let found = errors(body);
        assert_eq!(
            found["middle_name"],
            "String should have at most 50 characters"
        );
        assert_eq!(found["bio"], "String should have at most 500 characters");
        let mut body = valid_body();
        body["middle_name"] = json!("  o'brien ");
        let user = parse_user_create(&object(body)).expect("valid body");
        assert_eq!(
            user.middle_name.map(PersonName::into_inner),
            Some("O'Brien".into())
        );
    }

    #[test]
    fn registration_limits_the_normalised_email_to_120_characters() {
        let mut body = valid_body();
        body["email"] = json!(format!("{}@{}.COM", "a".repeat(60), "B".repeat(56)));
        assert_eq!(
            errors(body)["email"],
            "String should have at most 120 characters"
        );
    }

    #[test]
    fn the_password_policy_applies_at_registration() {
        let mut body = valid_body();
        body["password"] = json!("password123");
        assert_eq!(
            errors(body)["password"],
            "Value error, Password must contain at least one uppercase letter"
        );
    }

    #[test]
    fn login_keeps_the_password_as_sent() {
        let body = object(json!({"email": " A@Example.com ", "password": " x "}));
        let login = parse_login(&body).expect("valid login");
        assert_eq!(login.email.as_str(), "A@example.com");
        assert_eq!(login.password, " x ");
        assert!(!format!("{login:?}").contains(" x "));
    }

    #[test]
    fn login_needs_a_non_empty_password_and_a_valid_email() {
        let found = parse_login(&object(json!({"email": "a@b", "password": ""})))
            .err()
            .unwrap_or_default();
        assert_eq!(found["password"], "String should have at least 1 character");
        assert_eq!(
            found["email"],
            "value is not a valid email address: The part after the @-sign is not valid. It should have a period."
        );
        let found = parse_login(&object(json!({"password": 1})))
            .err()
            .unwrap_or_default();
        assert_eq!(found["email"], "Field required");
        assert_eq!(found["password"], "Input should be a valid string");
    }

    #[test]
    fn login_has_no_120_character_email_limit() {
        let email = format!(
            "{}@{}.{}.com",
            "a".repeat(64),
            "b".repeat(50),
            "c".repeat(50)
        );
        let body = object(json!({"email": email, "password": "p"}));
        assert!(parse_login(&body).is_ok());
    }
}
