//! The HTTP surface: `router(state)` builds the router from the route table
//! ([`routes::table::ROUTES`]) and stacks the middleware around it.

pub mod envelope;
pub mod extract;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod serve;
pub mod views;

use axum::Router;
use axum::http::header::ALLOW;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::AppError;
use crate::state::AppState;
use middleware as mw;
use routes::table::{ROUTES, Route};

/// A route's handlers, its plain-`OPTIONS` answer and its 405, both with the `Allow` header.
fn method_router(route: &Route) -> MethodRouter<AppState> {
    let allow = route.allow();
    let allow_for_405 = allow.clone();
    route
        .endpoints
        .iter()
        .fold(MethodRouter::new(), |methods, endpoint| {
            (endpoint.handler)(methods)
        })
        .options(move || {
            let allow = allow.clone();
            async move {
                let mut response = StatusCode::OK.into_response();
                if let Ok(value) = HeaderValue::from_str(&allow) {
                    response.headers_mut().insert(ALLOW, value);
                }
                response
            }
        })
        .fallback(move || {
            let allow = allow_for_405.clone();
            async move { AppError::MethodNotAllowed { allow }.into_response() }
        })
}

async fn route_not_found() -> Response {
    AppError::RouteNotFound.into_response()
}

/// Every route of the table with its layers, outermost last: the pipeline (its steps in the
/// order docs/architecture.md describes), the panic catcher, and per route the guard.
pub fn router(state: AppState) -> Router {
    ROUTES
        .iter()
        .fold(Router::new(), |router, route| {
            let methods = method_router(route);
            route
                .router_paths()
                .fold(router, |router, path| router.route(path, methods.clone()))
        })
        .fallback(route_not_found)
        .route_layer(from_fn_with_state(state.clone(), mw::route_guard::guard))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::internal("panic", "handler panicked").into_response()
        }))
        .layer(from_fn_with_state(state.clone(), mw::pipeline::run))
        .with_state(state)
}
