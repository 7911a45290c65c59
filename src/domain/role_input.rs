//! Role bodies: `RoleCreateSchema` and `RoleUpdateSchema`. Unlike user bodies
//! these are not stripped automatically; only the role name is normalised.

use serde_json::Value;

use super::role_name::RoleName;
use super::rules::{
    Collector, FieldError, Patch, check_length, dedupe_preserving_order, optional_str, patch_str,
    required_str,
};
use super::{JsonObject, ValidationErrors};

pub const DISPLAY_MIN: usize = 2;
pub const DISPLAY_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 500;

/// A validated role creation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCreate {
    pub name: RoleName,
    pub display_name: String,
    pub description: Option<String>,
    /// Requested permission names in request order, duplicates removed.
    pub permissions: Vec<String>,
    /// `None` for absent, `null` and `""` alike.
    pub parent_role: Option<String>,
}

/// A validated role update; every `None` means "leave unchanged".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleUpdate {
    pub display_name: Option<String>,
    /// `null` does not clear the description, so there is no "clear" state.
    pub description: Option<String>,
    /// Replaces the permission set (`Some(vec![])` clears it); duplicates removed.
    pub permissions: Option<Vec<String>>,
    /// `Some("")` clears the parent; `Some(name)` sets it.
    pub parent_role: Option<String>,
}

impl RoleUpdate {
    /// True when the update asks to remove the parent role.
    pub fn clears_parent(&self) -> bool {
        self.parent_role.as_deref() == Some("")
    }
}

fn display_name(text: &str) -> Result<String, FieldError> {
    check_length(text, DISPLAY_MIN, DISPLAY_MAX)?;
    Ok(text.to_owned())
}

fn description(raw: Option<&Value>) -> Result<Option<String>, FieldError> {
    let text = optional_str(raw)?;
    if let Some(text) = text {
        check_length(text, 0, DESCRIPTION_MAX)?;
    }
    Ok(text.map(str::to_owned))
}

/// The permission list: absent is allowed only where the caller says so (`absent`); `null` is
/// allowed only on update, where it means "no change".
fn permissions(
    fields: &mut Collector<'_>,
    absent: Option<Vec<String>>,
    null_allowed: bool,
) -> Option<Option<Vec<String>>> {
    match fields.string_list("permissions")? {
        Patch::Absent => Some(absent),
        Patch::Null if null_allowed => Some(None),
        Patch::Null => fields.record("permissions", Err(FieldError::not_a_list())),
        Patch::Value(values) => Some(Some(dedupe_preserving_order(values))),
    }
}

/// Parses `RoleCreateSchema`.
pub fn parse_role_create(body: &JsonObject) -> Result<RoleCreate, ValidationErrors> {
    let mut fields = Collector::new(body);
    let name = fields.field("name", |raw| required_str(raw).and_then(RoleName::parse));
    let display = fields.field("display_name", |raw| {
        required_str(raw).and_then(display_name)
    });
    let description = fields.field("description", description);
    let permissions = permissions(&mut fields, Some(Vec::new()), false).flatten();
    let parent_role = fields.field("parent_role", |raw| {
        optional_str(raw).map(|parent| parent.filter(|p| !p.is_empty()).map(str::to_owned))
    });
    let (Some(name), Some(display_name), Some(description), Some(permissions), Some(parent_role)) =
        (name, display, description, permissions, parent_role)
    else {
        return Err(fields.into_errors());
    };
    Ok(RoleCreate {
        name,
        display_name,
        description,
        permissions,
        parent_role,
    })
}

