//! The one place where a submitted password is checked against a stored hash. Login and
//! password change both come here, so whatever a failed check must trigger (the failure metric
//! and log line today; the per-account throttle and audit event of docs/architecture.md) cannot
//! be forgotten by one of them.

use crate::error::AppResult;
use crate::security::password::{DUMMY_HASH, Verification};
use crate::service::passwords;
use crate::state::AppState;
use crate::store::users::UserRow;

/// Which flow checks the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckPurpose {
    Login,
    PasswordChange,
}

/// A password submitted for an email; `user` is the account found for it, if any.
pub struct PasswordAttempt<'a> {
    pub email: &'a str,
    pub user: Option<&'a UserRow>,
    pub client_ip: Option<&'a str>,
    pub purpose: CheckPurpose,
}

/// `Some` when the account exists and the password matches; `None` after recording the
/// failure. An unknown account costs one verification against a dummy hash, like a known one.
pub async fn check_password(
    state: &AppState,
    attempt: &PasswordAttempt<'_>,
    password: String,
) -> AppResult<Option<Verification>> {
    let stored = attempt
        .user
        .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let verification = passwords::verify(state, password, stored).await?;
    if attempt.user.is_some() && verification.matched {
        return Ok(Some(verification));
    }
    password_check_failed(state, attempt);
    Ok(None)
}

/// Record a failed check (never the email or the password itself).
fn password_check_failed(state: &AppState, attempt: &PasswordAttempt<'_>) {
    state.metrics.auth_failure("invalid_credentials");
    let client_ip = attempt.client_ip.unwrap_or_default();
    match attempt.purpose {
        CheckPurpose::Login => tracing::warn!(client_ip, "failed login"),
        CheckPurpose::PasswordChange => tracing::warn!(
            client_ip,
            user_id = attempt.user.map(|u| u.id),
            "wrong current password on password change"
        ),
    }
}
