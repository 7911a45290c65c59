//! The account-lifecycle operations (password change/reset, e-mail verification, sessions) and
//! their schemas, kept beside the main table so each file stays readable.

use serde_json::{Map, Value, json};

use super::operations::{AUTH, Auth, Body, Operation, USER_404, USERS};
use super::schemas::view_schema;
use crate::domain::limits::{PASSWORD_MAX, PASSWORD_MIN};
use crate::http::views::{SessionListView, SessionView, SessionsRevokedView};

const INVALID_TOKEN_400: (u16, &str) = (
    400,
    "`BAD_REQUEST` `Invalid or expired token` (unknown, malformed, expired, used, superseded, other purpose, or the account changed)",
);

pub const ACCOUNT_OPERATIONS: &[Operation] = &[
    Operation {
        operation_id: "change_password",
        tag: AUTH,
        summary: "Change the caller's password",
        description: "Verifies `current_password`, stores the new one, revokes every other live session of the caller (the current one stays) and sends a notification e-mail. Rate limit `RATE_LIMIT_PASSWORD_CHANGE` (5/minute).",
        auth: Auth::Access(&[]),
        query: &[],
        request: Some("PasswordChangeRequest"),
        status: 200,
        success: "Password changed (`Password changed successfully`)",
        body: Body::Json("SessionsRevokedResponse"),
        errors: &[(
            422,
            "`VALIDATION_ERROR`; also `current_password`: `Value error, Current password is incorrect` and `new_password`: `Value error, New password must be different from the current password`",
        )],
    },
    Operation {
        operation_id: "forgot_password",
        tag: AUTH,
        summary: "Ask for a password reset link",
        description: "Always 202 for a valid body, whether or not an account has the address; a live, active account gets a reset link by e-mail (at most one per minute). Rate limit `RATE_LIMIT_PASSWORD_FORGOT` (5/hour).",
        auth: Auth::Public,
        query: &[],
        request: Some("EmailRequest"),
        status: 202,
        success: "Accepted (the same answer for every address)",
        body: Body::Json("MessageResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "reset_password",
        tag: AUTH,
        summary: "Set a new password with a reset token",
        description: "Consumes the token (single use), stores the new password, marks the address verified and revokes every session of the account. Rate limit `RATE_LIMIT_PASSWORD_RESET` (10/hour).",
        auth: Auth::Public,
        query: &[],
        request: Some("PasswordResetRequest"),
        status: 200,
        success: "Password reset",
        body: Body::Json("SessionsRevokedResponse"),
        errors: &[INVALID_TOKEN_400],
    },
    Operation {
        operation_id: "request_email_verification",
        tag: AUTH,
        summary: "Ask for a verification link",
        description: "Always 202 for a valid body; a live, active, unverified account gets a verification link (at most one per minute). Rate limit `RATE_LIMIT_EMAIL_VERIFY` (5/hour).",
        auth: Auth::Public,
        query: &[],
        request: Some("EmailRequest"),
        status: 202,
        success: "Accepted (the same answer for every address)",
        body: Body::Json("MessageResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "verify_email",
        tag: AUTH,
        summary: "Verify an address with its token",
        description: "Consumes the verification token and records the address as verified (`Email address verified`). Rate limit `RATE_LIMIT_EMAIL_VERIFY` (5/hour).",
        auth: Auth::Public,
        query: &[],
        request: Some("EmailVerifyRequest"),
        status: 200,
        success: "Address verified",
        body: Body::Json("MessageResponse"),
        errors: &[INVALID_TOKEN_400],
    },
    Operation {
        operation_id: "list_own_sessions",
        tag: AUTH,
        summary: "The caller's live sessions",
        description: "Newest first, at most 100; `current` marks the session of the presented token. Also answers at `/api/v1/auth/sessions`.",
        auth: Auth::Access(&[]),
        query: &[],
        request: None,
        status: 200,
        success: "Live sessions",
        body: Body::Json("SessionListResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "revoke_other_sessions",
        tag: AUTH,
        summary: "Revoke the caller's other sessions",
        description: "Revokes every live session of the caller except the current one. Also answers at `/api/v1/auth/sessions`.",
        auth: Auth::Access(&[]),
        query: &[],
        request: None,
        status: 200,
        success: "Other sessions revoked",
        body: Body::Json("SessionsRevokedResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "revoke_own_session",
        tag: AUTH,
        summary: "Revoke one of the caller's sessions",
        description: "The current session may be revoked too (a logout).",
        auth: Auth::Access(&[]),
        query: &[],
        request: None,
        status: 200,
        success: "Session revoked",
        body: Body::Json("MessageResponse"),
        errors: &[(
            404,
            "`RESOURCE_NOT_FOUND` `Session not found` (not the caller's, unknown, already revoked, expired, or not a UUID)",
        )],
    },
    Operation {
        operation_id: "list_user_sessions",
        tag: USERS,
        summary: "A user's live sessions",
        description: "Allowed on the caller's own account, otherwise needs the permission, checked before the user is looked up.",
        auth: Auth::Access(&["users:read"]),
        query: &[],
        request: None,
        status: 200,
        success: "Live sessions",
        body: Body::Json("SessionListResponse"),
        errors: &[USER_404],
    },
    Operation {
        operation_id: "revoke_user_sessions",
        tag: USERS,
        summary: "Revoke all of a user's sessions",
        description: "Allowed on the caller's own account (the current session included), otherwise needs the permission and, for another user, all of that user's permissions (the target guard).",
        auth: Auth::Access(&["users:update"]),
        query: &[],
        request: None,
        status: 200,
        success: "Sessions revoked",
        body: Body::Json("SessionsRevokedResponse"),
        errors: &[
            (
                403,
                "Missing permission (`require_all: false`), deactivated account, or the target guard (`require_all: true`)",
            ),
            USER_404,
        ],
    },
];

fn envelope(data: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "success": {"const": true},
            "data": data,
            "error": {"type": "null"},
            "meta": {"type": "null"},
        },
        "required": ["success", "data", "error", "meta"],
        "additionalProperties": false,
    })
}

fn new_password() -> Value {
    json!({"type": "string", "minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX, "description": "Stripped; at least one upper-case letter, one lower-case letter and one digit"})
}

fn token() -> Value {
    json!({"type": "string", "description": "The token from the e-mail link (43 characters, base64url)"})
}

pub fn schemas(schemas: &mut Map<String, Value>) {
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.into(), schema);
    };
    add(
        "PasswordChangeRequest",
        json!({
            "type": "object",
            "properties": {
                "current_password": {"type": "string", "minLength": 1, "description": "Not stripped"},
                "new_password": new_password(),
            },
            "required": ["current_password", "new_password"],
        }),
    );
    add(
        "EmailRequest",
        json!({
            "type": "object",
            "properties": {"email": {"type": "string", "format": "email"}},
            "required": ["email"],
        }),
    );
    add(
        "PasswordResetRequest",
        json!({
            "type": "object",
            "properties": {"token": token(), "new_password": new_password()},
            "required": ["token", "new_password"],
        }),
    );
    add(
        "EmailVerifyRequest",
        json!({
            "type": "object",
            "properties": {"token": token()},
            "required": ["token"],
        }),
    );
    add("Session", view_schema::<SessionView>());
    add(
        "SessionListResponse",
        envelope(view_schema::<SessionListView>()),
    );
    add(
        "SessionsRevokedResponse",
        envelope(view_schema::<SessionsRevokedView>()),
    );
}
