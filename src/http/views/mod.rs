//! Typed response views: one struct per shape, rendered by every route that returns it
//! (`Serialize` for the body; the audit views also derive `utoipa::ToSchema`).

pub mod account;
pub mod audit;
pub mod sessions;
pub mod user;

pub use account::{MessageView, SessionsRevokedView};
pub use sessions::{SessionListView, SessionView};
pub use user::{UserView, user_json};
