//! `/api/v1/admin/permissions` and a user's permissions and direct grants.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::holding_changed;
use crate::domain::{PermissionGrant, PermissionListQuery};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, NamePath, UserIdPath, ValidJson, ValidQuery};
use crate::http::views::{PageMeta, PermissionView, UserPermissionsView};
use crate::service::grants;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ValidQuery(query): ValidQuery<PermissionListQuery>,
) -> AppResult<Response> {
    let listing = grants::list_permissions(&state, &caller, &query).await?;
    let meta = PageMeta::new(query.page, listing.total);
    let items: Vec<PermissionView> = listing.items.iter().map(PermissionView::from).collect();
    Ok(envelope::page(&items, &meta))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    let permission = grants::get_permission(&state, &caller, &name).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &PermissionView::from(&permission),
    ))
}

pub async fn user_permissions(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let held = grants::user_permissions(&state, &caller, &id).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &UserPermissionsView::from(held),
    ))
}

pub async fn grant(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    ValidJson(input): ValidJson<PermissionGrant>,
) -> AppResult<Response> {
    let user = grants::grant(&state, &caller, &id, &input, &client).await?;
    Ok(holding_changed(
        "Permission",
        input.permission.as_str(),
        "granted to",
        &user.username,
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    let user = grants::revoke(&state, &caller, &id, &name, &client).await?;
    Ok(holding_changed(
        "Permission",
        &name,
        "revoked from",
        &user.username,
    ))
}
