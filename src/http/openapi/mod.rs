//! The OpenAPI 3.1 document (§5.25), built from the code: the operations of [`operations`]
//! (each checked against the router's `ROUTE_METHODS` table by the tests), the component schemas
//! of [`schemas`], and the status rules of §5.25 — 401/403 on protected operations, 422 where
//! there is a body, a query or a `{user_id}`, 429 where the limiter's own predicate
//! ([`crate::ratelimit::is_rate_limited`]) says the route is limited.
//!
//! Hand-built with `serde_json` rather than utoipa's derive macros: the handlers take raw JSON and
//! validate it themselves (§1.6 needs exact messages), so there are no typed request structs to
//! derive from, and the error statuses follow rules rather than per-handler annotations.

pub mod account;
pub mod operations;
pub mod schemas;

use std::collections::BTreeMap;

use axum::http::Method;
use serde_json::{Map, Value, json};

use operations::{Auth, Body, OPERATIONS_TABLE, Operation, QueryKind, TAGS};
use schemas::reference;

/// Every documented operation.
pub fn all_operations() -> impl Iterator<Item = &'static Operation> {
    OPERATIONS_TABLE.iter().chain(account::ACCOUNT_OPERATIONS)
}

/// Paths that are routed but deliberately not in the document: the HTML pages and the docs
/// themselves (§5.25 lists what the document covers).
pub const UNDOCUMENTED: &[&str] = &["/", "/health"];

/// Whether an operation is rate limited (§6.1), from the limiter's own rule.
pub fn rate_limited(op: &Operation) -> bool {
    Method::from_bytes(op.method.as_bytes())
        .is_ok_and(|method| crate::ratelimit::is_rate_limited(&method, op.path))
}

fn has_user_id(op: &Operation) -> bool {
    op.path.contains("{user_id}")
}

/// The error statuses an operation documents, with their descriptions (§5.25 rule + §5 table).
pub fn error_statuses(op: &Operation) -> BTreeMap<u16, String> {
    let mut statuses = BTreeMap::new();
    match op.auth {
        Auth::Public => {}
        Auth::Access(permissions) => {
            statuses.insert(
                401,
                "`UNAUTHORIZED` (no bearer token, user missing or deleted), `TOKEN_INVALID` (malformed, wrong type, revoked session) or `TOKEN_EXPIRED` (§2.6)".to_string(),
            );
            let forbidden = if permissions.is_empty() {
                "`FORBIDDEN` `User account is deactivated`".to_string()
            } else {
                format!(
                    "`FORBIDDEN`: deactivated account, or `Insufficient permissions` with `details.required_permissions` = {:?}, `require_all: false` (§3.9)",
                    permissions
                )
            };
            statuses.insert(403, forbidden);
        }
        Auth::Refresh => {
            statuses.insert(
                401,
                "`UNAUTHORIZED`, `TOKEN_INVALID` or `TOKEN_EXPIRED` (§2.6)".to_string(),
            );
            statuses.insert(403, "`FORBIDDEN` `User account is deactivated`".to_string());
        }
    }
    if op.request.is_some() || !op.query.is_empty() || has_user_id(op) {
        statuses.insert(
            422,
            "`VALIDATION_ERROR` `Validation failed`; `details` maps each failing field (or `body`) to its message (§1.6)".to_string(),
        );
    }
    if op.request.is_some() {
        statuses.insert(
            413,
            "`PAYLOAD_TOO_LARGE`: body above `MAX_BODY_BYTES` (§1.11)".to_string(),
        );
    }
    if rate_limited(op) {
        statuses.insert(
            429,
            "`RATE_LIMIT_EXCEEDED` `Too many requests. Please try again later.`, with `Retry-After` (§6.3)".to_string(),
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

fn operation(op: &Operation) -> Value {
    let mut responses = Map::new();
    let success = match op.body {
        Body::Json(schema) => json!({"description": op.success, "content": json_content(schema)}),
        Body::Metrics => json!({
            "description": op.success,
            "content": {"text/plain; version=0.0.4; charset=utf-8": {"schema": {"type": "string"}}},
        }),
    };
    responses.insert(op.status.to_string(), success);
    for (status, description) in error_statuses(op) {
        responses.insert(
            status.to_string(),
            json!({"description": description, "content": json_content(error_schema(op, status))}),
        );
    }
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(path_parameter)
        .collect();
    parameters.extend(op.query.iter().map(query_parameter));
    let rate = if rate_limited(op) {
        " Rate limited (§6)."
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
    for op in all_operations() {
        let item = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(op.method.to_ascii_lowercase(), operation(op));
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
    use crate::http::routes::ROUTE_METHODS;

    #[test]
    fn every_routed_api_operation_is_documented_and_nothing_else() {
        let mut routed: Vec<(String, String)> = ROUTE_METHODS
            .iter()
            .filter(|(path, _)| {
                !UNDOCUMENTED.contains(path)
                    && (path.starts_with("/api/v1/")
                        || matches!(*path, "/livez" | "/readyz" | "/metrics"))
            })
            .flat_map(|(path, methods)| methods.iter().map(|m| (m.to_string(), path.to_string())))
            .collect();
        let mut documented: Vec<(String, String)> = all_operations()
            .map(|op| (op.method.to_string(), op.path.to_string()))
            .collect();
        routed.sort();
        documented.sort();
        assert_eq!(routed, documented);
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut ids: Vec<&str> = all_operations().map(|op| op.operation_id).collect();
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
