//! The per-account throttle around password checks (docs/architecture.md, "Account
//! protection"): refuse a throttled email before any hashing, and the one place where a failed
//! password check is counted, so login and password change cannot forget either step.
//!
//! Store failures fail open (the per-client limits still apply): a WARN at most every 30 s
//! and `warden_rate_limit_storage_errors_total`. The throttle shares the per-client limiter's
//! store and so its circuit breaker: while the store is known to be down, it is not asked.

use crate::error::{AppError, AppResult};
use crate::ratelimit::{AccountStatus, StoreError};
use crate::service::Context;
use crate::service::audit::{self, AuditEvent, ClientInfo, LoginFailure};

/// Which password check failed: decides the audit event of the failure itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Login,
    PasswordChange,
}

/// 429 with `Retry-After` when the email's window already holds the maximum of failures.
/// Runs before the user lookup and the hash, so known and unknown emails cost the same.
pub async fn refuse_if_throttled(ctx: &Context, email: &str) -> AppResult<()> {
    if ctx.limiter_breaker.is_open() {
        return Ok(());
    }
    match ctx.account_throttle.check(email).await {
        Ok(AccountStatus::Open) => Ok(()),
        // Not an auth failure: no credential was checked.
        Ok(AccountStatus::Throttled { retry_after_secs }) => {
            Err(AppError::AccountThrottled { retry_after_secs })
        }
        Err(err) => {
            store_failed(ctx, &err);
            Ok(())
        }
    }
}

/// A password check failed for `email` (`user_id` when an account has it): count it against
/// the email, note the limit when this failure reaches it, and record the failure. The caller
/// answers with its own error afterwards.
pub async fn password_check_failed(
    ctx: &Context,
    client: &ClientInfo,
    email: &str,
    user_id: Option<i32>,
    check: PasswordCheck,
) -> AppResult<()> {
    ctx.metrics.auth_failure("invalid_credentials");
    count_failure(ctx, client, email, user_id).await?;
    let client_ip = client.ip.as_deref().unwrap_or_default();
    if check == PasswordCheck::PasswordChange {
        tracing::warn!(
            client_ip,
            user_id,
            "wrong current password on password change"
        );
    }
    if check == PasswordCheck::Login {
        tracing::warn!(client_ip, "failed login");
        let event = AuditEvent::LoginFailed {
            email: email.to_owned(),
            user_id,
            reason: LoginFailure::InvalidCredentials,
        };
        audit::record_alone(ctx, &event, client).await?;
    }
    Ok(())
}

async fn count_failure(
    ctx: &Context,
    client: &ClientInfo,
    email: &str,
    user_id: Option<i32>,
) -> AppResult<()> {
    if ctx.limiter_breaker.is_open() {
        return Ok(());
    }
    let window = match ctx.account_throttle.record_failure(email).await {
        Ok(Some(window)) => window,
        Ok(None) => return Ok(()),
        Err(err) => {
            store_failed(ctx, &err);
            return Ok(());
        }
    };
    if !ctx.account_throttle.reached_limit_now(&window) {
        return Ok(());
    }
    ctx.metrics.account_throttles.inc();
    tracing::warn!(
        user_id,
        client_ip = client.ip.as_deref().unwrap_or_default(),
        "account throttled"
    );
    let event = AuditEvent::AccountThrottled {
        email: email.to_owned(),
        user_id,
    };
    audit::record_alone(ctx, &event, client).await
}

/// Forget an email's failures (a password reset proves ownership). Fail-open like the rest.
pub async fn clear(ctx: &Context, email: &str) {
    // Not skipped while the breaker is open: a reset must not leave the email throttled.
    if let Err(err) = ctx.account_throttle.clear(email).await {
        store_failed(ctx, &err);
    }
}

fn store_failed(ctx: &Context, err: &StoreError) {
    ctx.limiter_breaker.trip();
    ctx.metrics.rate_limit_storage_errors.inc();
    if ctx.account_throttle_failure_log.allow() {
        tracing::warn!(error = %err, "account throttle store unavailable; failing open");
    }
}
