//! Component schemas of the OpenAPI document (JSON Schema 2020-12, as OpenAPI 3.1 uses it).
//!
//! The object shapes (user, role, permission, page meta) are derived from the typed views
//! (`http::views`, `utoipa::ToSchema`); the variants with a folded `message` or extra lists are
//! built from the derived shape, so neither can drift from what the handlers render.
//! Response objects are closed (`additionalProperties: false`): a real body with an unexpected key
//! contradicts the document, which the schemathesis run and the API tests catch.

use serde_json::{Map, Value, json};

use crate::domain::LOGIN_MAX_LEN;
use crate::domain::limits::{
    BIO_MAX, DESCRIPTION_MAX, DISPLAY_MAX, DISPLAY_MIN, EMAIL_MAX, NAME_MAX, PASSWORD_MAX,
    PASSWORD_MIN, REASON_MAX, ROLE_MAX, ROLE_MIN, ROLE_NAME_MAX, ROLE_NAME_MIN, USERNAME_MAX,
    USERNAME_MIN, USERNAME_PATTERN,
};
use crate::http::views::health::{ApiHealthView, LivenessView, ReadinessView, WelcomeView};
use crate::http::views::{
    MessageView, PageMeta, PermissionView, RoleView, TokenPairView, UserPermissionsView,
    UserRolesView, UserView,
};

/// The error codes the API answers with (plus the two legacy codes the original's enum had).
pub const ERROR_CODES: &[&str] = &[
    "BAD_REQUEST",
    "UNAUTHORIZED",
    "INVALID_CREDENTIALS",
    "TOKEN_INVALID",
    "TOKEN_EXPIRED",
    "FORBIDDEN",
    "NOT_FOUND",
    "RESOURCE_NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "CONFLICT",
    "RESOURCE_ALREADY_EXISTS",
    "PAYLOAD_TOO_LARGE",
    "VALIDATION_ERROR",
    "RATE_LIMIT_EXCEEDED",
    "INTERNAL_ERROR",
    "DATABASE_ERROR",
    "SERVICE_UNAVAILABLE",
    "INVALID_INPUT",
    "MISSING_FIELD",
];

/// `{"$ref": "#/components/schemas/<name>"}`.
pub fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn string() -> Value {
    json!({"type": "string"})
}

fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}

fn names() -> Value {
    json!({"type": "array", "items": {"type": "string"}, "description": "Sorted by byte order"})
}

fn length(min: Option<usize>, max: usize, nullable: bool) -> Value {
    let mut schema = Map::new();
    schema.insert(
        "type".into(),
        if nullable {
            json!(["string", "null"])
        } else {
            json!("string")
        },
    );
    if let Some(min) = min {
        schema.insert("minLength".into(), json!(min));
    }
    schema.insert("maxLength".into(), json!(max));
    Value::Object(schema)
}

/// A closed object: every listed property is required unless named in `optional`.
fn object(properties: Vec<(&str, Value)>, optional: &[&str]) -> Value {
    let required: Vec<&str> = properties
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !optional.contains(name))
        .collect();
    let properties: Map<String, Value> = properties
        .into_iter()
        .map(|(name, schema)| (name.to_string(), schema))
        .collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// A success envelope around `data`, with `meta` (`null` unless a list route).
fn success(data: Value, meta: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "success": {"const": true},
            "data": data,
            "error": {"type": "null"},
            "meta": meta,
        },
        "required": ["success", "data", "error", "meta"],
        "additionalProperties": false,
    })
}

fn single(data: Value) -> Value {
    success(data, json!({"type": "null"}))
}

fn integer(min: u32) -> Value {
    json!({"type": "integer", "minimum": min})
}

/// The error envelope with the given `error.details` schema (`None`: never present).
fn error_envelope(details: Option<(Value, bool)>, description: &str) -> Value {
    let mut error = vec![("code", reference("ErrorCode")), ("message", string())];
    let mut optional: Vec<&str> = Vec::new();
    if let Some((schema, required)) = details {
        error.push(("details", schema));
        if !required {
            optional.push("details");
        }
    }
    json!({
        "type": "object",
        "description": description,
        "properties": {
            "success": {"const": false},
            "data": {"type": "null"},
            "error": object(error, &optional),
            "meta": object(vec![("request_id", json!({"type": "string", "description": "Equals the X-Request-ID response header"}))], &[]),
        },
        "required": ["success", "data", "error", "meta"],
        "additionalProperties": false,
    })
}

