//! `/api/v1/auth/sessions/*` (the caller's own sessions) and `/api/v1/users/{user_id}/sessions`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, UserIdPath};
use crate::http::views::{MessageView, SessionListView, SessionsRevokedView};
use crate::service::sessions;
use crate::state::AppState;

pub async fn list_own(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> AppResult<Response> {
    let list = sessions::list_own(&state, &caller).await?;
    Ok(envelope::view(StatusCode::OK, &SessionListView::from(list)))
}

pub async fn revoke_one(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    client: ClientInfo,
    Path(session_id): Path<String>,
) -> AppResult<Response> {
    sessions::revoke_own(&state, &caller, &session_id, &client).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &MessageView::new("Session revoked"),
    ))
}

pub async fn revoke_others(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    client: ClientInfo,
) -> AppResult<Response> {
    let revoked = sessions::revoke_others(&state, &caller, &client).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &SessionsRevokedView {
            message: "Other sessions revoked",
            sessions_revoked: revoked,
        },
    ))
}

pub async fn list_for_user(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let list = sessions::list_for_user(&state, &caller, &id).await?;
    Ok(envelope::view(StatusCode::OK, &SessionListView::from(list)))
}

pub async fn revoke_for_user(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    client: ClientInfo,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let revoked = sessions::revoke_for_user(&state, &caller, &id, &client).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &SessionsRevokedView {
            message: "Sessions revoked",
            sessions_revoked: revoked,
        },
    ))
}
