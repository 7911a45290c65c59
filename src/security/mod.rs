//! Security primitives with no I/O: password hashing and verification, JWTs, permission checks.

pub mod jwt;
pub mod password_hash;
pub mod permission;
