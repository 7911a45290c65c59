//! `/api/v1/admin/roles` (§5.12–§5.19).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::domain::{RoleAssign, RoleCreate, RoleListQuery, RoleUpdate};
use crate::error::AppResult;
use crate::http::envelope;
use crate::http::extract::{ClientInfo, CurrentUser, NamePath, UserIdPath, ValidJson, ValidQuery};
use crate::service::{grants, roles};
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ValidQuery(query): ValidQuery<RoleListQuery>,
) -> AppResult<Response> {
    let page = roles::list(&state, &caller, &query).await?;
    let meta = json!({
        "total": page.total,
        "page": query.page.page,
        "per_page": query.page.per_page,
        "total_pages": query.page.total_pages(page.total),
    });
    Ok(envelope::list(page.items, meta))
}

pub async fn create(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    ValidJson(input): ValidJson<RoleCreate>,
) -> AppResult<Response> {
    let message = format!("Role '{}' created successfully", input.name.as_str());
    let role = roles::create(&state, &caller, input, &client).await?;
    Ok(envelope::ok_with_message(
        StatusCode::CREATED,
        role,
        &message,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    Ok(envelope::ok(roles::get(&state, &caller, &name).await?))
}

pub async fn update(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
    ValidJson(input): ValidJson<RoleUpdate>,
) -> AppResult<Response> {
    let role = roles::update(&state, &caller, &name, input, &client).await?;
    Ok(envelope::ok_with_message(
        StatusCode::OK,
        role,
        &format!("Role '{name}' updated successfully"),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    roles::delete(&state, &caller, &name, &client).await?;
    Ok(envelope::message(&format!(
        "Role '{name}' deleted successfully"
    )))
}

pub async fn user_roles(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
) -> AppResult<Response> {
    Ok(envelope::ok(
        grants::user_roles(&state, &caller, &id).await?,
    ))
}

pub async fn assign(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    ValidJson(input): ValidJson<RoleAssign>,
) -> AppResult<Response> {
    let message = grants::assign_role(&state, &caller, &id, &input, &client).await?;
    Ok(envelope::message(&message))
}

pub async fn revoke(
    State(state): State<AppState>,
    client: ClientInfo,
    CurrentUser(caller): CurrentUser,
    UserIdPath(id): UserIdPath,
    NamePath(name): NamePath,
) -> AppResult<Response> {
    let message = grants::revoke_role(&state, &caller, &id, &name, &client).await?;
    Ok(envelope::message(&message))
}
