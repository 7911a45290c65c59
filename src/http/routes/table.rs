//! The route table: every path the service answers, its methods and handlers, how each
//! endpoint is rate limited and which OpenAPI operation documents it. The router, the `Allow`
//! headers and 405s, the route labels of metrics and logs, the rate limiter and the OpenAPI
//! document are all derived from [`ROUTES`], so a route is added in one place.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::routing::{MethodFilter, MethodRouter};

use super::{
    account, account_pages, audit, auth, docs, health, pages, permissions, roles, sessions, users,
};
use crate::ratelimit::RateClass;
use crate::state::AppState;

/// One path template and what it answers.
#[derive(Debug)]
pub struct Route {
    /// The canonical template: the route label of metrics, logs and rate-limit keys, and the
    /// path of the OpenAPI document.
    pub path: &'static str,
    pub shape: Shape,
    /// A health probe or scrape target: successful answers are logged at DEBUG, because
    /// probes every few seconds would drown the access log.
    pub probe: bool,
    pub endpoints: &'static [Endpoint],
}

/// How a template is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Exactly this path.
    Exact,
    /// A collection: the template ends in `/` and the path without the slash answers
    /// identically, under the same label.
    Collection,
}

/// One method of a route.
#[derive(Debug)]
pub struct Endpoint {
    /// Upper-case method name; HEAD follows GET and OPTIONS is answered for every route.
    pub method: &'static str,
    /// Adds the handler to the path's method router.
    pub handler: fn(MethodRouter<AppState>) -> MethodRouter<AppState>,
    /// Which limits apply (`RateClass::Exempt`: none).
    pub limit: RateClass,
    /// The `operationId` of the OpenAPI operation, or `None` for the pages and the
    /// documentation itself, which the document does not describe.
    pub operation: Option<&'static str>,
}

/// An endpoint: `endpoint!(GET users::list, Default, "list_users")`; the method name is
/// written once and gives both the label and the handler's method filter.
macro_rules! endpoint {
    ($method:ident $handler:path, $limit:ident, $operation:literal) => {
        endpoint!(@ $method $handler, $limit, Some($operation))
    };
    ($method:ident $handler:path, $limit:ident) => {
        endpoint!(@ $method $handler, $limit, None)
    };
    (@ $method:ident $handler:path, $limit:ident, $operation:expr) => {
        Endpoint {
            method: stringify!($method),
            handler: |methods| methods.on(MethodFilter::$method, $handler),
            limit: RateClass::$limit,
            operation: $operation,
        }
    };
}

const fn exact(path: &'static str, endpoints: &'static [Endpoint]) -> Route {
    Route {
        path,
        shape: Shape::Exact,
        probe: false,
        endpoints,
    }
}

const fn collection(path: &'static str, endpoints: &'static [Endpoint]) -> Route {
    Route {
        shape: Shape::Collection,
        ..exact(path, endpoints)
    }
}

const fn probe(path: &'static str, endpoints: &'static [Endpoint]) -> Route {
    Route {
        probe: true,
        ..exact(path, endpoints)
    }
}

