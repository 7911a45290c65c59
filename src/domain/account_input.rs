//! Account-lifecycle bodies: password change, forgot/reset, e-mail verification requests.

use serde_json::Value;

use super::email::Email;
use super::password_policy::Password;
use super::rules::{Collector, FieldError, required_str};
use super::user_create::{email_field, login_password};
use super::{JsonObject, ValidationErrors};

/// `PasswordChangeRequest`: the current password is taken as typed (like login's).
#[derive(Clone)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: Password,
}

/// `EmailRequest`: the address of `forgot` and `verify/request`, validated like login's.
#[derive(Debug, Clone)]
pub struct EmailRequest {
    pub email: Email,
}

/// `PasswordResetRequest`.
#[derive(Clone)]
pub struct PasswordReset {
    pub token: String,
    pub new_password: Password,
}

/// `EmailVerifyRequest`.
#[derive(Clone)]
pub struct TokenRequest {
    pub token: String,
}

fn token_field(raw: Option<&Value>) -> Result<String, FieldError> {
    required_str(raw).map(str::to_owned)
}

fn new_password(raw: Option<&Value>) -> Result<Password, FieldError> {
    required_str(raw).and_then(Password::parse)
}

pub fn parse_password_change(body: &JsonObject) -> Result<PasswordChange, ValidationErrors> {
    let mut fields = Collector::new(body);
    let current = fields.field("current_password", login_password);
    let new = fields.field("new_password", new_password);
    let (Some(current_password), Some(new_password)) = (current, new) else {
        return Err(fields.into_errors());
    };
    Ok(PasswordChange {
        current_password,
        new_password,
    })
}

pub fn parse_email_request(body: &JsonObject) -> Result<EmailRequest, ValidationErrors> {
    let mut fields = Collector::new(body);
    let Some(email) = fields.field("email", email_field) else {
        return Err(fields.into_errors());
    };
    Ok(EmailRequest { email })
}

pub fn parse_password_reset(body: &JsonObject) -> Result<PasswordReset, ValidationErrors> {
    let mut fields = Collector::new(body);
    let token = fields.field("token", token_field);
    let new = fields.field("new_password", new_password);
    let (Some(token), Some(new_password)) = (token, new) else {
        return Err(fields.into_errors());
    };
    Ok(PasswordReset {
        token,
        new_password,
    })
}

pub fn parse_token_request(body: &JsonObject) -> Result<TokenRequest, ValidationErrors> {
    let mut fields = Collector::new(body);
    let Some(token) = fields.field("token", token_field) else {
        return Err(fields.into_errors());
    };
    Ok(TokenRequest { token })
}
