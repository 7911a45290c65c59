//! Business rules and transactions; no HTTP types here. Every service function takes the
//! narrow [`Context`], so the HTTP handlers and the command line share them.

pub mod access;
pub mod account_guard;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod context;
pub mod credentials;
pub mod grants;
pub mod hashing;
pub mod health;
pub mod recovery;
pub mod roles;
pub mod sessions;
pub mod users;

pub use context::{Context, Settings};

/// One page of a numbered listing: its rows and how many there are in all.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: u64,
}

impl<T> Listing<T> {
    /// `total` as the store counts it (a negative count cannot occur; it would read as 0).
    pub fn new(items: Vec<T>, total: i64) -> Self {
        Self {
            items,
            total: u64::try_from(total).unwrap_or(0),
        }
    }
}