fn request_schemas(schemas: &mut Map<String, Value>) {
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.into(), schema);
    };
    add(
        "UserCreateSchema",
        json!({
            "type": "object",
            "description": "Registration. Every string is stripped first; username is lower-cased, names title-cased, the email normalised (trimmed, domain lower-cased). Unknown keys are ignored.",
            "properties": {
                "username": {"type": "string", "minLength": USERNAME_MIN, "maxLength": USERNAME_MAX, "pattern": USERNAME_PATTERN},
                "email": {"type": "string", "format": "email", "maxLength": EMAIL_MAX, "description": format!("At most {EMAIL_MAX} characters after normalisation")},
                "password": {"type": "string", "minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX, "description": "At least one upper-case letter, one lower-case letter and one digit"},
                "first_name": length(Some(1), NAME_MAX, false),
                "middle_name": length(None, NAME_MAX, true),
                "last_name": length(None, NAME_MAX, true),
                "bio": length(None, BIO_MAX, true),
            },
            "required": ["username", "email", "password", "first_name"],
        }),
    );
    add(
        "LoginRequest",
        json!({
            "type": "object",
            "description": "Login. The email is trimmed and normalised; the password is not stripped.",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "password": {"type": "string", "minLength": 1, "maxLength": LOGIN_MAX_LEN},
            },
            "required": ["email", "password"],
        }),
    );
    add(
        "UserUpdateSchema",
        json!({
            "type": "object",
            "description": "Partial update: at least one of the five fields; strings stripped; explicit null clears middle_name/last_name/bio. Setting is_active needs users:update (and the target guard for another user).",
            "properties": {
                "first_name": length(Some(1), NAME_MAX, false),
                "middle_name": length(None, NAME_MAX, true),
                "last_name": length(None, NAME_MAX, true),
                "bio": length(None, BIO_MAX, true),
                "is_active": {"type": "boolean"},
            },
            "minProperties": 1,
        }),
    );
    add(
        "RoleCreateSchema",
        json!({
            "type": "object",
            "description": format!("Role creation. name is stripped and lower-cased, then {ROLE_MIN}-{ROLE_MAX} letters, digits and underscores."),
            "properties": {
                "name": {"type": "string", "minLength": ROLE_MIN, "maxLength": ROLE_MAX},
                "display_name": {"type": "string", "minLength": DISPLAY_MIN, "maxLength": DISPLAY_MAX},
                "description": length(None, DESCRIPTION_MAX, true),
                "permissions": {"type": "array", "items": {"type": "string"}, "default": []},
                "parent_role": {"type": ["string", "null"], "description": "null or \"\" = no parent"},
            },
            "required": ["name", "display_name"],
        }),
    );
    add(
        "RoleUpdateSchema",
        json!({
            "type": "object",
            "description": "Role update; every field optional, {} is a no-op. permissions replaces the set (unknown names skipped); parent_role \"\" clears the parent.",
            "properties": {
                "display_name": {"type": ["string", "null"], "minLength": DISPLAY_MIN, "maxLength": DISPLAY_MAX},
                "description": length(None, DESCRIPTION_MAX, true),
                "permissions": {"type": ["array", "null"], "items": {"type": "string"}},
                "parent_role": nullable_string(),
            },
        }),
    );
    add(
        "RoleAssignSchema",
        json!({
            "type": "object",
            "description": "Role assignment; role_name is used as given.",
            "properties": {"role_name": {"type": "string", "minLength": ROLE_NAME_MIN, "maxLength": ROLE_NAME_MAX}},
            "required": ["role_name"],
        }),
    );
    add(
        "DirectPermissionGrantSchema",
        json!({
            "type": "object",
            "description": "Direct permission grant; permission must contain ':' and is lower-cased and stripped.",
            "properties": {
                "permission": {"type": "string", "pattern": ":", "description": "resource:action"},
                "reason": length(None, REASON_MAX, true),
            },
            "required": ["permission"],
        }),
    );
}

fn shape_schemas(schemas: &mut Map<String, Value>) {
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.into(), schema);
    };
    add("User", view_schema::<UserView>());
    add("UserWithMessage", with_message(view_schema::<UserView>()));
    let role = || view_schema::<RoleView>();
    add("Role", role());
    add("RoleWithPermissions", required(role(), "permissions"));
    add(
        "RoleWithMessage",
        with_message(required(role(), "permissions")),
    );
    add(
        "RoleDetail",
        extended(
            required(role(), "permissions"),
            vec![
                ("all_permissions", names()),
                ("inherited_permissions", names()),
            ],
        ),
    );
    add("Permission", view_schema::<PermissionView>());
    add("PageMeta", view_schema::<PageMeta>());
    add("UserListMeta", user_list_meta());
    add("ErrorCode", json!({"type": "string", "enum": ERROR_CODES}));
    add(
        "ValidationDetails",
        json!({
            "type": "object",
            "description": "Field name (list items `<field>.<index>`, whole-body problems `body`) → its first failing rule's message",
            "additionalProperties": {"type": "string"},
        }),
    );
    add(
        "PermissionDetails",
        object(
            vec![
                ("required_permissions", names()),
                (
                    "require_all",
                    json!({"type": "boolean", "description": "false: missing route permission (any one suffices); true: escalation guard (all needed)"}),
                ),
            ],
            &[],
        ),
    );
}

