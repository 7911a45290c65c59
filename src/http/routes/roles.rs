//! `/api/v1/admin/roles` and a user's roles.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::holding_changed;
use crate::domain::{RoleAssign, RoleCreate, RoleListQuery, RoleUpdate};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, NamePath, UserIdPath, ValidJson, ValidQuery};
use crate::http::views::{PageMeta, RoleDetailView, RoleView, UserRolesView, WithMessage};
use crate::service::{grants, roles};
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ValidQuery(query): ValidQuery<RoleListQuery>,
) -> AppResult<Response> {
    let listing = roles::list(&state, &caller, &query).await?;
    let meta = PageMeta::new(query.page, listing.total);
    let items: Vec<RoleView> = listing.items.into_iter().map(RoleView::from).collect();
    Ok(envelope::page(&items, &meta))
}

pub async fn create(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    ValidJson(input): ValidJson<RoleCreate>,
) -> AppResult<Response> {
    let message = format!("Role '{}' created successfully", input.name.as_str());
    let role = roles::create(&state, &caller, input, &client).await?;
    let view = WithMessage::new(RoleView::from(role), message);
    Ok(envelope::view(StatusCode::CREATED, &view))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    let detail = roles::get(&state, &caller, &name).await?;
    Ok(envelope::view(
        StatusCode::OK,
        &RoleDetailView::from(detail),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
    ValidJson(input): ValidJson<RoleUpdate>,
) -> AppResult<Response> {
    let role = roles::update(&state, &caller, &name, input, &client).await?;
    let message = format!("Role '{name}' updated successfully");
    let view = WithMessage::new(RoleView::from(role), message);
    Ok(envelope::view(StatusCode::OK, &view))
}

pub async fn delete(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    roles::delete(&state, &caller, &name, &client).await?;
    Ok(envelope::message(format!(
        "Role '{name}' deleted successfully"
    )))
}

pub async fn user_roles(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    let held = grants::user_roles(&state, &caller, &id).await?;
    Ok(envelope::view(StatusCode::OK, &UserRolesView::from(held)))
}

pub async fn assign(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    ValidJson(input): ValidJson<RoleAssign>,
) -> AppResult<Response> {
    let user = grants::assign_role(&state, &caller, &id, &input, &client).await?;
    Ok(holding_changed(
        "Role",
        input.role_name.as_str(),
        "assigned to",
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
    let user = grants::revoke_role(&state, &caller, &id, &name, &client).await?;
    Ok(holding_changed(
        "Role",
        &name,
        "revoked from",
        &user.username,
    ))
}
