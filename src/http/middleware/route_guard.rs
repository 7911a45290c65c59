//! Runs only for matched routes: records the route label (collections in their slashed form,
//! so metrics count both spellings as one route) and refuses a `{user_id}` that is not all
//! ASCII digits as an unknown path, before the rate limiter counts the request.

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::http::middleware::rate_limit;
use crate::http::routes::table::{self, Route};
use crate::state::AppState;

/// The route template of the answered request, for metrics, logs and rate-limit keys:
/// the canonical template of the route table (a collection in its slashed form), or
/// `unmatched`.
#[derive(Debug, Clone, Copy)]
pub struct RouteLabel(pub &'static str);

const UNMATCHED: RouteLabel = RouteLabel("unmatched");

/// The table entry of a matched request, on the request for the rate limiter and on the
/// response for the access log.
#[derive(Debug, Clone, Copy)]
pub struct MatchedRoute(pub &'static Route);

/// Then hands the request to the rate limiter (a call, not a layer of its own: each layer
/// clones the stack beneath it per request, docs/performance.md).
pub async fn guard(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    params: Result<RawPathParams, RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched.and_then(|m| table::by_router_path(m.as_str()));
    let label = route.map_or(UNMATCHED, |route| RouteLabel(route.path));
    let bad_user_id = params.as_ref().is_ok_and(|params| {
        params.iter().any(|(name, value)| {
            name == "user_id" && (value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()))
        })
    });
    let mut response = if bad_user_id {
        let mut response = AppError::RouteNotFound.into_response();
        response.extensions_mut().insert(UNMATCHED);
        return response;
    } else {
        let mut request = request;
        if let Some(route) = route {
            request.extensions_mut().insert(MatchedRoute(route));
        }
        rate_limit::enforce(&state, request, next).await
    };
    response.extensions_mut().insert(label);
    if let Some(route) = route {
        response.extensions_mut().insert(MatchedRoute(route));
    }
    response
}
