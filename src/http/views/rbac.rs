//! The role and permission objects and the per-user RBAC summaries.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::views::schema::{Names, ParentId, Positive, RoleWithPermissions, Timestamp};
use crate::service::grants::{UserPermissions, UserRoles};
use crate::service::roles::{RoleDetail, RoleEntry};
use crate::store::permissions::PermissionRow;
use crate::store::rbac::RoleRow;

// A role; `permissions` (its own, sorted) only where the route includes them. (A plain
// comment: a doc comment would become the schema's description.)
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Role)]
#[serde(deny_unknown_fields)]
pub struct RoleView {
    #[schema(value_type = Positive, inline)]
    pub id: i32,
    pub name: String,
    pub display_name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub is_system_role: bool,
    #[schema(required = true, value_type = ParentId, inline)]
    pub parent_role_id: Option<i32>,
    #[schema(required = true)]
    pub parent_role_name: Option<String>,
    pub is_deleted: bool,
    #[schema(value_type = Timestamp, inline)]
    pub created_at: String,
    #[schema(value_type = Timestamp, inline)]
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Names, inline)]
    pub permissions: Option<Vec<String>>,
}

impl RoleView {
    pub fn new(role: &RoleRow, permissions: Option<Vec<String>>) -> Self {
        Self {
            id: role.id,
            name: role.name.clone(),
            display_name: role.display_name.clone(),
            description: role.description.clone(),
            is_system_role: role.is_system_role,
            parent_role_id: role.parent_role_id,
            parent_role_name: role.parent_role_name.clone(),
            is_deleted: role.is_deleted,
            created_at: role.created_at.to_api(),
            updated_at: role.updated_at.to_api(),
            permissions,
        }
    }
}

impl From<RoleEntry> for RoleView {
    fn from(entry: RoleEntry) -> Self {
        Self::new(&entry.role, entry.permissions)
    }
}

/// A role with its own, all effective and the inherited permissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDetailView {
    #[serde(flatten)]
    pub role: RoleView,
    pub all_permissions: Vec<String>,
    pub inherited_permissions: Vec<String>,
}

impl From<RoleDetail> for RoleDetailView {
    fn from(detail: RoleDetail) -> Self {
        Self {
            role: RoleView::new(&detail.role, Some(detail.own)),
            all_permissions: detail.all,
            inherited_permissions: detail.inherited,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Permission)]
#[serde(deny_unknown_fields)]
pub struct PermissionView {
    #[schema(value_type = Positive, inline)]
    pub id: i32,
    pub name: String,
    pub resource: String,
    pub action: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub is_deleted: bool,
    #[schema(value_type = Timestamp, inline)]
    pub created_at: String,
    #[schema(value_type = Timestamp, inline)]
    pub updated_at: String,
}

impl From<&PermissionRow> for PermissionView {
    fn from(permission: &PermissionRow) -> Self {
        Self {
            id: permission.id,
            name: permission.name.clone(),
            resource: permission.resource.clone(),
            action: permission.action.clone(),
            description: permission.description.clone(),
            is_deleted: permission.is_deleted,
            created_at: permission.created_at.to_api(),
            updated_at: permission.updated_at.to_api(),
        }
    }
}

// A user's live roles, each with its own permissions, and the user's effective set.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRolesView {
    #[schema(value_type = Positive, inline)]
    pub user_id: i32,
    pub username: String,
    #[schema(value_type = Vec<RoleWithPermissions>)]
    pub roles: Vec<RoleView>,
    #[schema(value_type = Names, inline)]
    pub all_permissions: Vec<String>,
}

impl From<UserRoles> for UserRolesView {
    fn from(held: UserRoles) -> Self {
        Self {
            user_id: held.user.id,
            username: held.user.username,
            roles: held
                .roles
                .into_iter()
                .map(|(role, own)| RoleView::new(&role, Some(own)))
                .collect(),
            all_permissions: held.all,
        }
    }
}

// Where a user's permissions come from.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPermissionsView {
    #[schema(value_type = Positive, inline)]
    pub user_id: i32,
    pub username: String,
    #[schema(value_type = Names, inline)]
    pub roles: Vec<String>,
    #[schema(value_type = Names, inline)]
    pub role_permissions: Vec<String>,
    #[schema(value_type = Names, inline)]
    pub direct_permissions: Vec<String>,
    #[schema(value_type = Names, inline)]
    pub effective_permissions: Vec<String>,
}

impl From<UserPermissions> for UserPermissionsView {
    fn from(held: UserPermissions) -> Self {
        Self {
            user_id: held.user.id,
            username: held.user.username,
            roles: held.roles,
            role_permissions: held.from_roles,
            direct_permissions: held.direct,
            effective_permissions: held.effective,
        }
    }
}
