//! `/api/v1/auth/*` (§5.3–§5.7).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::domain::{LoginRequest, NewUser};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, RefreshCaller, ValidJson};
use crate::http::views::user_json;
use crate::service::{auth, recovery};
use crate::state::AppState;

pub async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(new_user): ValidJson<NewUser>,
) -> AppResult<Response> {
    let user = auth::register(&state, new_user, &client).await?;
    recovery::after_registration(&state, &user, &client);
    Ok(envelope::ok_with_message(
        StatusCode::CREATED,
        user_json(&user),
        "User created successfully",
    ))
}

pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<LoginRequest>,
) -> AppResult<Response> {
    let (tokens, user) = auth::login(&state, request, &client).await?;
    tracing::Span::current().record("user_id", user.id);
    let data = json!({
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": "Bearer",
        "user": user_json(&user),
    });
    Ok(envelope::ok_with_message(
        StatusCode::OK,
        data,
        "Login successful",
    ))
}

pub async fn logout(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
) -> AppResult<Response> {
    auth::logout(&state, &caller, &client).await?;
    Ok(envelope::message("Logout successful"))
}

pub async fn refresh(
    State(state): State<AppState>,
    client: ClientInfo,
    RefreshCaller(caller): RefreshCaller,
) -> AppResult<Response> {
    let tokens = auth::refresh(&state, &caller, &client).await?;
    let data = json!({
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": "Bearer",
    });
    Ok(envelope::ok_with_message(
        StatusCode::OK,
        data,
        "Token refreshed",
    ))
}

pub async fn me(CurrentUser(caller): CurrentUser) -> Response {
    envelope::ok(user_json(&caller.user))
}
