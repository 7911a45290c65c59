//! The OpenAPI 3.1 document, built from the code: the documented endpoints of the route table
//! ([`crate::http::routes::table`]) with the operation metadata of [`operations`] they name, the
//! component schemas of [`schemas`], and the status rules — 401/403 on protected operations,
//! 422 where there is a body, a query or a `{user_id}`, 429 where the rate limiter's own
//! [`rate_class`] limits the endpoint.
//!
//! Hand-built with `serde_json` rather than utoipa's derive macros: the handlers take raw JSON and
//! validate it themselves (each failing field needs its exact message), so there are no typed
//! request structs to derive from, and the error statuses follow rules rather than per-handler
//! annotations.

pub mod account;
pub mod operations;
pub mod schemas;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::http::middleware::rate_limit::rate_class;
use crate::http::routes::table::{self, Route};
use crate::ratelimit::RateClass;
use operations::{Auth, Body, OPERATIONS_TABLE, Operation, QueryKind, TAGS};
use schemas::reference;

/// A documented endpoint: where the route table routes it, and what the document says.
#[derive(Debug, Clone, Copy)]
pub struct Documented {
    pub route: &'static Route,
    pub method: &'static str,
    pub op: &'static Operation,
}

impl Documented {
    fn path(&self) -> &'static str {
        self.route.path
    }

    /// Whether the endpoint is rate limited, by the rule the limiter enforces.
    pub fn rate_limited(&self) -> bool {
        rate_class(self.route, self.method) != RateClass::Exempt
    }

    fn has_user_id(&self) -> bool {
        self.path().contains("{user_id}")
    }
}

/// The operation metadata with this id.
fn by_id(id: &str) -> Option<&'static Operation> {
    OPERATIONS_TABLE
        .iter()
        .chain(account::ACCOUNT_OPERATIONS)
        .find(|op| op.operation_id == id)
}

/// Every documented endpoint, in route-table order. The pages and the documentation itself
/// name no operation and are left out.
pub fn all_operations() -> impl Iterator<Item = Documented> {
    table::endpoints().filter_map(|(route, endpoint)| {
        Some(Documented {
            route,
            method: endpoint.method,
            op: by_id(endpoint.operation?)?,
        })
    })
}

/// The error statuses an operation documents, with their descriptions: the statuses that follow
/// from its auth, input and rate limit, then its own.
pub fn error_statuses(documented: &Documented) -> BTreeMap<u16, String> {
    let op = documented.op;
    let mut statuses = BTreeMap::new();
    match op.auth {
        Auth::Public => {}
        Auth::Access(permissions) => {
            statuses.insert(
                401,
                "`UNAUTHORIZED` (no bearer token, user missing or deleted), `TOKEN_INVALID` (malformed, wrong type, revoked session) or `TOKEN_EXPIRED`".to_string(),
            );
            let forbidden = if permissions.is_empty() {
                "`FORBIDDEN` `User account is deactivated`".to_string()
            } else {
                format!(
                    "`FORBIDDEN`: deactivated account, or `Insufficient permissions` with `details.required_permissions` = {:?}, `require_all: false`",
                    permissions
                )
            };
            statuses.insert(403, forbidden);
        }
        Auth::Refresh => {
            statuses.insert(
                401,
                "`UNAUTHORIZED`, `TOKEN_INVALID` or `TOKEN_EXPIRED`".to_string(),
            );
            statuses.insert(403, "`FORBIDDEN` `User account is deactivated`".to_string());
        }
    }
    if op.request.is_some() || !op.query.is_empty() || documented.has_user_id() {
        statuses.insert(
            422,
            "`VALIDATION_ERROR` `Validation failed`; `details` maps each failing field (or `body`) to its message".to_string(),
        );
    }
    if op.request.is_some() {
        statuses.insert(
            413,
            "`PAYLOAD_TOO_LARGE`: body above `MAX_BODY_BYTES`".to_string(),
        );
    }
    if documented.rate_limited() {
        statuses.insert(
            429,
            "`RATE_LIMIT_EXCEEDED` `Too many requests. Please try again later.`, with `Retry-After`".to_string(),
        );
    }
    for (status, description) in op.errors {
        statuses.insert(*status, (*description).to_string());
    }
    statuses
}

fn error_schema(op: &Operation, status: u16) -> &'static str {
    match (status, op.body) {
        (_, Body::Json("ReadinessResponse")) => "ReadinessResponse",
        (403, _) => "ForbiddenErrorResponse",
        (422, _) => "ValidationErrorResponse",
        _ => "ErrorResponse",
    }
}

fn json_content(schema: &str) -> Value {
    json!({"application/json": {"schema": reference(schema)}})
}

fn path_parameter(name: &str) -> Value {
    match name {
        "user_id" => json!({
            "name": "user_id", "in": "path", "required": true,
            "description": "User id: ASCII digits (anything else is 404); 0 is a 422; above 2147483647 is a missing user",
            "schema": {"type": "integer", "minimum": 1},
        }),
        "session_id" => json!({
            "name": "session_id", "in": "path", "required": true,
            "description": "Session id (UUID); anything else is 404 `Session not found`",
            "schema": {"type": "string", "format": "uuid"},
        }),
        "role_name" => json!({
            "name": "role_name", "in": "path", "required": true,
            "description": "Exact (case-sensitive) role name",
            "schema": {"type": "string", "minLength": 1},
        }),
        other => json!({
            "name": other, "in": "path", "required": true,
            "description": "Exact permission name, e.g. `users:read`",
            "schema": {"type": "string", "minLength": 1},
        }),
    }
}