/// Every route. Rate limits apply to the HTML pages and to every `/api/v1` route except the
/// JSON health check; the operational endpoints and the documentation are exempt
/// (docs/configuration.md lists the limit variables).
pub static ROUTES: &[Route] = &[
    // HTML pages and operational endpoints.
    exact("/", &[endpoint!(GET pages::landing, Default)]),
    probe("/health", &[endpoint!(GET pages::health_page, Exempt)]),
    exact(
        "/reset-password",
        &[endpoint!(GET account_pages::reset_password, Default)],
    ),
    exact(
        "/verify-email",
        &[endpoint!(GET account_pages::verify_email, Default)],
    ),
    probe("/livez", &[endpoint!(GET health::livez, Exempt, "livez")]),
    probe(
        "/readyz",
        &[endpoint!(GET health::readyz, Exempt, "readyz")],
    ),
    probe(
        "/metrics",
        &[endpoint!(GET health::metrics, Exempt, "metrics")],
    ),
    // The API documentation: document, UIs, their embedded assets and the index page.
    exact(
        "/openapi.json",
        &[endpoint!(GET docs::openapi_json, Exempt)],
    ),
    exact(
        "/openapi/openapi.json",
        &[endpoint!(GET docs::openapi_json, Exempt)],
    ),
    collection("/openapi/", &[endpoint!(GET docs::index, Exempt)]),
    exact("/openapi/swagger", &[endpoint!(GET docs::swagger, Exempt)]),
    exact("/openapi/redoc", &[endpoint!(GET docs::redoc, Exempt)]),
    exact("/docs", &[endpoint!(GET docs::swagger, Exempt)]),
    exact("/docs/", &[endpoint!(GET docs::swagger, Exempt)]),
    exact("/docs/{asset}", &[endpoint!(GET docs::docs_asset, Exempt)]),
    exact("/redoc", &[endpoint!(GET docs::redoc, Exempt)]),
    exact("/redoc/", &[endpoint!(GET docs::redoc, Exempt)]),
    exact(
        "/redoc/{asset}",
        &[endpoint!(GET docs::redoc_asset, Exempt)],
    ),
    // The v1 API.
    collection(
        "/api/v1/",
        &[endpoint!(GET health::welcome, Default, "welcome")],
    ),
    probe(
        "/api/v1/health",
        &[endpoint!(GET health::api_health, Exempt, "api_health")],
    ),
    exact(
        "/api/v1/auth/register",
        &[endpoint!(POST auth::register, Register, "register")],
    ),
    exact(
        "/api/v1/auth/login",
        &[endpoint!(POST auth::login, Login, "login")],
    ),
    exact(
        "/api/v1/auth/logout",
        &[endpoint!(POST auth::logout, Default, "logout")],
    ),
    exact(
        "/api/v1/auth/refresh",
        &[endpoint!(POST auth::refresh, Default, "refresh")],
    ),
    exact("/api/v1/auth/me", &[endpoint!(GET auth::me, Default, "me")]),
    exact(
        "/api/v1/auth/password/change",
        &[endpoint!(POST account::change_password, PasswordChange, "change_password")],
    ),
    exact(
        "/api/v1/auth/password/forgot",
        &[endpoint!(POST account::forgot_password, PasswordForgot, "forgot_password")],
    ),
    exact(
        "/api/v1/auth/password/reset",
        &[endpoint!(POST account::reset_password, PasswordReset, "reset_password")],
    ),
    exact(
        "/api/v1/auth/email/verify/request",
        &[endpoint!(
            POST account::request_verification,
            EmailVerify,
            "request_email_verification"
        )],
    ),
    exact(
        "/api/v1/auth/email/verify",
        &[endpoint!(POST account::verify_email, EmailVerify, "verify_email")],
    ),
    collection(
        "/api/v1/auth/sessions/",
        &[
            endpoint!(GET sessions::list_own, Default, "list_own_sessions"),
            endpoint!(DELETE sessions::revoke_others, Default, "revoke_other_sessions"),
        ],
    ),
    exact(
        "/api/v1/auth/sessions/{session_id}",
        &[endpoint!(DELETE sessions::revoke_one, Default, "revoke_own_session")],
    ),
    collection(
        "/api/v1/users/",
        &[endpoint!(GET users::list, Default, "list_users")],
    ),
    exact(
        "/api/v1/users/{user_id}",
        &[
            endpoint!(GET users::get, Default, "get_user"),
            endpoint!(PUT users::update, Default, "update_user"),
            endpoint!(DELETE users::delete, Default, "delete_user"),
        ],
    ),
    exact(
        "/api/v1/users/{user_id}/sessions",
        &[
            endpoint!(GET sessions::list_for_user, Default, "list_user_sessions"),
            endpoint!(DELETE sessions::revoke_for_user, Default, "revoke_user_sessions"),
        ],
    ),
    collection(
        "/api/v1/admin/roles/",
        &[
            endpoint!(GET roles::list, Default, "list_roles"),
            endpoint!(POST roles::create, Default, "create_role"),
        ],
    ),
    exact(
        "/api/v1/admin/roles/{role_name}",
        &[
            endpoint!(GET roles::get, Default, "get_role"),
            endpoint!(PUT roles::update, Default, "update_role"),
            endpoint!(DELETE roles::delete, Default, "delete_role"),
        ],
    ),
    exact(
        "/api/v1/admin/roles/users/{user_id}",
        &[
            endpoint!(GET roles::user_roles, Default, "get_user_roles"),
            endpoint!(POST roles::assign, Default, "assign_role"),
        ],
    ),
    exact(
        "/api/v1/admin/roles/users/{user_id}/{role_name}",
        &[endpoint!(DELETE roles::revoke, Default, "revoke_role")],
    ),
    collection(
        "/api/v1/admin/permissions/",
        &[endpoint!(GET permissions::list, Default, "list_permissions")],
    ),
    exact(
        "/api/v1/admin/permissions/{permission_name}",
        &[endpoint!(GET permissions::get, Default, "get_permission")],
    ),
    exact(
        "/api/v1/admin/permissions/users/{user_id}",
        &[
            endpoint!(GET permissions::user_permissions, Default, "get_user_permissions"),
            endpoint!(POST permissions::grant, Default, "grant_permission"),
        ],
    ),
    exact(
        "/api/v1/admin/permissions/users/{user_id}/{permission_name}",
        &[endpoint!(DELETE permissions::revoke, Default, "revoke_permission")],
    ),
    collection(
        "/api/v1/admin/audit-events/",
        &[endpoint!(GET audit::list, Default, "list_audit_events")],
    ),
];

