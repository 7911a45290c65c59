//! Business rules and transactions; no HTTP types here.

pub mod access;
pub mod account_guard;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod grants;
pub mod passwords;
pub mod roles;
pub mod users;
