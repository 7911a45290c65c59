//! Extractors whose failures are envelope errors: validated JSON bodies, query
//! strings, the `{user_id}` path parameter, and the authenticated caller.

use std::borrow::Cow;

use axum::body::Body;
use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use axum::http::request::Parts;
use http_body_util::{BodyExt, Limited};

use crate::domain::{self, JsonObject, UserIdParam, ValidationErrors};
use crate::error::AppError;
use crate::http::middleware::{ClientIp, RequestId};
use crate::security::jwt::TokenKind;
use crate::service::auth::{Caller, authenticate};
use crate::state::AppState;

fn body_error(message: impl Into<String>) -> AppError {
    let mut errors = ValidationErrors::new();
    errors.insert("body".into(), message.into());
    AppError::Validation(errors)
}

/// A request schema: its name for the body-level validation messages and its parser.
pub trait BodySchema: Sized {
    const NAME: &'static str;
    fn parse(body: &JsonObject) -> Result<Self, ValidationErrors>;
}

macro_rules! body_schema {
    ($ty:ty, $name:literal, $parser:path) => {
        impl BodySchema for $ty {
            const NAME: &'static str = $name;
            fn parse(body: &JsonObject) -> Result<Self, ValidationErrors> {
                $parser(body)
            }
        }
    };
}

body_schema!(
    domain::NewUser,
    "UserCreateSchema",
    domain::parse_user_create
);
body_schema!(domain::LoginRequest, "LoginRequest", domain::parse_login);
body_schema!(
    domain::UserUpdate,
    "UserUpdateSchema",
    domain::parse_user_update
);
body_schema!(
    domain::RoleCreate,
    "RoleCreateSchema",
    domain::parse_role_create
);
body_schema!(
    domain::RoleUpdate,
    "RoleUpdateSchema",
    domain::parse_role_update
);
body_schema!(
    domain::RoleAssign,
    "RoleAssignSchema",
    domain::parse_role_assign
);
body_schema!(
    domain::PermissionGrant,
    "DirectPermissionGrantSchema",
    domain::parse_permission_grant
);

body_schema!(
    domain::PasswordChange,
    "PasswordChangeRequest",
    domain::parse_password_change
);
body_schema!(
    domain::EmailRequest,
    "EmailRequest",
    domain::parse_email_request
);
body_schema!(
    domain::PasswordReset,
    "PasswordResetRequest",
    domain::parse_password_reset
);
body_schema!(
    domain::TokenRequest,
    "EmailVerifyRequest",
    domain::parse_token_request
);

/// `application/json` or `application/<x>+json`, parameters ignored, case-insensitive.
fn is_json_content_type(value: &str) -> bool {
    let media = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// A body that passed every whole-body and field rule of its schema.
pub struct ValidJson<T>(pub T);

impl<T: BodySchema> FromRequest<AppState> for ValidJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (parts, body) = request.into_parts();
        let bytes = read_limited(body, state.config.max_body_bytes).await?;
        if bytes.is_empty() {
            return Err(body_error("Request body is required"));
        }
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json_content_type(content_type) {
            return Err(body_error("Content-Type must be application/json"));
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| body_error("Request body is not valid JSON"))?;
        let serde_json::Value::Object(object) = value else {
            return Err(body_error(format!(
                "Input should be a valid dictionary or instance of {}",
                T::NAME
            )));
        };
        T::parse(&object)
            .map(ValidJson)
            .map_err(AppError::Validation)
    }
}

async fn read_limited(body: Body, limit: usize) -> Result<bytes::Bytes, AppError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(AppError::PayloadTooLarge),
        Err(err) => Err(AppError::internal("body", err)),
    }
}

/// The query string as ordered pairs (the domain parsers apply "first occurrence wins").
pub fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// A validated query of schema `T`.
pub struct ValidQuery<T>(pub T);

pub trait QuerySchema: Sized {
    fn parse(pairs: &[(String, String)]) -> Result<Self, ValidationErrors>;
}

