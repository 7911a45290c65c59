//! Login, token verification, refresh rotation with reuse detection, logout.

use uuid::Uuid;

use crate::domain::{LoginRequest, NewUser};
use crate::error::{AppError, AppResult};
use crate::security::jwt::{Claims, TokenError, TokenKind};
use crate::security::password_hash::HashFamily;
use crate::service::account_guard::PasswordCheck;
use crate::service::audit::{self, AuditEvent, ClientInfo, LoginFailure};
use crate::service::credentials::{self, PasswordAttempt};
use crate::service::hashing;
use crate::state::AppState;
use crate::store::types::Ts;
use crate::store::users::{NewUserRow, UserRow};
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

fn fail(state: &AppState, reason: &'static str, error: AppError) -> AppError {
    state.metrics.auth_failure(reason);
    tracing::info!(reason, "authentication failed");
    error
}

/// The first two token checks: the token out of the `Authorization` value.
fn bearer_token<'a>(state: &AppState, header: Option<&'a str>) -> AppResult<&'a str> {
    let trimmed = header.map(str::trim).unwrap_or_default();
    if trimmed.is_empty() || !trimmed.starts_with("Bearer") {
        return Err(fail(
            state,
            "token_missing",
            AppError::Unauthorized("Authorization token required"),
        ));
    }
    let mut parts = trimmed.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some("Bearer"), Some(token), None) => Ok(token),
        _ => Err(fail(
            state,
            "token_invalid",
            AppError::TokenInvalid("Invalid token"),
        )),
    }
}

/// Every token check in order (header, signature and claims, expiry, type, user and session;
/// docs/architecture.md, "Authentication and sessions"); the user and session come from one query.
pub async fn authenticate(
    state: &AppState,
    header: Option<&str>,
    kind: TokenKind,
    client: &ClientInfo,
) -> AppResult<Caller> {
    let token = bearer_token(state, header)?;
    let claims = state
        .keys
        .verify(token, kind, now_secs())
        .map_err(|err| match err {
            TokenError::Expired => fail(state, "token_expired", AppError::TokenExpired),
            TokenError::Invalid | TokenError::WrongType => fail(
                state,
                "token_invalid",
                AppError::TokenInvalid("Invalid token"),
            ),
        })?;
    let row = sessions::auth_lookup(&state.db, claims.user_id, claims.sid).await?;
    let Some(row) = row.filter(|r| !r.user.is_deleted) else {
        return Err(fail(
            state,
            "user_not_found",
            AppError::Unauthorized("User not found"),
        ));
    };
    if !row.user.active() {
        return Err(fail(
            state,
            "account_deactivated",
            AppError::Forbidden("User account is deactivated".into()),
        ));
    }
    if !row.session_live(Ts::now()) {
        return Err(fail(
            state,
            "token_revoked",
            AppError::TokenInvalid("Token has been revoked"),
        ));
    }
    if kind == TokenKind::Refresh && row.refresh_jti.map(|j| j.0) != Some(claims.jti) {
        detect_reuse(state, &claims, client).await?;
    }
    Ok(Caller {
        user: row.user,
        session_id: claims.sid,
        claims,
    })
}

/// A spent refresh token was presented: revoke its session. Always an error.
/// `auth.refresh_reuse` is stored with the revocation, or alone when a concurrent request
/// revoked the session first.
async fn detect_reuse(state: &AppState, claims: &Claims, client: &ClientInfo) -> AppResult<()> {
    let event = AuditEvent::RefreshReuse {
        user_id: claims.user_id,
    };
    let events = [event.stamp(client)];
    if sessions::revoke(&state.db, claims.sid, "refresh_reuse", &events).await? {
        audit::announce(state, &events);
    } else {
        audit::record_alone(state, &event, client).await?;
    }
    state.metrics.auth_failure("refresh_reuse");
    state.metrics.session_revoked("refresh_reuse");
    tracing::warn!(user_id = claims.user_id, session_id = %claims.sid, "refresh token reuse detected");
    Err(AppError::TokenInvalid("Token has been revoked"))
}

fn issue_pair(
    state: &AppState,
    user: &UserRow,
    session_id: Uuid,
    now: i64,
) -> AppResult<(TokenPair, Uuid, i64)> {
    let config = &state.config;
    let access = state
        .keys
        .issue_access(
            user.id,
            session_id,
            &user.username,
            &user.email,
            now,
            config.access_ttl_secs,
        )
        .map_err(|e| AppError::internal("jwt", e))?;
    let refresh = state
        .keys
        .issue_refresh(user.id, session_id, now, config.refresh_ttl_secs)
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
    state: &AppState,
    request: LoginRequest,
    client: &ClientInfo,
) -> AppResult<(TokenPair, UserRow)> {
    let email = request.email.as_str();
    let found = users::find_for_login(&state.db, email).await?;
    let attempt = PasswordAttempt {
        email,
        user: found.as_ref(),
        client,
        purpose: PasswordCheck::Login,
    };
    let checked = credentials::check_password(state, &attempt, request.password.clone()).await?;
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
        state.metrics.auth_failure("account_deactivated");
        let event = AuditEvent::LoginFailed {
            email: email.to_owned(),
            user_id: Some(user.id),
            reason: LoginFailure::AccountDeactivated,
        };
        audit::record_alone(state, &event, client).await?;
        return Err(AppError::Forbidden("User account is deactivated".into()));
    }
    if state.config.account.require_verified_email && !user.email_verified {
        state.metrics.auth_failure("email_unverified");
        let event = AuditEvent::LoginFailed {
            email: email.to_owned(),
            user_id: Some(user.id),
            reason: LoginFailure::EmailUnverified,
        };
        audit::record_alone(state, &event, client).await?;
        return Err(AppError::Forbidden("Email address is not verified".into()));
    }
    let pair = open_session(state, &user, client).await?;
    state.metrics.logins.inc();
    if verification.needs_rehash {
        upgrade_hash(state, &user, request.password, verification.family).await;
    }
    Ok((pair, user))
}

