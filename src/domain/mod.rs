//! Parse-don't-validate input types: request bodies, query strings and path
//! parameters become typed values here, so deeper layers can never hold invalid input.
//!
//! Every parser reports all failing fields of its stage, each with exactly one message (the
//! first failing rule), keyed by field name (`<field>.<index>` for list items, `body` for the
//! whole body).

mod account_input;
mod assignment_input;
mod audit_query;
mod coerce;
mod email;
mod page;
mod password_policy;
mod person;
mod query;
mod role_input;
mod role_name;
mod rules;
mod user_create;
mod user_id;
mod user_update;
mod username;

pub use account_input::{
    EmailRequest, PasswordChange, PasswordReset, TokenRequest, parse_email_request,
    parse_password_change, parse_password_reset, parse_token_request,
};
pub use assignment_input::{
    PermissionGrant, RoleAssign, parse_permission_grant, parse_role_assign,
};
pub use audit_query::{
    AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, AuditQuery, EventMatch, encode_cursor, parse_audit_query,
};
pub use email::Email;
pub use page::Page;
pub use password_policy::{LOGIN_MAX_LEN, Password};
pub use person::{Bio, PersonName, title_case};
pub use query::{
    PermissionListQuery, RoleListQuery, UserListQuery, parse_permission_list_query,
    parse_role_list_query, parse_user_list_query,
};
pub use role_input::{RoleCreate, RoleUpdate, parse_role_create, parse_role_update};
pub use role_name::RoleName;
pub use rules::FieldError;
pub use user_create::{LoginRequest, NewUser, parse_login, parse_user_create};
pub use user_id::{UserIdParam, parse_user_id};
pub use user_update::{UserUpdate, parse_user_update};
pub use username::Username;

/// Field key -> exactly one message (the first failing rule). Keys: field names, `<field>.<i>`
/// for list items (`permissions.0`), `body` for whole-body rules.
pub type ValidationErrors = std::collections::BTreeMap<String, String>;

/// A JSON request body that is already known to be an object.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// The limits the parsers enforce, for the hand-written request schemas of the OpenAPI document
/// (which must say what the parsers check, not a copy of it).
pub mod limits {
    pub use super::assignment_input::{REASON_MAX, ROLE_NAME_MAX, ROLE_NAME_MIN};
    pub use super::email::MAX_STORED as EMAIL_MAX;
    pub use super::password_policy::{MAX_LEN as PASSWORD_MAX, MIN_LEN as PASSWORD_MIN};
    pub use super::person::{BIO_MAX, NAME_MAX};
    pub use super::role_input::{DESCRIPTION_MAX, DISPLAY_MAX, DISPLAY_MIN};
    pub use super::role_name::{NAME_MAX as ROLE_MAX, NAME_MIN as ROLE_MIN};
    pub use super::username::{
        MAX_LEN as USERNAME_MAX, MIN_LEN as USERNAME_MIN, PATTERN as USERNAME_PATTERN,
    };
}