fn query_parameter(query: &operations::Query) -> Value {
    let schema = match query.kind {
        QueryKind::Int { min, max, default } => {
            let mut schema = json!({"type": "integer", "minimum": min, "default": default});
            if let (Some(max), Some(fields)) = (max, schema.as_object_mut()) {
                fields.insert("maximum".into(), json!(max));
            }
            schema
        }
        QueryKind::Bool { default } => json!({"type": "boolean", "default": default}),
        QueryKind::Id => json!({"type": "integer", "minimum": 1}),
        QueryKind::Text => json!({"type": "string"}),
    };
    json!({
        "name": query.name, "in": "query", "required": false,
        "description": query.description, "schema": schema,
    })
}

fn auth_note(op: &Operation) -> String {
    match op.auth {
        Auth::Public => "Public.".to_string(),
        Auth::Refresh => "Requires a refresh token.".to_string(),
        Auth::Access([]) => "Requires an access token.".to_string(),
        Auth::Access(permissions) => format!(
            "Requires an access token with any of: {}.",
            permissions
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn operation(documented: &Documented) -> Value {
    let op = documented.op;
    let mut responses = Map::new();
    let success = match op.body {
        Body::Json(schema) => json!({"description": op.success, "content": json_content(schema)}),
        Body::Metrics => json!({
            "description": op.success,
            "content": {"text/plain; version=0.0.4; charset=utf-8": {"schema": {"type": "string"}}},
        }),
    };
    responses.insert(op.status.to_string(), success);
    for (status, description) in error_statuses(documented) {
        responses.insert(
            status.to_string(),
            json!({"description": description, "content": json_content(error_schema(op, status))}),
        );
    }
    let mut parameters: Vec<Value> = documented
        .path()
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(path_parameter)
        .collect();
    parameters.extend(op.query.iter().map(query_parameter));
    let rate = if documented.rate_limited() {
        " Rate limited."
    } else {
        " Not rate limited."
    };
    let mut fields = Map::new();
    fields.insert("operationId".into(), json!(op.operation_id));
    fields.insert("tags".into(), json!([op.tag]));
    fields.insert("summary".into(), json!(op.summary));
    fields.insert(
        "description".into(),
        json!(format!("{} {}{}", op.description, auth_note(op), rate)),
    );
    fields.insert("responses".into(), Value::Object(responses));
    if !parameters.is_empty() {
        fields.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(schema) = op.request {
        fields.insert(
            "requestBody".into(),
            json!({"required": true, "content": json_content(schema)}),
        );
    }
    if op.auth != Auth::Public {
        fields.insert("security".into(), json!([{"jwt": []}]));
    }
    Value::Object(fields)
}

/// The whole document.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for documented in all_operations() {
        let item = paths
            .entry(documented.path().to_string())
            .or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(
                documented.method.to_ascii_lowercase(),
                operation(&documented),
            );
        }
    }
    let tags: Vec<Value> = TAGS
        .iter()
        .map(|(name, description)| json!({"name": name, "description": description}))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "warden API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "User management, JWT authentication with server-side sessions, RBAC and rate limiting. Every `/api/v1` response uses the envelope `{success, data, error, meta}`; errors carry `error.code`, `error.message` and `meta.request_id`.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas::all(),
            "securitySchemes": {
                "jwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Access token from `POST /api/v1/auth/login` (the refresh token for `POST /api/v1/auth/refresh`)",
                },
            },
        },
    })
}

/// The document as pretty JSON with a final newline (`warden openapi`).
pub fn document_pretty() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_named_by_exactly_one_endpoint() {
        let mut named: Vec<&str> = table::endpoints()
            .filter_map(|(_, endpoint)| endpoint.operation)
            .collect();
        let mut defined: Vec<&str> = OPERATIONS_TABLE
            .iter()
            .chain(account::ACCOUNT_OPERATIONS)
            .map(|op| op.operation_id)
            .collect();
        named.sort_unstable();
        defined.sort_unstable();
        assert_eq!(named, defined);
    }

    #[test]
    fn the_api_and_the_operational_endpoints_are_documented_and_nothing_else() {
        for (route, endpoint) in table::endpoints() {
            let documented = route.path.starts_with("/api/v1/")
                || matches!(route.path, "/livez" | "/readyz" | "/metrics");
            assert_eq!(
                endpoint.operation.is_some(),
                documented,
                "{} {}",
                endpoint.method,
                route.path
            );
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut ids: Vec<&str> = all_operations().map(|d| d.op.operation_id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len());
    }

    #[test]
    fn every_schema_reference_resolves() {
        let document = document();
        let text = document.to_string();
        let schemas = &document["components"]["schemas"];
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| *c != '"').collect();
            assert!(schemas.get(&name).is_some(), "unresolved $ref {name}");
        }
    }
}
