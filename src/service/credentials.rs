//! The one place where a submitted password is checked against a stored hash. Login and
//! password change both come here, so what a check must do around the hash cannot be forgotten
//! by one of them: refuse a throttled email before hashing, and count, log and audit a failure
//! (`account_guard`, docs/architecture.md "Account protection").

use crate::error::AppResult;
use crate::security::password_hash::{DUMMY_HASH, Verification};
use crate::service::Context;
use crate::service::account_guard::{self, PasswordCheck};
use crate::service::audit::ClientInfo;
use crate::service::hashing;
use crate::store::users::UserRow;

/// A password submitted for an email; `user` is the account found for it, if any.
pub struct PasswordAttempt<'a> {
    pub email: &'a str,
    pub user: Option<&'a UserRow>,
    pub client: &'a ClientInfo,
    pub purpose: PasswordCheck,
}

/// `Some` when the account exists and the password matches; `None` after recording the
/// failure. An unknown account costs one verification against a dummy hash, like a known one;
/// a throttled email costs none (429 before the hash).
pub async fn check_password(
    ctx: &Context,
    attempt: &PasswordAttempt<'_>,
    password: String,
) -> AppResult<Option<Verification>> {
    account_guard::refuse_if_throttled(ctx, attempt.email).await?;
    let stored = attempt
        .user
        .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let verification = hashing::verify(ctx, password, stored).await?;
    if attempt.user.is_some() && verification.matched {
        return Ok(Some(verification));
    }
    account_guard::password_check_failed(
        ctx,
        attempt.client,
        attempt.email,
        attempt.user.map(|u| u.id),
        attempt.purpose,
    )
    .await?;
    Ok(None)
}
