//! One entry per documented operation: what the route table (`http::routes::table`) cannot say —
//! tag, auth, permissions, parameters, body and the statuses particular to the operation. The
//! table's endpoints refer to these entries by `operation_id`; the rule-based statuses (401/403
//! when protected, 422 with input, 429 when rate limited) are derived in `super::operation`,
//! the last one from the rate limiter's own `rate_class`.

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Public,
    /// A valid access token; the permissions (ANY of) are required unless empty.
    Access(&'static [&'static str]),
    /// A valid refresh token.
    Refresh,
}

/// A query parameter (JSON Schema of its value).
#[derive(Debug, Clone, Copy)]
pub struct Query {
    pub name: &'static str,
    pub kind: QueryKind,
    pub description: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub enum QueryKind {
    /// Integer with minimum, optional maximum and default.
    Int {
        min: i64,
        max: Option<i64>,
        default: i64,
    },
    Bool {
        default: bool,
    },
    /// A positive integer without default (an optional filter).
    Id,
    Text,
}

/// What a successful response carries.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// `application/json` with the named component schema.
    Json(&'static str),
    /// Prometheus text exposition.
    Metrics,
}

#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The route table's endpoint names its operation by this id and gives the method and path.
    pub operation_id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub auth: Auth,
    pub query: &'static [Query],
    /// Request body schema name.
    pub request: Option<&'static str>,
    pub status: u16,
    pub success: &'static str,
    pub body: Body,
    /// Statuses particular to the operation, with what they mean there.
    pub errors: &'static [(u16, &'static str)],
}

pub const HEALTH: &str = "Health (v1)";
pub const AUTH: &str = "Authentication (v1)";
pub const USERS: &str = "Users (v1)";
pub const ROLES: &str = "Roles Management";
pub const PERMISSIONS: &str = "Permissions Management";
pub const AUDIT: &str = "Audit Log";
pub const OPERATIONS: &str = "Operations";

/// Tags in display order, with their descriptions.
pub const TAGS: &[(&str, &str)] = &[
    (HEALTH, "Welcome and JSON health of the v1 API"),
    (AUTH, "Registration, login, token refresh and logout"),
    (
        USERS,
        "User accounts: anyone may read, edit (except is_active) and delete their own; other accounts need a permission",
    ),
    (ROLES, "RBAC roles and role assignments"),
    (PERMISSIONS, "RBAC permissions and direct grants"),
    (
        AUDIT,
        "Security audit events: logins, account and RBAC changes",
    ),
    (OPERATIONS, "Liveness, readiness and metrics for operators"),
];

const PAGE: Query = Query {
    name: "page",
    kind: QueryKind::Int {
        min: 1,
        max: None,
        default: 1,
    },
    description: "Page number, from 1; a page past the end is empty",
};

const fn per_page(default: i64) -> Query {
    Query {
        name: "per_page",
        kind: QueryKind::Int {
            min: 1,
            max: Some(100),
            default,
        },
        description: "Items per page (1-100)",
    }
}

const HASH_QUEUE_FULL: (u16, &str) = (
    503,
    "`SERVICE_UNAVAILABLE` with `Retry-After: 1`: the password-hashing queue is full (`HASH_QUEUE_MAX`)",
);
/// The missing-user answer of every operation with a `{user_id}`.
pub(super) const USER_404: (u16, &str) = (
    404,
    "`RESOURCE_NOT_FOUND` `User with id=<user_id> not found` (missing or soft-deleted); `NOT_FOUND` when `user_id` is not all digits",
);
const GUARD_403: (u16, &str) = (
    403,
    "Missing permission (`require_all: false`), deactivated account, or the privilege-escalation guard (`require_all: true`)",
);

const SELF_RULE: &str = "Allowed on the caller's own account, otherwise needs the permission; without it any other id gives 403, whether or not it exists.";

