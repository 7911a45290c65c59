//! Handlers, one module per resource, and the table of which methods each path supports
//! (the single source for `Allow` headers, 405s and rate-limit eligibility).

pub mod account;
pub mod account_pages;
pub mod audit;
pub mod auth;
pub mod docs;
pub mod health;
pub mod pages;
pub mod permissions;
pub mod roles;
pub mod sessions;
pub mod users;

/// Canonical route template → supported methods (without HEAD/OPTIONS, which follow from these).
pub const ROUTE_METHODS: &[(&str, &[&str])] = &[
    ("/", &["GET"]),
    ("/health", &["GET"]),
    ("/livez", &["GET"]),
    ("/readyz", &["GET"]),
    ("/metrics", &["GET"]),
    ("/reset-password", &["GET"]),
    ("/verify-email", &["GET"]),
    ("/openapi.json", &["GET"]),
    ("/openapi/openapi.json", &["GET"]),
    ("/openapi/", &["GET"]),
    ("/openapi/swagger", &["GET"]),
    ("/openapi/redoc", &["GET"]),
    ("/docs", &["GET"]),
    ("/docs/", &["GET"]),
    ("/docs/{asset}", &["GET"]),
    ("/redoc", &["GET"]),
    ("/redoc/", &["GET"]),
    ("/redoc/{asset}", &["GET"]),
    ("/api/v1/", &["GET"]),
    ("/api/v1/health", &["GET"]),
    ("/api/v1/auth/register", &["POST"]),
    ("/api/v1/auth/login", &["POST"]),
    ("/api/v1/auth/logout", &["POST"]),
    ("/api/v1/auth/refresh", &["POST"]),
    ("/api/v1/auth/me", &["GET"]),
    ("/api/v1/auth/password/change", &["POST"]),
    ("/api/v1/auth/password/forgot", &["POST"]),
    ("/api/v1/auth/password/reset", &["POST"]),
    ("/api/v1/auth/email/verify/request", &["POST"]),
    ("/api/v1/auth/email/verify", &["POST"]),
    ("/api/v1/auth/sessions/", &["GET", "DELETE"]),
    ("/api/v1/auth/sessions/{session_id}", &["DELETE"]),
    ("/api/v1/users/", &["GET"]),
    ("/api/v1/users/{user_id}", &["GET", "PUT", "DELETE"]),
    ("/api/v1/users/{user_id}/sessions", &["GET", "DELETE"]),
    ("/api/v1/admin/roles/", &["GET", "POST"]),
    ("/api/v1/admin/roles/{role_name}", &["GET", "PUT", "DELETE"]),
    ("/api/v1/admin/roles/users/{user_id}", &["GET", "POST"]),
    (
        "/api/v1/admin/roles/users/{user_id}/{role_name}",
        &["DELETE"],
    ),
    ("/api/v1/admin/permissions/", &["GET"]),
    ("/api/v1/admin/permissions/{permission_name}", &["GET"]),
    (
        "/api/v1/admin/permissions/users/{user_id}",
        &["GET", "POST"],
    ),
    (
        "/api/v1/admin/permissions/users/{user_id}/{permission_name}",
        &["DELETE"],
    ),
    ("/api/v1/admin/audit-events/", &["GET"]),
];

/// The methods a canonical route supports (empty for unknown routes).
pub fn route_methods(route: &str) -> &'static [&'static str] {
    ROUTE_METHODS
        .iter()
        .find(|(r, _)| *r == route)
        .map_or(&[], |(_, m)| m)
}

/// The `Allow` value (§1.12): the methods, HEAD with GET, OPTIONS; sorted; `, `-joined.
pub fn allow_header(methods: &[&str]) -> String {
    let mut all: Vec<&str> = methods.to_vec();
    if methods.contains(&"GET") {
        all.push("HEAD");
    }
    all.push("OPTIONS");
    all.sort_unstable();
    all.dedup();
    all.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_follow_the_contract_examples() {
        assert_eq!(
            allow_header(route_methods("/api/v1/users/{user_id}")),
            "DELETE, GET, HEAD, OPTIONS, PUT"
        );
        assert_eq!(
            allow_header(route_methods("/api/v1/auth/login")),
            "OPTIONS, POST"
        );
        assert_eq!(
            allow_header(route_methods("/api/v1/admin/roles/")),
            "GET, HEAD, OPTIONS, POST"
        );
        assert_eq!(allow_header(route_methods("/livez")), "GET, HEAD, OPTIONS");
    }
}
