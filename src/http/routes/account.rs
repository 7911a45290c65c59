//! `/api/v1/auth/password/*` and `/api/v1/auth/email/*`: password change, reset by e-mail,
//! e-mail verification.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::{EmailRequest, PasswordChange, PasswordReset, TokenRequest};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, ValidJson};
use crate::http::views::{MessageView, SessionsRevokedView};
use crate::service::recovery;
use crate::state::AppState;

pub const PASSWORD_CHANGED: &str = "Password changed successfully";
pub const RESET_REQUESTED: &str =
    "If an account with that email exists, a password reset link has been sent.";
pub const PASSWORD_RESET: &str = "Password has been reset. Please log in with your new password.";
pub const VERIFICATION_REQUESTED: &str =
    "If the address belongs to an unverified account, a verification email has been sent.";
pub const EMAIL_VERIFIED: &str = "Email address verified";

pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    client: ClientInfo,
    ValidJson(request): ValidJson<PasswordChange>,
) -> AppResult<Response> {
    let revoked = recovery::change_password(&state, &caller, request, &client).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &SessionsRevokedView {
            message: PASSWORD_CHANGED,
            sessions_revoked: revoked,
        },
    ))
}

pub async fn forgot_password(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<EmailRequest>,
) -> Response {
    recovery::request_password_reset(&state, request, &client);
    envelope::view(StatusCode::ACCEPTED, &MessageView::new(RESET_REQUESTED))
}

pub async fn reset_password(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<PasswordReset>,
) -> AppResult<Response> {
    let revoked = recovery::reset_password(&state, request, &client).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &SessionsRevokedView {
            message: PASSWORD_RESET,
            sessions_revoked: revoked,
        },
    ))
}

pub async fn request_verification(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<EmailRequest>,
) -> Response {
    recovery::request_verification(&state, request, &client);
    envelope::view(
        StatusCode::ACCEPTED,
        &MessageView::new(VERIFICATION_REQUESTED),
    )
}

pub async fn verify_email(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<TokenRequest>,
) -> AppResult<Response> {
    recovery::verify_email(&state, request, &client).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &MessageView::new(EMAIL_VERIFIED),
    ))
}
