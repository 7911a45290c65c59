//! `/api/v1/admin/permissions` (§5.20–§5.24).

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use crate::domain::{PermissionGrant, PermissionListQuery};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, NamePath, UserIdPath, ValidJson, ValidQuery};
use crate::service::grants;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ValidQuery(query): ValidQuery<PermissionListQuery>,
) -> AppResult<Response> {
    let page = grants::list_permissions(&state, &caller, &query).await?;
    let meta = json!({
        "total": page.total,
        "page": query.page.page,
        "per_page": query.page.per_page,
        "total_pages": query.page.total_pages(page.total),
    });
    Ok(envelope::list(page.items, meta))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    Ok(envelope::ok(
        grants::get_permission(&state, &caller, &name).await?,
    ))
}

pub async fn user_permissions(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    Ok(envelope::ok(
        grants::user_permissions(&state, &caller, &id).await?,
    ))
}

pub async fn grant(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    ValidJson(input): ValidJson<PermissionGrant>,
) -> AppResult<Response> {
    let message = grants::grant(&state, &caller, &id, &input, &client).await?;
    Ok(envelope::message(&message))
}

pub async fn revoke(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    let message = grants::revoke(&state, &caller, &id, &name, &client).await?;
    Ok(envelope::message(&message))
}