pub const OPERATIONS_TABLE: &[Operation] = &[
    Operation {
        operation_id: "welcome",
        tag: HEALTH,
        summary: "Welcome",
        description: "Service name, status and versions. Also answers at `/api/v1`.",
        auth: Auth::Public,
        query: &[],
        request: None,
        status: 200,
        success: "Welcome message",
        body: Body::Json("WelcomeResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "api_health",
        tag: HEALTH,
        summary: "JSON health",
        description: "Database and Redis status. Always 200.",
        auth: Auth::Public,
        query: &[],
        request: None,
        status: 200,
        success: "Health status (`degraded` when a dependency is down)",
        body: Body::Json("ApiHealthResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "register",
        tag: AUTH,
        summary: "Register a new account",
        description: "Creates an active account with an Argon2id hash; assigns the roles of `DEFAULT_ROLES` (none by default). Rate limit `RATE_LIMIT_REGISTER` (60/minute).",
        auth: Auth::Public,
        query: &[],
        request: Some("UserCreateSchema"),
        status: 201,
        success: "User created (`User created successfully`)",
        body: Body::Json("UserMessageResponse"),
        errors: &[
            (
                409,
                "`RESOURCE_ALREADY_EXISTS`: `Username already exists` or `Email already exists` (soft-deleted accounts included)",
            ),
            HASH_QUEUE_FULL,
        ],
    },
    Operation {
        operation_id: "login",
        tag: AUTH,
        summary: "Log in",
        description: "Verifies the credentials, creates a session and returns an access and a refresh token. Rate limit `RATE_LIMIT_LOGIN` (5/minute).",
        auth: Auth::Public,
        query: &[],
        request: Some("LoginRequest"),
        status: 200,
        success: "Logged in (`Login successful`)",
        body: Body::Json("LoginResponse"),
        errors: &[
            (
                401,
                "`INVALID_CREDENTIALS` `Invalid email or password` (unknown or deleted account, wrong password)",
            ),
            (403, "`FORBIDDEN` `User account is deactivated`"),
            (
                429,
                "`RATE_LIMIT_EXCEEDED`: `Too many requests. Please try again later.` (per-client limit) or `Too many failed attempts for this account. Please try again later.` (per-account throttle: `LOGIN_ACCOUNT_MAX_FAILURES` failures for this email within `LOGIN_ACCOUNT_WINDOW_SECS`), both with `Retry-After`",
            ),
            HASH_QUEUE_FULL,
        ],
    },
    Operation {
        operation_id: "logout",
        tag: AUTH,
        summary: "Log out",
        description: "Revokes the session of the access token; its access and refresh tokens then get 401 `Token has been revoked`. Body ignored.",
        auth: Auth::Access(&[]),
        query: &[],
        request: None,
        status: 200,
        success: "Session revoked (`Logout successful`)",
        body: Body::Json("MessageResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "refresh",
        tag: AUTH,
        summary: "Rotate the token pair",
        description: "Send the **refresh** token as the bearer token. Returns a new pair; reusing an old refresh token revokes the session. Body ignored.",
        auth: Auth::Refresh,
        query: &[],
        request: None,
        status: 200,
        success: "New token pair (`Token refreshed`)",
        body: Body::Json("TokenRefreshResponse"),
        errors: &[(
            401,
            "`TOKEN_INVALID` (access token given, revoked session, reuse detected), `TOKEN_EXPIRED`, `UNAUTHORIZED`",
        )],
    },
    Operation {
        operation_id: "me",
        tag: AUTH,
        summary: "The caller's account",
        description: "The user object of the access token's owner.",
        auth: Auth::Access(&[]),
        query: &[],
        request: None,
        status: 200,
        success: "The caller",
        body: Body::Json("UserResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "list_users",
        tag: USERS,
        summary: "List users",
        description: "Ordered by id. Also answers at `/api/v1/users`.",
        auth: Auth::Access(&["users:list"]),
        query: &[
            PAGE,
            per_page(20),
            Query {
                name: "include_deleted",
                kind: QueryKind::Bool { default: false },
                description: "Also list soft-deleted users",
            },
        ],
        request: None,
        status: 200,
        success: "A page of users",
        body: Body::Json("UserListResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "get_user",
        tag: USERS,
        summary: "Get a user",
        description: SELF_RULE,
        auth: Auth::Access(&["users:read"]),
        query: &[],
        request: None,
        status: 200,
        success: "The user",
        body: Body::Json("UserResponse"),
        errors: &[USER_404],
    },
    Operation {
        operation_id: "update_user",
        tag: USERS,
        summary: "Update a user (partial)",
        description: "Self may change profile fields; `is_active` or another user needs `users:update`, and setting `is_active` of another user passes the target guard. Deactivating revokes the user's sessions.",
        auth: Auth::Access(&["users:update"]),
        query: &[],
        request: Some("UserUpdateSchema"),
        status: 200,
        success: "Updated user (`User updated successfully`)",
        body: Body::Json("UserMessageResponse"),
        errors: &[USER_404, GUARD_403],
    },
    Operation {
        operation_id: "delete_user",
        tag: USERS,
        summary: "Soft-delete a user",
        description: "Self or `users:delete`; another user also passes the target guard. Revokes the user's sessions; name and email stay reserved.",
        auth: Auth::Access(&["users:delete"]),
        query: &[],
        request: None,
        status: 200,
        success: "Deleted (`User <user_id> deleted successfully`)",
        body: Body::Json("MessageResponse"),
        errors: &[USER_404, GUARD_403],
    },
    Operation {
        operation_id: "list_roles",
        tag: ROLES,
        summary: "List roles",
        description: "Non-deleted roles ordered by name. Also answers at `/api/v1/admin/roles`.",
        auth: Auth::Access(&["roles:list", "roles:read"]),
        query: &[
            Query {
                name: "include_permissions",
                kind: QueryKind::Bool { default: false },
                description: "Add each role's own `permissions`",
            },
            Query {
                name: "include_system",
                kind: QueryKind::Bool { default: true },
                description: "false: only non-system roles",
            },
            PAGE,
            per_page(20),
        ],
        request: None,
        status: 200,
        success: "A page of roles",
        body: Body::Json("RoleListResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "create_role",
        tag: ROLES,
        summary: "Create a role",
        description: "Creates a non-system role with the listed permissions and an optional parent; the caller must hold every permission the role would confer.",
        auth: Auth::Access(&["roles:create"]),
        query: &[],
        request: Some("RoleCreateSchema"),
        status: 201,
        success: "Role created (`Role '<name>' created successfully`)",
        body: Body::Json("RoleMessageResponse"),
        errors: &[
            (
                404,
                "`RESOURCE_NOT_FOUND` `Role not found: <parent_role>` or `Permission not found: <permission>`",
            ),
            (
                409,
                "`CONFLICT` `Role '<name>' already exists` (soft-deleted roles included)",
            ),
            GUARD_403,
        ],
    },
    Operation {
        operation_id: "get_role",
        tag: ROLES,
        summary: "Get a role",
        description: "The role with its own, inherited and all permissions.",
        auth: Auth::Access(&["roles:read"]),
        query: &[],
        request: None,
        status: 200,
        success: "The role",
        body: Body::Json("RoleDetailResponse"),
        errors: &[(
            404,
            "`RESOURCE_NOT_FOUND` `Role '<role_name>' not found` (missing or soft-deleted)",
        )],
    },
    Operation {
        operation_id: "update_role",
        tag: ROLES,
        summary: "Update a role",
        description: "Partial update; system roles may be updated. The caller must hold every permission the role's effective set gains or loses.",
        auth: Auth::Access(&["roles:update"]),
        query: &[],
        request: Some("RoleUpdateSchema"),
        status: 200,
        success: "Updated role (`Role '<role_name>' updated successfully`)",
        body: Body::Json("RoleMessageResponse"),
        errors: &[
            (
                400,
                "`BAD_REQUEST` `Setting parent role '<parent_role>' would create a cycle`",
            ),
            (
                404,
                "`RESOURCE_NOT_FOUND` `Role not found: <role_name>` or `Role not found: <parent_role>`",
            ),
            GUARD_403,
        ],
    },
    Operation {
        operation_id: "delete_role",
        tag: ROLES,
        summary: "Soft-delete a role",
        description: "Assignments stay but grant nothing; the name stays reserved. System roles cannot be deleted.",
        auth: Auth::Access(&["roles:delete"]),
        query: &[],
        request: None,
        status: 200,
        success: "Deleted (`Role '<role_name>' deleted successfully`)",
        body: Body::Json("MessageResponse"),
        errors: &[
            (
                404,
                "`RESOURCE_NOT_FOUND` `Role '<role_name>' not found` (missing or soft-deleted)",
            ),
            (
                403,
                "Missing permission, deactivated account, `Cannot delete system role '<role_name>'`, or the escalation guard",
            ),
        ],
    },
    Operation {
        operation_id: "get_user_roles",
        tag: ROLES,
        summary: "A user's roles",
        description: "The user's non-deleted roles with their permissions and the user's effective permissions.",
        auth: Auth::Access(&["roles:read", "users:read"]),
        query: &[],
        request: None,
        status: 200,
        success: "The user's roles",
        body: Body::Json("UserRolesResponse"),
        errors: &[USER_404],
    },
    Operation {
        operation_id: "assign_role",
        tag: ROLES,
        summary: "Assign a role to a user",
        description: "The caller must hold the role's effective permissions.",
        auth: Auth::Access(&["roles:assign"]),
        query: &[],
        request: Some("RoleAssignSchema"),
        status: 200,
        success: "Assigned (`Role '<role_name>' assigned to user '<username>'`)",
        body: Body::Json("MessageResponse"),
        errors: &[
            (400, "`BAD_REQUEST` `User already has role '<role_name>'`"),
            (
                404,
                "`RESOURCE_NOT_FOUND` `User with id=<user_id> not found` or `Role '<role_name>' not found`",
            ),
            GUARD_403,
        ],
    },
    Operation {
        operation_id: "revoke_role",
        tag: ROLES,
        summary: "Revoke a role from a user",
        description: "The caller must hold the role's effective permissions.",
        auth: Auth::Access(&["roles:revoke"]),
        query: &[],
        request: None,
        status: 200,
        success: "Revoked (`Role '<role_name>' revoked from user '<username>'`)",
        body: Body::Json("MessageResponse"),
        errors: &[
            (400, "`BAD_REQUEST` `User doesn't have role '<role_name>'`"),
            (
                404,
                "`RESOURCE_NOT_FOUND` `User with id=<user_id> not found` or `Role '<role_name>' not found`",
            ),
            GUARD_403,
        ],
    },
    Operation {
        operation_id: "list_permissions",
        tag: PERMISSIONS,
        summary: "List permissions",
        description: "Non-deleted permissions ordered by resource, then action. Also answers at `/api/v1/admin/permissions`.",
        auth: Auth::Access(&["permissions:list", "permissions:read"]),
        query: &[
            Query {
                name: "resource",
                kind: QueryKind::Text,
                description: "Exact resource filter; empty = no filter",
            },
            PAGE,
            per_page(50),
        ],
        request: None,
        status: 200,
        success: "A page of permissions",
        body: Body::Json("PermissionListResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "get_permission",
        tag: PERMISSIONS,
        summary: "Get a permission",
        description: "One permission by exact name, e.g. `users:read`.",
        auth: Auth::Access(&["permissions:read"]),
        query: &[],
        request: None,
        status: 200,
        success: "The permission",
        body: Body::Json("PermissionResponse"),
        errors: &[(
            404,
            "`RESOURCE_NOT_FOUND` `Permission '<permission_name>' not found` (missing or soft-deleted)",
        )],
    },
    Operation {
        operation_id: "get_user_permissions",
        tag: PERMISSIONS,
        summary: "A user's permissions",
        description: "Role, direct and effective permissions of a user.",
        auth: Auth::Access(&["permissions:read", "users:read"]),
        query: &[],
        request: None,
        status: 200,
        success: "The user's permissions",
        body: Body::Json("UserPermissionsResponse"),
        errors: &[USER_404],
    },
    Operation {
        operation_id: "grant_permission",
        tag: PERMISSIONS,
        summary: "Grant a direct permission",
        description: "The caller must hold the permission; `reason` is stored.",
        auth: Auth::Access(&["permissions:assign"]),
        query: &[],
        request: Some("DirectPermissionGrantSchema"),
        status: 200,
        success: "Granted (`Permission '<permission>' granted to user '<username>'`)",
        body: Body::Json("MessageResponse"),
        errors: &[
            (
                400,
                "`BAD_REQUEST` `User already has direct permission '<permission>'`",
            ),
            (
                404,
                "`RESOURCE_NOT_FOUND` `User with id=<user_id> not found` or `Permission '<permission>' not found`",
            ),
            GUARD_403,
        ],
    },
    Operation {
        operation_id: "revoke_permission",
        tag: PERMISSIONS,
        summary: "Revoke a direct permission",
        description: "The caller must hold the permission; the path value is used as-is.",
        auth: Auth::Access(&["permissions:revoke"]),
        query: &[],
        request: None,
        status: 200,
        success: "Revoked (`Permission '<permission_name>' revoked from user '<username>'`)",
        body: Body::Json("MessageResponse"),
        errors: &[
            (
                400,
                "`BAD_REQUEST` `User doesn't have direct permission '<permission_name>'`",
            ),
            (
                404,
                "`RESOURCE_NOT_FOUND` `User with id=<user_id> not found` or `Permission '<permission_name>' not found`",
            ),
            GUARD_403,
        ],
    },
    Operation {
        operation_id: "list_audit_events",
        tag: AUDIT,
        summary: "List audit events",
        description: "Security audit events, newest first, with an opaque keyset cursor (stable while new events arrive). Also answers at `/api/v1/admin/audit-events`.",
        auth: Auth::Access(&["audit:read"]),
        query: &[
            Query {
                name: "event",
                kind: QueryKind::Text,
                description: "An event name (`auth.login_failed`) or a prefix ending in `.` (`auth.`)",
            },
            Query {
                name: "user_id",
                kind: QueryKind::Id,
                description: "Events whose actor or subject is this user",
            },
            Query {
                name: "since",
                kind: QueryKind::Text,
                description: "RFC 3339 timestamp, inclusive",
            },
            Query {
                name: "until",
                kind: QueryKind::Text,
                description: "RFC 3339 timestamp, exclusive",
            },
            Query {
                name: "limit",
                kind: QueryKind::Int {
                    min: 1,
                    max: Some(200),
                    default: 50,
                },
                description: "Events per page (1-200)",
            },
            Query {
                name: "cursor",
                kind: QueryKind::Text,
                description: "`meta.next_cursor` of the previous page",
            },
        ],
        request: None,
        status: 200,
        success: "A page of audit events",
        body: Body::Json("AuditEventListResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "livez",
        tag: OPERATIONS,
        summary: "Liveness",
        description: "The process serves HTTP; no dependency checks.",
        auth: Auth::Public,
        query: &[],
        request: None,
        status: 200,
        success: "Alive",
        body: Body::Json("LivenessResponse"),
        errors: &[],
    },
    Operation {
        operation_id: "readyz",
        tag: OPERATIONS,
        summary: "Readiness",
        description: "Database reachable, and not draining. Redis down alone is 200 `degraded` (`checks.redis: error`) unless the rate limiter must fail closed on it.",
        auth: Auth::Public,
        query: &[],
        request: None,
        status: 200,
        success: "Ready",
        body: Body::Json("ReadinessResponse"),
        errors: &[(
            503,
            "Not ready (`not_ready`) or draining after SIGTERM/SIGINT (`shutting_down`)",
        )],
    },
    Operation {
        operation_id: "metrics",
        tag: OPERATIONS,
        summary: "Prometheus metrics",
        description: "Text exposition format 0.0.4.",
        auth: Auth::Public,
        query: &[],
        request: None,
        status: 200,
        success: "Metrics",
        body: Body::Metrics,
        errors: &[(404, "`NOT_FOUND` when `METRICS_ENABLED=false`")],
    },
];
