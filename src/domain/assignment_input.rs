//! Assignment bodies: `RoleAssignSchema` and `DirectPermissionGrantSchema`.

use serde_json::Value;

use super::rules::{Collector, FieldError, check_length, optional_str, required_str};
use super::{JsonObject, ValidationErrors};

pub const ROLE_NAME_MIN: usize = 2;
pub const ROLE_NAME_MAX: usize = 50;
pub const REASON_MAX: usize = 500;

/// A validated role assignment. The name is used exactly as sent (not stripped, not
/// lower-cased), because role names are compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssign {
    pub role_name: String,
}

/// A validated direct-permission grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionGrant {
    /// Lower-cased and stripped `resource:action` name.
    pub permission: String,
    /// Free-text audit note stored with the grant.
    pub reason: Option<String>,
}

fn role_name(raw: Option<&Value>) -> Result<String, FieldError> {
    let name = required_str(raw)?;
    check_length(name, ROLE_NAME_MIN, ROLE_NAME_MAX)?;
    Ok(name.to_owned())
}

/// Parses `RoleAssignSchema`.
pub fn parse_role_assign(body: &JsonObject) -> Result<RoleAssign, ValidationErrors> {
    let mut fields = Collector::new(body);
    match fields.field("role_name", role_name) {
        Some(role_name) => Ok(RoleAssign { role_name }),
        None => Err(fields.into_errors()),
    }
}

/// The `:` check runs on the value as sent, before normalisation (as the original did).
fn permission_name(raw: Option<&Value>) -> Result<String, FieldError> {
    let name = required_str(raw)?;
    if !name.contains(':') {
        return Err(FieldError::value_error(
            "Permission must be in 'resource:action' format",
        ));
    }
    Ok(name.to_lowercase().trim().to_owned())
}

fn reason(raw: Option<&Value>) -> Result<Option<String>, FieldError> {
    let text = optional_str(raw)?;
    if let Some(text) = text {
        check_length(text, 0, REASON_MAX)?;
    }
    Ok(text.map(str::to_owned))
}

/// Parses `DirectPermissionGrantSchema`.
pub fn parse_permission_grant(body: &JsonObject) -> Result<PermissionGrant, ValidationErrors> {
    let mut fields = Collector::new(body);
    let permission = fields.field("permission", permission_name);
    let reason = fields.field("reason", reason);
    let (Some(permission), Some(reason)) = (permission, reason) else {
        return Err(fields.into_errors());
    };
    Ok(PermissionGrant { permission, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::object;
    use serde_json::json;

    fn assign(value: Value) -> Result<RoleAssign, ValidationErrors> {
        parse_role_assign(&object(value))
    }

    fn grant(value: Value) -> Result<PermissionGrant, ValidationErrors> {
        parse_permission_grant(&object(value))
    }

    fn error(errors: Result<impl std::fmt::Debug, ValidationErrors>, key: &str) -> String {
        errors
            .err()
            .and_then(|e| e.get(key).cloned())
            .unwrap_or_default()
    }

    #[test]
    fn role_names_for_assignment_are_used_exactly_as_sent() {
        let assigned = assign(json!({"role_name": " Moderator "}));
        assert_eq!(assigned.map(|a| a.role_name), Ok(" Moderator ".into()));
    }

    #[test]
    fn assignment_checks_presence_type_and_length() {
        assert_eq!(error(assign(json!({})), "role_name"), "Field required");
        assert_eq!(
            error(assign(json!({"role_name": null})), "role_name"),
            "Input should be a valid string"
        );
        assert_eq!(
            error(assign(json!({"role_name": "a"})), "role_name"),
            "String should have at least 2 characters"
        );
        assert_eq!(
            error(assign(json!({"role_name": "a".repeat(51)})), "role_name"),
            "String should have at most 50 characters"
        );
    }

    #[test]
    fn granted_permissions_are_lower_cased_and_stripped() {
        let granted = grant(json!({"permission": "  Users:Delete ", "reason": "audit"}));
        assert_eq!(
            granted,
            Ok(PermissionGrant {
                permission: "users:delete".into(),
                reason: Some("audit".into()),
            })
        );
        let granted = grant(json!({"permission": "a:b", "reason": null}));
        assert_eq!(granted.map(|g| g.reason), Ok(None));
    }

    #[test]
    fn granted_permissions_need_a_colon() {
        assert_eq!(
            error(grant(json!({"permission": "users"})), "permission"),
            "Value error, Permission must be in 'resource:action' format"
        );
        assert_eq!(error(grant(json!({})), "permission"), "Field required");
        assert_eq!(
            error(grant(json!({"permission": 1})), "permission"),
            "Input should be a valid string"
        );
    }

    #[test]
    fn grant_reasons_are_limited_to_500_characters() {
        let found = grant(json!({"permission": "x", "reason": "r".repeat(501)}))
            .err()
            .unwrap_or_default();
        assert_eq!(found.len(), 2);
        assert_eq!(found["reason"], "String should have at most 500 characters");
        assert!(grant(json!({"permission": "a:b", "reason": "r".repeat(500)})).is_ok());
        assert_eq!(
            error(grant(json!({"permission": "a:b", "reason": 3})), "reason"),
            "Input should be a valid string"
        );
    }
}
