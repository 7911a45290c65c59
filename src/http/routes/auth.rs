//! `/api/v1/auth/*`: registration, login, logout, refresh and the caller's own account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::{LoginRequest, NewUser};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, RefreshCaller, ValidJson};
use crate::http::views::{LoginView, TokenPairView, UserView, WithMessage};
use crate::service::{auth, recovery};
use crate::state::AppState;

pub async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(new_user): ValidJson<NewUser>,
) -> AppResult<Response> {
    let user = auth::register(&state, new_user, &client).await?;
    recovery::after_registration(&state, &user, &client);
    let view = WithMessage::new(UserView::from(&user), "User created successfully");
    Ok(envelope::view(StatusCode::CREATED, &view))
}

pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ValidJson(request): ValidJson<LoginRequest>,
) -> AppResult<Response> {
    let (tokens, user) = auth::login(&state, request, &client).await?;
    tracing::Span::current().record("user_id", user.id);
    let view = LoginView {
        tokens: TokenPairView::from(tokens),
        user: UserView::from(&user),
    };
    let view = WithMessage::new(view, "Login successful");
    Ok(envelope::view(StatusCode::OK, &view))
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
    let view = WithMessage::new(TokenPairView::from(tokens), "Token refreshed");
    Ok(envelope::view(StatusCode::OK, &view))
}

pub async fn me(CurrentUser(caller): CurrentUser) -> Response {
    envelope::sorted_view(StatusCode::OK, &UserView::from(&caller.user))
}
