//! Handlers, one module per resource, and the route table ([`table::ROUTES`]) that lists
//! them: the one source of the router, `Allow` headers and 405s, route labels, rate-limit
//! classes and the operations of the OpenAPI document.

pub mod account;
pub mod account_pages;
pub mod audit;
pub mod auth;
pub mod docs;
pub mod health;
pub mod pages;
pub mod permissions;
pub mod roles;
pub mod sessions;
pub mod table;
pub mod users;

/// The one wording of the answer to a change of what a user holds (a role assigned or revoked, a
/// direct permission granted or revoked): `kind` is "Role" or "Permission".
fn holding_changed(
    kind: &str,
    name: &str,
    change: &str,
    username: &str,
) -> axum::response::Response {
    crate::http::envelope::message(format!("{kind} '{name}' {change} user '{username}'"))
}
