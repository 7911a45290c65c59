//! Login, token verification, refresh rotation with reuse detection, logout, registration
//! (docs/architecture.md, "Authentication and sessions").

use uuid::Uuid;

use crate::domain::{LoginRequest, NewUser};
use crate::error::{AppError, AppResult};
use crate::security::jwt::{Claims, TokenError, TokenKind};
use crate::security::password_hash::HashFamily;
use crate::service::Context;
use crate::service::account_guard::PasswordCheck;
use crate::service::audit::{self, AuditEvent, ClientInfo, LoginFailure};
use crate::service::credentials::{self, PasswordAttempt};
use crate::service::hashing;
use crate::service::users::{self as service_users, Enrolment};
use crate::store::types::Ts;
use crate::store::users::UserRow;
use crate::store::{sessions, users};

/// An authenticated caller: the live user and the session of the presented token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRow,
    pub session_id: Uuid,
    pub claims: Claims,
}

pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn fail(ctx: &Context, reason: &'static str, error: AppError) -> AppError {
    ctx.metrics.auth_failure(reason);
    tracing::info!(reason, "authentication failed");
    error
}

/// The first two token checks: a missing header or scheme is `UNAUTHORIZED`, a malformed
/// `Bearer` value `TOKEN_INVALID`.
fn bearer_token<'a>(ctx: &Context, header: Option<&'a str>) -> AppResult<&'a str> {
    let trimmed = header.map(str::trim).unwrap_or_default();
    if trimmed.is_empty() || !trimmed.starts_with("Bearer") {
        return Err(fail(
            ctx,
            "token_missing",
            AppError::Unauthorized("Authorization token required"),
        ));
    }
    // An ASCII value (every real one) splits exactly where Unicode whitespace would, at a
    // fraction of the cost per byte; anything else takes the Unicode path.
    let parts: (Option<&str>, Option<&str>, Option<&str>) = if trimmed.is_ascii() {
        let mut parts = trimmed.split_ascii_whitespace();
        (parts.next(), parts.next(), parts.next())
    } else {
        let mut parts = trimmed.split_whitespace();
        (parts.next(), parts.next(), parts.next())
    };
    match parts {
        (Some("Bearer"), Some(token), None) => Ok(token),
        _ => Err(fail(
            ctx,
            "token_invalid",
            AppError::TokenInvalid("Invalid token"),
        )),
    }
}

/// Every token check in order (header, signature and claims, expiry, type, then user, account
/// state and session); the user and session come from one query.
pub async fn authenticate(
    ctx: &Context,
    header: Option<&str>,
    kind: TokenKind,
    client: &ClientInfo,
) -> AppResult<Caller> {
    let token = bearer_token(ctx, header)?;
    let claims = ctx
        .keys
        .verify(token, kind, now_secs())
        .map_err(|err| match err {
            TokenError::Expired => fail(ctx, "token_expired", AppError::TokenExpired),
            TokenError::Invalid | TokenError::WrongType => fail(
                ctx,
                "token_invalid",
                AppError::TokenInvalid("Invalid token"),
            ),
        })?;
    let row = sessions::auth_lookup(&ctx.db, claims.user_id, claims.sid).await?;
    let Some(row) = row.filter(|r| !r.user.is_deleted) else {
        return Err(fail(
            ctx,
            "user_not_found",
            AppError::Unauthorized("User not found"),
        ));
    };
    if !row.user.active() {
        return Err(fail(
            ctx,
            "account_deactivated",
            AppError::Forbidden("User account is deactivated".into()),
        ));
    }
    if !row.session_live(Ts::now()) {
        return Err(fail(
            ctx,
            "token_revoked",
            AppError::TokenInvalid("Token has been revoked"),
        ));
    }
    if kind == TokenKind::Refresh && row.refresh_jti.map(|j| j.0) != Some(claims.jti) {
        detect_reuse(ctx, &claims, client).await?;
    }
    Ok(Caller {
        user: row.user,
        session_id: claims.sid,
        claims,
    })
}

/// A spent refresh token was presented: revoke its session, since a thief or the owner holds a
/// copy. Always an error.
/// `auth.refresh_reuse` is stored with the revocation, or alone when a concurrent request
/// revoked the session first.
async fn detect_reuse(ctx: &Context, claims: &Claims, client: &ClientInfo) -> AppResult<()> {
    let event = AuditEvent::RefreshReuse {
        user_id: claims.user_id,
    };
    let events = [event.stamp(client)];
    if sessions::revoke(&ctx.db, claims.sid, "refresh_reuse", &events).await? {
        audit::announce(ctx, &events);
    } else {
        audit::record_alone(ctx, &event, client).await?;
    }
    ctx.metrics.auth_failure("refresh_reuse");
    ctx.metrics.session_revoked("refresh_reuse");
    tracing::warn!(user_id = claims.user_id, session_id = %claims.sid, "refresh token reuse detected");
    Err(AppError::TokenInvalid("Token has been revoked"))
}

fn issue_pair(
    ctx: &Context,
    user: &UserRow,
    session_id: Uuid,
    now: i64,
) -> AppResult<(TokenPair, Uuid, i64)> {
    let settings = &ctx.settings;
    let access = ctx
        .keys
        .issue_access(
            user.id,
            session_id,
            &user.username,
            &user.email,
            now,
            settings.access_ttl_secs,
        )
        .map_err(|e| AppError::internal("jwt", e))?;
    let refresh = ctx
        .keys
        .issue_refresh(user.id, session_id, now, settings.refresh_ttl_secs)
        .map_err(|e| AppError::internal("jwt", e))?;
    let pair = TokenPair {
        access_token: access.token,
        refresh_token: refresh.token,
    };
    Ok((pair, refresh.jti, refresh.exp))
}

