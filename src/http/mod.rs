//! The HTTP surface: `router(state)` is the one place that lists every route.

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
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::AppError;
use crate::state::AppState;
use middleware as mw;
use routes::{
    account, account_pages, allow_header, audit, auth, docs, health, pages, permissions, roles,
    route_methods, sessions, users,
};

/// Give a path its plain-`OPTIONS` answer and its 405, both with the `Allow` header of §1.12.
fn with_allow(canonical: &'static str, methods: MethodRouter<AppState>) -> MethodRouter<AppState> {
    let allow = allow_header(route_methods(canonical));
    let allow_for_405 = allow.clone();
    methods
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

/// A collection answers with and without its trailing slash, identically (§1.12).
fn collection(
    router: Router<AppState>,
    slashed: &'static str,
    methods: MethodRouter<AppState>,
) -> Router<AppState> {
    let bare = slashed.trim_end_matches('/');
    let methods = with_allow(slashed, methods);
    router.route(slashed, methods.clone()).route(bare, methods)
}

async fn route_not_found() -> Response {
    AppError::RouteNotFound.into_response()
}

/// Password change/reset, e-mail verification and session management.
fn account_routes(router: Router<AppState>) -> Router<AppState> {
    let router = collection(
        router,
        "/api/v1/auth/sessions/",
        get(sessions::list_own).delete(sessions::revoke_others),
    );
    [
        (
            "/api/v1/auth/password/change",
            post(account::change_password),
        ),
        (
            "/api/v1/auth/password/forgot",
            post(account::forgot_password),
        ),
        ("/api/v1/auth/password/reset", post(account::reset_password)),
        (
            "/api/v1/auth/email/verify/request",
            post(account::request_verification),
        ),
        ("/api/v1/auth/email/verify", post(account::verify_email)),
        (
            "/api/v1/auth/sessions/{session_id}",
            delete(sessions::revoke_one),
        ),
        (
            "/api/v1/users/{user_id}/sessions",
            get(sessions::list_for_user).delete(sessions::revoke_for_user),
        ),
    ]
    .into_iter()
    .fold(router, |router, (path, methods)| {
        router.route(path, with_allow(path, methods))
    })
}

fn api_routes(router: Router<AppState>) -> Router<AppState> {
    let router = collection(router, "/api/v1/", get(health::welcome));
    let router = collection(router, "/api/v1/users/", get(users::list));
    router
        .route(
            "/api/v1/health",
            with_allow("/api/v1/health", get(health::api_health)),
        )
        .route(
            "/api/v1/auth/register",
            with_allow("/api/v1/auth/register", post(auth::register)),
        )
        .route(
            "/api/v1/auth/login",
            with_allow("/api/v1/auth/login", post(auth::login)),
        )
        .route(
            "/api/v1/auth/logout",
            with_allow("/api/v1/auth/logout", post(auth::logout)),
        )
        .route(
            "/api/v1/auth/refresh",
            with_allow("/api/v1/auth/refresh", post(auth::refresh)),
        )
        .route(
            "/api/v1/auth/me",
            with_allow("/api/v1/auth/me", get(auth::me)),
        )
        .route(
            "/api/v1/users/{user_id}",
            with_allow(
                "/api/v1/users/{user_id}",
                get(users::get).put(users::update).delete(users::delete),
            ),
        )
}

fn admin_routes(router: Router<AppState>) -> Router<AppState> {
    let router = collection(
        router,
        "/api/v1/admin/roles/",
        get(roles::list).post(roles::create),
    );
    let router = collection(router, "/api/v1/admin/permissions/", get(permissions::list));
    let router = collection(router, "/api/v1/admin/audit-events/", get(audit::list));
    let route = |router: Router<AppState>, path: &'static str, methods| {
        router.route(path, with_allow(path, methods))
    };
    let router = route(
        router,
        "/api/v1/admin/roles/{role_name}",
        get(roles::get).put(roles::update).delete(roles::delete),
    );
    let router = route(
        router,
        "/api/v1/admin/roles/users/{user_id}",
        get(roles::user_roles).post(roles::assign),
    );
    let router = route(
        router,
        "/api/v1/admin/roles/users/{user_id}/{role_name}",
        delete(roles::revoke),
    );
    let router = route(
        router,
        "/api/v1/admin/permissions/{permission_name}",
        get(permissions::get),
    );
    let router = route(
        router,
        "/api/v1/admin/permissions/users/{user_id}",
        get(permissions::user_permissions).post(permissions::grant),
    );
    route(
        router,
        "/api/v1/admin/permissions/users/{user_id}/{permission_name}",
        delete(permissions::revoke),
    )
}

fn operational_routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/", with_allow("/", get(pages::landing)))
        .route("/health", with_allow("/health", get(pages::health_page)))
        .route(
            "/reset-password",
            with_allow("/reset-password", get(account_pages::reset_password)),
        )
        .route(
            "/verify-email",
            with_allow("/verify-email", get(account_pages::verify_email)),
        )
        .route("/livez", with_allow("/livez", get(health::livez)))
        .route("/readyz", with_allow("/readyz", get(health::readyz)))
        .route("/metrics", with_allow("/metrics", get(health::metrics)))
}

/// The API documentation (§5.25): document, UIs, their embedded assets and the index page.
fn docs_routes(router: Router<AppState>) -> Router<AppState> {
    let router = collection(router, "/openapi/", get(docs::index));
    [
        ("/openapi.json", get(docs::openapi_json)),
        ("/openapi/openapi.json", get(docs::openapi_json)),
        ("/docs", get(docs::swagger)),
        ("/docs/", get(docs::swagger)),
        ("/openapi/swagger", get(docs::swagger)),
        ("/docs/{asset}", get(docs::docs_asset)),
        ("/redoc", get(docs::redoc)),
        ("/redoc/", get(docs::redoc)),
        ("/openapi/redoc", get(docs::redoc)),
        ("/redoc/{asset}", get(docs::redoc_asset)),
    ]
    .into_iter()
    .fold(router, |router, (path, methods)| {
        router.route(path, with_allow(path, methods))
    })
}

/// Every route with every layer, in the order of §1.2.
pub fn router(state: AppState) -> Router {
    let routes = docs_routes(operational_routes(admin_routes(account_routes(
        api_routes(Router::new()),
    ))));
    routes
        .fallback(route_not_found)
        .route_layer(from_fn_with_state(state.clone(), mw::rate_limit::enforce))
        .route_layer(from_fn(mw::route_guard::guard))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::internal("panic", "handler panicked").into_response()
        }))
        .layer(from_fn_with_state(
            state.clone(),
            mw::timeout::limit_duration,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            mw::body_limit::check_declared_length,
        ))
        .layer(from_fn_with_state(state.clone(), mw::cors::handle))
        .layer(from_fn_with_state(state.clone(), mw::security_headers::add))
        .layer(from_fn_with_state(state.clone(), mw::render::render_json))
        .layer(from_fn_with_state(
            state.clone(),
            mw::access_log::log_and_measure,
        ))
        .layer(from_fn_with_state(state.clone(), mw::request_id::assign))
        .with_state(state)
}
