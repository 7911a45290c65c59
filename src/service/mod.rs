//! Business rules and transactions; no HTTP types here.

pub mod access;
pub mod auth;
pub mod grants;
pub mod passwords;
pub mod roles;
pub mod users;