fn ts_from_secs(secs: i64) -> AppResult<Ts> {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(Ts)
        .ok_or_else(|| AppError::internal("time", "expiry out of range"))
}

/// Unknown email and wrong password are indistinguishable, including their cost; a
/// throttled email is refused before any hashing (`credentials::check_password`).
pub async fn login(
    ctx: &Context,
    request: LoginRequest,
    client: &ClientInfo,
) -> AppResult<(TokenPair, UserRow)> {
    let email = request.email.as_str();
    let found = users::find_for_login(&ctx.db, email).await?;
    let attempt = PasswordAttempt {
        email,
        user: found.as_ref(),
        client,
        purpose: PasswordCheck::Login,
    };
    let checked = credentials::check_password(ctx, &attempt, request.password.clone()).await?;
    let (Some(user), Some(verification)) = (found, checked) else {
        return Err(AppError::InvalidCredentials);
    };
    if verification.family == HashFamily::Unknown {
        tracing::warn!(
            user_id = user.id,
            "stored password hash has an unknown format"
        );
    }
    if !user.active() {
        ctx.metrics.auth_failure("account_deactivated");
        let event = AuditEvent::LoginFailed {
            email: email.to_owned(),
            user_id: Some(user.id),
            reason: LoginFailure::AccountDeactivated,
        };
        audit::record_alone(ctx, &event, client).await?;
        return Err(AppError::Forbidden("User account is deactivated".into()));
    }
    if ctx.settings.account.require_verified_email && !user.email_verified {
        ctx.metrics.auth_failure("email_unverified");
        let event = AuditEvent::LoginFailed {
            email: email.to_owned(),
            user_id: Some(user.id),
            reason: LoginFailure::EmailUnverified,
        };
        audit::record_alone(ctx, &event, client).await?;
        return Err(AppError::Forbidden("Email address is not verified".into()));
    }
    let pair = open_session(ctx, &user, client).await?;
    ctx.metrics.logins.inc();
    if verification.needs_rehash {
        upgrade_hash(ctx, &user, request.password, verification.family).await;
    }
    Ok((pair, user))
}

/// A new session and its token pair; `auth.login_succeeded` is stored with the session.
async fn open_session(ctx: &Context, user: &UserRow, client: &ClientInfo) -> AppResult<TokenPair> {
    let session_id = Uuid::new_v4();
    let now = now_secs();
    let (pair, refresh_jti, refresh_exp) = issue_pair(ctx, user, session_id, now)?;
    let session = sessions::NewSession {
        id: session_id,
        user_id: user.id,
        refresh_jti,
        expires_at: ts_from_secs(refresh_exp)?,
        ip_address: client.ip.as_deref(),
        user_agent: client.user_agent.as_deref(),
    };
    let events = [AuditEvent::LoginSucceeded { user_id: user.id }.stamp(client)];
    sessions::create(&ctx.db, &session, &events).await?;
    audit::announce(ctx, &events);
    Ok(pair)
}

/// Store a fresh Argon2id hash after a login with a legacy or outdated one.
async fn upgrade_hash(ctx: &Context, user: &UserRow, password: String, family: HashFamily) {
    let outcome = async {
        let new_hash = hashing::hash(ctx, password).await?;
        Ok::<_, AppError>(
            users::replace_password_hash(&ctx.db, user.id, &user.password_hash, &new_hash).await?,
        )
    }
    .await;
    match outcome {
        Ok(true) => {
            let from = family.as_str();
            ctx.metrics
                .password_rehashes
                .get_or_create(&crate::metrics::FromLabel { from })
                .inc();
            tracing::info!(user_id = user.id, from, "legacy hash upgraded");
        }
        Ok(false) => tracing::warn!(
            user_id = user.id,
            "password hash changed concurrently; upgrade skipped"
        ),
        Err(err) => tracing::warn!(user_id = user.id, error = %err, "password hash upgrade failed"),
    }
}

/// Rotate the session's refresh token; a lost race counts as reuse.
pub async fn refresh(ctx: &Context, caller: &Caller, client: &ClientInfo) -> AppResult<TokenPair> {
    let now = now_secs();
    let (pair, new_jti, refresh_exp) = issue_pair(ctx, &caller.user, caller.session_id, now)?;
    let rotated = sessions::rotate(
        &ctx.db,
        caller.session_id,
        caller.claims.jti,
        new_jti,
        ts_from_secs(refresh_exp)?,
    )
    .await?;
    if !rotated {
        detect_reuse(ctx, &caller.claims, client).await?;
    }
    Ok(pair)
}

pub async fn logout(ctx: &Context, caller: &Caller, client: &ClientInfo) -> AppResult<()> {
    let user_id = caller.user.id;
    let events = [AuditEvent::Logout { user_id }.stamp(client)];
    if sessions::revoke(&ctx.db, caller.session_id, "logout", &events).await? {
        ctx.metrics.session_revoked("logout");
        audit::announce(ctx, &events);
    }
    Ok(())
}

/// Registration: the account with the configured default roles, `user.registered` recorded.
pub async fn register(ctx: &Context, new_user: NewUser, client: &ClientInfo) -> AppResult<UserRow> {
    let enrolment = Enrolment {
        roles: &ctx.settings.default_roles,
        client: Some(client),
        email_verified: false,
    };
    service_users::create(ctx, &new_user, enrolment).await
}
