//! `/api/v1/users`: list, read, update and delete accounts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::{UserListQuery, UserUpdate};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, UserIdPath, ValidJson, ValidQuery};
use crate::http::views::{PageMeta, UserListMeta, UserView, WithMessage};
use crate::service::users;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ValidQuery(query): ValidQuery<UserListQuery>,
) -> AppResult<Response> {
    let listing = users::list(&state, &caller, &query).await?;
    let items: Vec<UserView> = listing.items.iter().map(UserView::from).collect();
    let meta = UserListMeta {
        count: items.len(),
        page: PageMeta::new(query.page, listing.total),
        api_version: "v1",
    };
    Ok(envelope::sorted_page(&items, &meta))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let user = users::get(&state, &caller, &id).await?;
    Ok(envelope::sorted_view(
        StatusCode::OK,
        &UserView::from(&user),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    ValidJson(changes): ValidJson<UserUpdate>,
) -> AppResult<Response> {
    let user = users::update(&state, &caller, &id, changes, &client).await?;
    let view = WithMessage::new(UserView::from(&user), "User updated successfully");
    Ok(envelope::view(StatusCode::OK, &view))
}

pub async fn delete(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let deleted = users::delete(&state, &caller, &id, &client).await?;
    Ok(envelope::message(format!(
        "User {deleted} deleted successfully"
    )))
}
