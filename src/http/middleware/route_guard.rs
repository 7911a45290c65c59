//! Runs only for matched routes: records the route label (collections in their slashed form,
//! §7.4) and refuses a `{user_id}` that is not all ASCII digits as an unknown path (§1.12).

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{MatchedPath, RawPathParams, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// The route template of the answered request, for metrics, logs and rate-limit keys.
#[derive(Debug, Clone)]
pub struct RouteLabel(pub String);

const COLLECTIONS: &[&str] = &[
    "/api/v1",
    "/api/v1/users",
    "/api/v1/admin/roles",
    "/api/v1/admin/permissions",
    "/api/v1/auth/sessions",
    "/openapi",
];

pub fn canonical(template: &str) -> String {
    if COLLECTIONS.contains(&template) {
        format!("{template}/")
    } else if (template.starts_with("/docs/") && template.len() > "/docs/".len())
        || (template.starts_with("/redoc/") && template.len() > "/redoc/".len())
    {
        let root = template.split('/').nth(1).unwrap_or("docs");
        format!("/{root}/{{asset}}")
    } else {
        template.to_string()
    }
}

pub async fn guard(
    matched: Option<MatchedPath>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let label = RouteLabel(
        matched
            .as_ref()
            .map_or_else(|| "unmatched".into(), |m| canonical(m.as_str())),
    );
    let bad_user_id = params.as_ref().is_ok_and(|params| {
        params.iter().any(|(name, value)| {
            name == "user_id" && (value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()))
        })
    });
    let mut response = if bad_user_id {
        let mut response = AppError::RouteNotFound.into_response();
        response
            .extensions_mut()
            .insert(RouteLabel("unmatched".into()));
        return response;
    } else {
        let mut request = request;
        request.extensions_mut().insert(label.clone());
        next.run(request).await
    };
    response.extensions_mut().insert(label);
    response
}
