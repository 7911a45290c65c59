//! Business rules and transactions; no HTTP types here.

pub mod access;
pub mod account_guard;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod credentials;
pub mod grants;
pub mod hashing;
pub mod health;
pub mod recovery;
pub mod roles;
pub mod sessions;
pub mod users;