impl QuerySchema for domain::UserListQuery {
    fn parse(pairs: &[(String, String)]) -> Result<Self, ValidationErrors> {
        domain::parse_user_list_query(pairs)
    }
}
impl QuerySchema for domain::RoleListQuery {
    fn parse(pairs: &[(String, String)]) -> Result<Self, ValidationErrors> {
        domain::parse_role_list_query(pairs)
    }
}
impl QuerySchema for domain::PermissionListQuery {
    fn parse(pairs: &[(String, String)]) -> Result<Self, ValidationErrors> {
        domain::parse_permission_list_query(pairs)
    }
}

impl QuerySchema for domain::AuditQuery {
    fn parse(pairs: &[(String, String)]) -> Result<Self, ValidationErrors> {
        let known = crate::service::audit::EventKind::ALL.map(|kind| kind.as_str());
        domain::parse_audit_query(pairs, &known)
    }
}

impl<T: QuerySchema, S: Send + Sync> FromRequestParts<S> for ValidQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        T::parse(&query_pairs(parts))
            .map(ValidQuery)
            .map_err(AppError::Validation)
    }
}

/// The `{user_id}` path parameter (digits guaranteed by the route guard).
pub struct UserIdPath(pub UserIdParam);

impl<S: Send + Sync> FromRequestParts<S> for UserIdPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::RouteNotFound)?;
        let raw = params
            .iter()
            .find(|(name, _)| *name == "user_id")
            .map(|(_, value)| value.to_string())
            .ok_or(AppError::RouteNotFound)?;
        domain::parse_user_id(&raw)
            .map(UserIdPath)
            .map_err(AppError::Validation)
    }
}

/// The `{role_name}` or `{permission_name}` path parameter, percent-decoded. A value that does
/// not decode (invalid UTF-8) cannot name anything: unknown path.
pub struct NamePath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for NamePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::RouteNotFound)?;
        params
            .get("role_name")
            .or_else(|| params.get("permission_name"))
            .cloned()
            .map(NamePath)
            .ok_or(AppError::RouteNotFound)
    }
}

/// Borrowed unless the header holds bytes that are not UTF-8 (which no token contains). The
/// strict check comes first because it is several times cheaper than the lossy scan on the
/// valid values every authenticated request carries.
fn bearer_value(parts: &Parts) -> Option<Cow<'_, str>> {
    parts.headers.get(AUTHORIZATION).map(|v| {
        let bytes = v.as_bytes();
        std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .unwrap_or_else(|_| String::from_utf8_lossy(bytes))
    })
}

/// The caller behind the bearer token of `kind`, recorded on the request span.
async fn bearer_caller(
    parts: &Parts,
    state: &AppState,
    kind: TokenKind,
) -> Result<Caller, AppError> {
    let client = client_info(parts);
    let caller = authenticate(state, bearer_value(parts).as_deref(), kind, &client).await?;
    tracing::Span::current().record("user_id", caller.user.id);
    Ok(caller)
}

/// The caller of a route protected by an access token.
pub struct CurrentUser(pub Caller);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        bearer_caller(parts, state, TokenKind::Access)
            .await
            .map(Self)
    }
}

/// The caller of `/auth/refresh`, authenticated by a refresh token.
pub struct RefreshCaller(pub Caller);

impl FromRequestParts<AppState> for RefreshCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        bearer_caller(parts, state, TokenKind::Refresh)
            .await
            .map(Self)
    }
}

pub use crate::service::audit::ClientInfo;

/// Client IP, user agent and request id, for new sessions and audit events.
fn client_info(parts: &Parts) -> ClientInfo {
    let ip = parts.extensions.get::<ClientIp>().map(|c| c.0.to_string());
    let user_agent = parts.headers.get(USER_AGENT).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .chars()
            .take(512)
            .collect()
    });
    let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone());
    ClientInfo {
        ip,
        user_agent,
        request_id,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        Ok(client_info(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json_content_type;

    #[test]
    fn json_media_types_are_recognised() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type(""));
    }
}
