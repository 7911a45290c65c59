//! Password change, password reset by e-mail and e-mail verification (docs/architecture.md,
//! "Account lifecycle"). Each state change is one transaction; mail is queued afterwards and
//! never changes the answer.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::domain::{EmailRequest, PasswordChange, PasswordReset, TokenRequest, ValidationErrors};
use crate::error::{AppError, AppResult};
use crate::mail::messages;
use crate::service::Context;
use crate::service::account_guard::{self, PasswordCheck};
use crate::service::audit::{self, AuditEvent, ClientInfo};
use crate::service::auth::Caller;
use crate::service::credentials::{self, PasswordAttempt};
use crate::service::hashing;
use crate::store::account_tokens::{self, NewToken, Purpose, TokenRow};
use crate::store::types::Ts;
use crate::store::users::{self, UserRow};
use crate::store::{audit_events, email_verifications, sessions};

/// One answer for every unusable token (unknown, malformed, expired, used, superseded, other
/// purpose, account gone or address changed).
pub const INVALID_TOKEN: &str = "Invalid or expired token";
/// A user gets at most one e-mail of a kind per this interval.
const RESEND_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);
/// Token strings: 32 random bytes, base64url without padding.
const TOKEN_LEN: usize = 43;

fn invalid_token() -> AppError {
    AppError::BadRequest(INVALID_TOKEN.into())
}

fn field_error(key: &str, message: &str) -> AppError {
    let mut errors = ValidationErrors::new();
    errors.insert(key.into(), format!("Value error, {message}"));
    AppError::Validation(errors)
}

/// A fresh token and the hash that is stored instead of it.
fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn ts_after(secs: i64) -> Ts {
    Ts(chrono::Utc::now() + chrono::Duration::seconds(secs))
}

/// The stored token behind a presented one, if it may be used now for `purpose`.
async fn usable_token(ctx: &Context, token: &str, purpose: Purpose) -> AppResult<TokenRow> {
    if !well_formed(token) {
        return Err(invalid_token());
    }
    let row = account_tokens::find_by_hash(&ctx.db, &token_hash(token))
        .await?
        .ok_or_else(invalid_token)?;
    let owner_email_matches = row
        .user_email
        .as_deref()
        .is_some_and(|current| current.to_lowercase() == row.email.to_lowercase());
    let usable = row.purpose == purpose.as_str()
        && row.used_at.is_none()
        && row.expires_at > Ts::now()
        && row.user_is_deleted == Some(false)
        && row.user_is_active == Some(true)
        && owner_email_matches;
    if usable {
        Ok(row)
    } else {
        Err(invalid_token())
    }
}

/// Issue a token of `purpose` and queue its e-mail, unless one was issued less than a minute ago.
async fn issue_and_send(
    ctx: &Context,
    user: &UserRow,
    purpose: Purpose,
    client: &ClientInfo,
) -> AppResult<()> {
    let (token, hash) = new_token();
    let settings = &ctx.settings;
    let (ttl, template) = match purpose {
        Purpose::PasswordReset => (
            settings.account.password_reset_ttl_secs,
            &settings.password_reset_url,
        ),
        Purpose::EmailVerify => (
            settings.account.email_verify_ttl_secs,
            &settings.email_verify_url,
        ),
    };
    let events: Vec<_> = match purpose {
        Purpose::PasswordReset => vec![AuditEvent::PasswordResetRequested { user_id: user.id }],
        Purpose::EmailVerify => Vec::new(),
    }
    .iter()
    .map(|event| event.stamp(client))
    .collect();
    let issued = account_tokens::issue(
        &ctx.db,
        &NewToken {
            user_id: user.id,
            purpose,
            token_hash: &hash,
            email: &user.email,
            expires_at: ts_after(ttl),
            ip_address: client.ip.as_deref(),
        },
        Ts(chrono::Utc::now() - RESEND_INTERVAL),
        &events,
    )
    .await?;
    if !issued {
        return Ok(());
    }
    audit::announce(ctx, &events);
    let link = messages::link(template, &token);
    let message = match purpose {
        Purpose::PasswordReset => messages::password_reset(user.id, &user.email, &link, ttl),
        Purpose::EmailVerify => messages::email_verify(user.id, &user.email, &link, ttl),
    };
    ctx.mailer.queue(message);
    Ok(())
}

/// Run the lookup and the token write after the answer, so that neither the status nor the
/// latency says whether the address has an account.
fn in_background(ctx: &Context, email: String, purpose: Purpose, client: &ClientInfo) {
    if !ctx.mailer.enabled() {
        return;
    }
    let (ctx, client) = (ctx.clone(), client.clone());
    tokio::spawn(async move {
        let outcome = async {
            let Some(user) = users::find_for_login(&ctx.db, &email).await? else {
                return Ok(());
            };
            if !user.active() || (purpose == Purpose::EmailVerify && user.email_verified) {
                return Ok(());
            }
            issue_and_send(&ctx, &user, purpose, &client).await
        }
        .await;
        if let Err(err) = outcome {
            tracing::warn!(purpose = purpose.as_str(), error = %err, "account e-mail not prepared");
        }
    });
}