/// Parses `RoleUpdateSchema`; `{}` is a valid no-op.
pub fn parse_role_update(body: &JsonObject) -> Result<RoleUpdate, ValidationErrors> {
    let mut fields = Collector::new(body);
    let display = fields.field("display_name", |raw| {
        optional_str(raw)?.map(display_name).transpose()
    });
    let description = fields.field("description", description);
    let permissions = permissions(&mut fields, None, true);
    let parent_role = fields.field("parent_role", |raw| match patch_str(raw)? {
        Patch::Value(parent) => Ok(Some(parent.to_owned())),
        Patch::Absent | Patch::Null => Ok(None),
    });
    let (Some(display_name), Some(description), Some(permissions), Some(parent_role)) =
        (display, description, permissions, parent_role)
    else {
        return Err(fields.into_errors());
    };
    Ok(RoleUpdate {
        display_name,
        description,
        permissions,
        parent_role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::object;
    use serde_json::json;

    fn create(value: Value) -> Result<RoleCreate, ValidationErrors> {
        parse_role_create(&object(value))
    }

    fn update(value: Value) -> Result<RoleUpdate, ValidationErrors> {
        parse_role_update(&object(value))
    }

    #[test]
    fn a_minimal_role_gets_defaults() {
        let role = create(json!({"name": "Editor", "display_name": "Content Editor"}));
        assert_eq!(
            role,
            Ok(RoleCreate {
                name: RoleName::parse("editor").expect("valid name"),
                display_name: "Content Editor".into(),
                description: None,
                permissions: Vec::new(),
                parent_role: None,
            })
        );
    }

    #[test]
    fn creation_keeps_permission_order_drops_duplicates_and_empty_parents() {
        let role = create(
            json!({"name": "ed", "display_name": "Ed", "description": "d",
                                 "permissions": ["users:read", "users:list", "users:read"],
                                 "parent_role": ""}),
        )
        .expect("valid");
        assert_eq!(role.permissions, vec!["users:read", "users:list"]);
        assert_eq!(role.parent_role, None);
        assert_eq!(role.description.as_deref(), Some("d"));
        let role = create(json!({"name": "ed", "display_name": "Ed", "parent_role": "User"}));
        assert_eq!(role.map(|r| r.parent_role), Ok(Some("User".into())));
    }

    #[test]
    fn creation_reports_every_failing_field() {
        let found = create(json!({"display_name": " x", "description": "d".repeat(501),
                                  "permissions": ["a", 5], "parent_role": 1}))
        .err()
        .unwrap_or_default();
        assert_eq!(
            found,
            ValidationErrors::from([
                ("name".into(), "Field required".into()),
                (
                    "description".into(),
                    "String should have at most 500 characters".into()
                ),
                (
                    "permissions.1".into(),
                    "Input should be a valid string".into()
                ),
                (
                    "parent_role".into(),
                    "Input should be a valid string".into()
                ),
            ])
        );
    }

    #[test]
    fn display_names_are_not_stripped() {
        let found = create(json!({"name": "ed", "display_name": " x"}));
        assert!(found.is_ok());
        let found = create(json!({"name": "ed", "display_name": "x"}))
            .err()
            .unwrap_or_default();
        assert_eq!(
            found["display_name"],
            "String should have at least 2 characters"
        );
        let long = "d".repeat(101);
        let found = create(json!({"name": "ed", "display_name": long}))
            .err()
            .unwrap_or_default();
        assert_eq!(
            found["display_name"],
            "String should have at most 100 characters"
        );
    }

    #[test]
    fn creation_needs_a_list_of_permissions_and_no_null() {
        for permissions in [json!("users:read"), Value::Null, json!({"a": 1})] {
            let found = create(json!({"name": "ed", "display_name": "Ed",
                                      "permissions": permissions}))
            .err()
            .unwrap_or_default();
            assert_eq!(found["permissions"], "Input should be a valid list");
        }
    }

    #[test]
    fn an_empty_update_is_a_valid_no_op() {
        let expected = RoleUpdate {
            display_name: None,
            description: None,
            permissions: None,
            parent_role: None,
        };
        assert_eq!(update(json!({})), Ok(expected.clone()));
        let nulls = json!({"display_name": null, "description": null, "permissions": null,
                           "parent_role": null});
        assert_eq!(update(nulls), Ok(expected));
    }

    #[test]
    fn updates_distinguish_clearing_from_setting() {
        let role = update(json!({"permissions": [], "parent_role": ""})).expect("valid");
        assert_eq!(role.permissions, Some(Vec::new()));
        assert!(role.clears_parent());
        let role =
            update(json!({"parent_role": "user", "permissions": ["a:b", "a:b"]})).expect("valid");
        assert_eq!(role.parent_role.as_deref(), Some("user"));
        assert!(!role.clears_parent());
        assert_eq!(role.permissions, Some(vec!["a:b".to_owned()]));
    }

    #[test]
    fn updates_check_present_values() {
        let found = update(json!({"display_name": "x", "description": 5,
                                  "permissions": "a:b", "parent_role": []}))
        .err()
        .unwrap_or_default();
        assert_eq!(
            found,
            ValidationErrors::from([
                (
                    "display_name".into(),
                    "String should have at least 2 characters".into()
                ),
                (
                    "description".into(),
                    "Input should be a valid string".into()
                ),
                ("permissions".into(), "Input should be a valid list".into()),
                (
                    "parent_role".into(),
                    "Input should be a valid string".into()
                ),
            ])
        );
    }
}
