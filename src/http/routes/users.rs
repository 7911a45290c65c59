//! `/api/v1/users` (§5.8–§5.11).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::domain::{UserListQuery, UserUpdate};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, UserIdPath, ValidJson, ValidQuery};
use crate::http::views::user_json;
use crate::service::users;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ValidQuery(query): ValidQuery<UserListQuery>,
) -> AppResult<Response> {
    let page = users::list(&state, &caller, &query).await?;
    let meta = json!({
        "count": page.items.len(),
        "total": page.total,
        "page": query.page.page,
        "per_page": query.page.per_page,
        "total_pages": query.page.total_pages(page.total),
        "api_version": "v1",
    });
    Ok(envelope::list(
        page.items.iter().map(user_json).collect(),
        meta,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let user = users::get(&state, &caller, &id).await?;
    Ok(envelope::ok(user_json(&user)))
}

pub async fn update(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    ValidJson(changes): ValidJson<UserUpdate>,
) -> AppResult<Response> {
    let user = users::update(&state, &caller, &id, changes, &client).await?;
    Ok(envelope::ok_with_message(
        StatusCode::OK,
        user_json(&user),
        "User updated successfully",
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let deleted = users::delete(&state, &caller, &id, &client).await?;
    Ok(envelope::message(&format!(
        "User {deleted} deleted successfully"
    )))
}