/// A new session and its token pair; `auth.login_succeeded` is stored with the session.
async fn open_session(
    state: &AppState,
    user: &UserRow,
    client: &ClientInfo,
) -> AppResult<TokenPair> {
    let session_id = Uuid::new_v4();
    let now = now_secs();
    let (pair, refresh_jti, refresh_exp) = issue_pair(state, user, session_id, now)?;
    let session = sessions::NewSession {
        id: session_id,
        user_id: user.id,
        refresh_jti,
        expires_at: ts_from_secs(refresh_exp)?,
        ip_address: client.ip.as_deref(),
        user_agent: client.user_agent.as_deref(),
    };
    let events = [AuditEvent::LoginSucceeded { user_id: user.id }.stamp(client)];
    sessions::create(&state.db, &session, &events).await?;
    audit::announce(state, &events);
    Ok(pair)
}

/// Store a fresh Argon2id hash after a login with a legacy or outdated one.
async fn upgrade_hash(state: &AppState, user: &UserRow, password: String, family: HashFamily) {
    let outcome = async {
        let new_hash = hashing::hash(state, password).await?;
        Ok::<_, AppError>(
            users::replace_password_hash(&state.db, user.id, &user.password_hash, &new_hash)
                .await?,
        )
    }
    .await;
    match outcome {
        Ok(true) => {
            let from = family.as_str();
            state
                .metrics
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
pub async fn refresh(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
) -> AppResult<TokenPair> {
    let now = now_secs();
    let (pair, new_jti, refresh_exp) = issue_pair(state, &caller.user, caller.session_id, now)?;
    let rotated = sessions::rotate(
        &state.db,
        caller.session_id,
        caller.claims.jti,
        new_jti,
        ts_from_secs(refresh_exp)?,
    )
    .await?;
    if !rotated {
        detect_reuse(state, &caller.claims, client).await?;
    }
    Ok(pair)
}

pub async fn logout(state: &AppState, caller: &Caller, client: &ClientInfo) -> AppResult<()> {
    let user_id = caller.user.id;
    let events = [AuditEvent::Logout { user_id }.stamp(client)];
    if sessions::revoke(&state.db, caller.session_id, "logout", &events).await? {
        state.metrics.session_revoked("logout");
        audit::announce(state, &events);
    }
    Ok(())
}

/// Uniqueness checks, then one transaction for the user and its default roles.
pub async fn register(
    state: &AppState,
    new_user: NewUser,
    client: &ClientInfo,
) -> AppResult<UserRow> {
    if users::username_taken(&state.db, new_user.username.as_str()).await? {
        return Err(AppError::AlreadyExists("Username already exists".into()));
    }
    if users::email_taken(&state.db, new_user.email.as_str()).await? {
        return Err(AppError::AlreadyExists("Email already exists".into()));
    }
    let password_hash = hashing::hash(state, new_user.password.as_str().to_string()).await?;
    let row = NewUserRow {
        username: new_user.username.as_str(),
        email: new_user.email.as_str(),
        password_hash: &password_hash,
        first_name: new_user.first_name.as_str(),
        middle_name: new_user.middle_name.as_ref().map(|n| n.as_str()),
        last_name: new_user.last_name.as_ref().map(|n| n.as_str()),
        bio: new_user.bio.as_ref().map(|b| b.as_str()),
    };
    let mut roles = state.config.default_roles.clone();
    roles.sort();
    roles.dedup();
    let audit =
        |user: &UserRow| vec![AuditEvent::UserRegistered { user_id: user.id }.stamp(client)];
    match users::insert_with_roles(&state.db, &row, &roles, audit).await {
        Ok(inserted) => {
            let user = inserted.row;
            if !inserted.skipped_roles.is_empty() {
                tracing::warn!(user_id = user.id, skipped_roles = %inserted.skipped_roles.join(","), "default roles not found; skipped");
            }
            audit::announce(state, &inserted.events);
            Ok(user)
        }
        Err(err) if err.is_unique_violation() => {
            let which = err.constraint().unwrap_or_default();
            if which.contains("username") {
                Err(AppError::AlreadyExists("Username already exists".into()))
            } else {
                Err(AppError::AlreadyExists("Email already exists".into()))
            }
        }
        Err(err) => Err(err.into()),
    }
}
