//! Typed response views: one struct per shape, rendered by every route that returns it
//! (`Serialize` for the body, `utoipa::ToSchema` for the OpenAPI document).

pub mod account;
pub mod audit;
pub mod auth;
pub mod health;
pub mod page;
pub mod rbac;
pub mod schema;
pub mod sessions;
pub mod user;

pub use account::{MessageView, SessionsRevokedView, WithMessage};
pub use auth::{LoginView, TokenPairView};
pub use page::{PageMeta, UserListMeta};
pub use rbac::{PermissionView, RoleDetailView, RoleView, UserPermissionsView, UserRolesView};
pub use sessions::{SessionListView, SessionView};
pub use user::UserView;