fn response_schemas(schemas: &mut Map<String, Value>) {
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.into(), schema);
    };
    add("WelcomeResponse", single(view_schema::<WelcomeView>()));
    add("ApiHealthResponse", single(view_schema::<ApiHealthView>()));
    add("MessageResponse", single(view_schema::<MessageView>()));
    add("UserResponse", single(reference("User")));
    add("UserMessageResponse", single(reference("UserWithMessage")));
    let tokens = || with_message(view_schema::<TokenPairView>());
    add(
        "LoginResponse",
        single(extended(tokens(), vec![("user", reference("User"))])),
    );
    add("TokenRefreshResponse", single(tokens()));
    add(
        "UserListResponse",
        success(
            json!({"type": "array", "items": reference("User")}),
            reference("UserListMeta"),
        ),
    );
    add(
        "RoleListResponse",
        success(
            json!({"type": "array", "items": reference("Role")}),
            reference("PageMeta"),
        ),
    );
    add("RoleMessageResponse", single(reference("RoleWithMessage")));
    add("RoleDetailResponse", single(reference("RoleDetail")));
    add("UserRolesResponse", single(view_schema::<UserRolesView>()));
    add(
        "PermissionListResponse",
        success(
            json!({"type": "array", "items": reference("Permission")}),
            reference("PageMeta"),
        ),
    );
    add("PermissionResponse", single(reference("Permission")));
    add(
        "UserPermissionsResponse",
        single(view_schema::<UserPermissionsView>()),
    );
    add("LivenessResponse", view_schema::<LivenessView>());
    add("ReadinessResponse", view_schema::<ReadinessView>());
    add(
        "ErrorResponse",
        error_envelope(
            Some((
                json!({"anyOf": [reference("ValidationDetails"), reference("PermissionDetails")]}),
                false,
            )),
            "Error envelope; `details` only on 422 and on 403 permission/guard errors",
        ),
    );
    add(
        "ValidationErrorResponse",
        error_envelope(
            Some((reference("ValidationDetails"), true)),
            "422 VALIDATION_ERROR `Validation failed` with one message per failing field",
        ),
    );
    add(
        "ForbiddenErrorResponse",
        error_envelope(
            Some((reference("PermissionDetails"), false)),
            "403 FORBIDDEN; `details` present for permission and escalation-guard failures only",
        ),
    );
}

/// The JSON Schema utoipa derives for a typed view.
pub fn view_schema<T: utoipa::PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap_or_else(|_| json!({}))
}

/// A view's object schema with the route's success message folded in (`views::WithMessage`).
fn with_message(mut schema: Value) -> Value {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("message".into(), string());
    }
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.push(json!("message"));
    }
    schema
}

/// `property` of an object schema made required (the routes that always include it).
fn required(mut schema: Value, property: &str) -> Value {
    if let Some(list) = schema.get_mut("required").and_then(Value::as_array_mut) {
        list.push(json!(property));
    }
    schema
}

/// An object schema with more required properties (`#[serde(flatten)]` views, whose derived
/// schema would be an `allOf` that a closed object cannot express).
fn extended(mut schema: Value, extra: Vec<(&str, Value)>) -> Value {
    for (name, property) in extra {
        if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            properties.insert(name.into(), property);
        }
        schema = required(schema, name);
    }
    schema
}

/// `views::UserListMeta`: the page meta between the item count and the API version.
fn user_list_meta() -> Value {
    let mut schema = extended(
        view_schema::<PageMeta>(),
        vec![("api_version", json!({"const": "v1"}))],
    );
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("count".into(), integer(0));
    }
    if let Some(list) = schema.get_mut("required").and_then(Value::as_array_mut) {
        list.insert(0, json!("count"));
    }
    schema
}

/// Shapes rendered from typed views (`crate::http::views`).
fn view_schemas(schemas: &mut Map<String, Value>) {
    use crate::http::views::audit::{AuditEventListView, AuditEventView, AuditPageMetaView};
    schemas.insert("AuditEvent".into(), view_schema::<AuditEventView>());
    schemas.insert(
        "AuditEventListResponse".into(),
        success(
            view_schema::<AuditEventListView>(),
            view_schema::<AuditPageMetaView>(),
        ),
    );
}

/// Every component schema, by name.
pub fn all() -> Map<String, Value> {
    let mut schemas = Map::new();
    request_schemas(&mut schemas);
    shape_schemas(&mut schemas);
    response_schemas(&mut schemas);
    view_schemas(&mut schemas);
    super::account::schemas(&mut schemas);
    schemas
}
