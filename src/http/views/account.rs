//! Answers of the account-lifecycle routes.

use serde::Serialize;

/// `{"message": …}`.
#[derive(Debug, Serialize)]
pub struct MessageView {
    pub message: &'static str,
}

/// A message plus how many sessions were revoked.
#[derive(Debug, Serialize)]
pub struct SessionsRevokedView {
    pub message: &'static str,
    pub sessions_revoked: u64,
}