impl Route {
    /// The paths the router registers: the template, and for a collection also the template
    /// without its trailing slash.
    pub fn router_paths(&self) -> impl Iterator<Item = &'static str> + use<> {
        let path = self.path;
        let bare = match self.shape {
            Shape::Collection => Some(path.trim_end_matches('/')),
            Shape::Exact => None,
        };
        std::iter::once(path).chain(bare)
    }

    /// The endpoint answering `method` (HEAD is answered by GET), if any.
    pub fn endpoint(&self, method: &str) -> Option<&'static Endpoint> {
        let method = if method == "HEAD" { "GET" } else { method };
        self.endpoints.iter().find(|e| e.method == method)
    }

    /// The `Allow` value: the methods, HEAD with GET, and OPTIONS; sorted, `, `-joined.
    pub fn allow(&self) -> String {
        let mut all: Vec<&str> = self.endpoints.iter().map(|e| e.method).collect();
        if all.contains(&"GET") {
            all.push("HEAD");
        }
        all.push("OPTIONS");
        all.sort_unstable();
        all.dedup();
        all.join(", ")
    }
}

/// Every router path (both forms of a collection) → its route.
static BY_ROUTER_PATH: LazyLock<HashMap<&'static str, &'static Route>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .flat_map(|route| route.router_paths().map(move |path| (path, route)))
        .collect()
});

/// The route of a matched router path (axum's `MatchedPath`), in either form of a collection.
pub fn by_router_path(path: &str) -> Option<&'static Route> {
    BY_ROUTER_PATH.get(path).copied()
}

/// The route of a canonical template.
pub fn by_template(template: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.path == template)
}

/// Every (route, endpoint) pair, in table order.
pub fn endpoints() -> impl Iterator<Item = (&'static Route, &'static Endpoint)> {
    ROUTES.iter().flat_map(|route| {
        route
            .endpoints
            .iter()
            .map(move |endpoint| (route, endpoint))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(template: &str) -> String {
        by_template(template).map(Route::allow).unwrap_or_default()
    }

    #[test]
    fn allow_lists_follow_the_contract_examples() {
        for (template, expected) in [
            ("/api/v1/users/{user_id}", "DELETE, GET, HEAD, OPTIONS, PUT"),
            ("/api/v1/auth/login", "OPTIONS, POST"),
            ("/api/v1/admin/roles/", "GET, HEAD, OPTIONS, POST"),
            ("/livez", "GET, HEAD, OPTIONS"),
        ] {
            assert_eq!(allow(template), expected, "{template}");
        }
    }

    #[test]
    fn templates_and_router_paths_are_unique() {
        let mut paths: Vec<&str> = ROUTES.iter().flat_map(Route::router_paths).collect();
        let before = paths.len();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(before, paths.len());
        assert_eq!(BY_ROUTER_PATH.len(), before);
    }

    #[test]
    fn collections_end_in_a_slash_and_methods_are_listed_once() {
        for route in ROUTES {
            if route.shape == Shape::Collection {
                assert!(
                    route.path.ends_with('/') && route.path.len() > 1,
                    "{route:?}"
                );
            }
            let mut methods: Vec<&str> = route.endpoints.iter().map(|e| e.method).collect();
            let before = methods.len();
            methods.sort_unstable();
            methods.dedup();
            assert_eq!(before, methods.len(), "{}", route.path);
            assert!(!methods.contains(&"HEAD") && !methods.contains(&"OPTIONS"));
        }
    }

    #[test]
    fn collections_answer_under_one_label() {
        let users = by_router_path("/api/v1/users").map(|r| r.path);
        assert_eq!(users, Some("/api/v1/users/"));
        assert_eq!(
            by_router_path("/api/v1/users/").map(|r| r.path),
            Some("/api/v1/users/")
        );
        assert!(by_router_path("/docs").is_some_and(|r| r.path == "/docs"));
        assert!(by_router_path("/api/v1/unknown").is_none());
    }
}