/// `forgot`: always accepted; a reset link goes out only to a live, active account.
pub fn request_password_reset(ctx: &Context, request: EmailRequest, client: &ClientInfo) {
    in_background(
        ctx,
        request.email.as_str().to_string(),
        Purpose::PasswordReset,
        client,
    );
}

/// `verify/request`: always accepted; a link goes out only to an unverified live account.
pub fn request_verification(ctx: &Context, request: EmailRequest, client: &ClientInfo) {
    in_background(
        ctx,
        request.email.as_str().to_string(),
        Purpose::EmailVerify,
        client,
    );
}

/// After registration (when enabled): send the new account its verification link.
pub fn after_registration(ctx: &Context, user: &UserRow, client: &ClientInfo) {
    if ctx.settings.account.send_verification_on_register {
        in_background(ctx, user.email.clone(), Purpose::EmailVerify, client);
    }
}

fn queue_password_changed(ctx: &Context, user_id: i32, email: &str, client_ip: Option<&str>) {
    let at = Ts::now().to_api();
    ctx.mailer
        .queue(messages::password_changed(user_id, email, &at, client_ip));
}

/// Change the caller's password; every other session is revoked. Returns how many.
pub async fn change_password(
    ctx: &Context,
    caller: &Caller,
    request: PasswordChange,
    client: &ClientInfo,
) -> AppResult<u64> {
    let attempt = PasswordAttempt {
        email: &caller.user.email,
        user: Some(&caller.user),
        client,
        purpose: PasswordCheck::PasswordChange,
    };
    let checked =
        credentials::check_password(ctx, &attempt, request.current_password.clone()).await?;
    if checked.is_none() {
        return Err(field_error(
            "current_password",
            "Current password is incorrect",
        ));
    }
    if request.new_password.as_str() == request.current_password {
        return Err(field_error(
            "new_password",
            "New password must be different from the current password",
        ));
    }
    let new_hash = hashing::hash(ctx, request.new_password.into_inner()).await?;
    let user_id = caller.user.id;
    let mut tx = ctx.db.begin().await?;
    users::set_password(&mut tx, user_id, &new_hash).await?;
    let revoked =
        sessions::revoke_others(&mut tx, user_id, caller.session_id, "password_changed").await?;
    let events = [AuditEvent::PasswordChanged { user_id }.stamp(client)];
    audit_events::insert_in(&mut tx, &events).await?;
    tx.commit().await?;
    audit::announce(ctx, &events);
    count_revoked(ctx, "password_changed", revoked);
    queue_password_changed(ctx, user_id, &caller.user.email, client.ip.as_deref());
    Ok(revoked)
}

/// Set a new password with a reset token; every session of the user is revoked.
pub async fn reset_password(
    ctx: &Context,
    request: PasswordReset,
    client: &ClientInfo,
) -> AppResult<u64> {
    let token = usable_token(ctx, &request.token, Purpose::PasswordReset).await?;
    let new_hash = hashing::hash(ctx, request.new_password.into_inner()).await?;
    let mut tx = ctx.db.begin().await?;
    if !account_tokens::consume(&mut tx, token.id.0).await? {
        return Err(invalid_token());
    }
    if !users::set_password(&mut tx, token.user_id, &new_hash).await? {
        return Err(invalid_token());
    }
    // The link reached the mailbox, which proves the address.
    email_verifications::record_if_missing(&mut tx, token.user_id, &token.email).await?;
    let revoked = sessions::revoke_all_live(&mut tx, token.user_id, "password_reset").await?;
    let events = [AuditEvent::PasswordReset {
        user_id: token.user_id,
    }
    .stamp(client)];
    audit_events::insert_in(&mut tx, &events).await?;
    tx.commit().await?;
    audit::announce(ctx, &events);
    // The reset proved ownership of the address: its failed logins no longer count.
    account_guard::clear(ctx, &token.email).await;
    count_revoked(ctx, "password_reset", revoked);
    queue_password_changed(ctx, token.user_id, &token.email, client.ip.as_deref());
    Ok(revoked)
}

/// Record the address of a verification token as verified.
pub async fn verify_email(
    ctx: &Context,
    request: TokenRequest,
    client: &ClientInfo,
) -> AppResult<()> {
    let token = usable_token(ctx, &request.token, Purpose::EmailVerify).await?;
    let mut tx = ctx.db.begin().await?;
    if !account_tokens::consume(&mut tx, token.id.0).await? {
        return Err(invalid_token());
    }
    email_verifications::record_if_missing(&mut tx, token.user_id, &token.email).await?;
    let events = [AuditEvent::EmailVerified {
        user_id: token.user_id,
    }
    .stamp(client)];
    audit_events::insert_in(&mut tx, &events).await?;
    tx.commit().await?;
    audit::announce(ctx, &events);
    Ok(())
}

pub(crate) fn count_revoked(ctx: &Context, reason: &'static str, revoked: u64) {
    if revoked > 0 {
        ctx.metrics
            .sessions_revoked
            .get_or_create(&crate::metrics::ReasonLabel { reason })
            .inc_by(revoked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_stored_as_sha256_hex() {
        let (token, hash) = new_token();
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(well_formed(&token));
        assert_eq!(hash.len(), 64);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(new_token().0, token);
        assert!(!well_formed(&format!("{}=", &token[..42])));
        assert!(!well_formed(&token[..42]));
    }
}
