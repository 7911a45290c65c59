//! Typed response views: one struct per shape, rendered by every route that returns it
//! (`Serialize` for the body, `utoipa::ToSchema` for the OpenAPI document). Fields are in
//! alphabetical order where a view is [`SortedKeys`].

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

/// A view whose fields are declared in alphabetical order at every level (no flattened view
/// before a later key, no map of unordered keys), so serialising it directly writes its keys
/// in the order the contract wants. The envelope writes such views straight to bytes instead of
/// through a `serde_json::Value` (docs/performance.md, experiment 18); the tests in
/// `http::envelope` check every implementor.
pub trait SortedKeys: serde::Serialize {}

/// `null`, as in an envelope without `meta`.
impl SortedKeys for () {}
impl<T: SortedKeys> SortedKeys for [T] {}
impl<T: SortedKeys> SortedKeys for Vec<T> {}
