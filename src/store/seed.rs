//! The RBAC seed (the built-in permissions and roles; docs/compatibility.md, row 34): inserts
//! missing permissions and roles by name; existing names (even soft-deleted) are skipped and never
//! modified.

/// The 21 seeded permissions, in insertion order.
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("users:read", "View user profiles and information"),
    ("users:create", "Create new user accounts"),
    ("users:update", "Update user profile information"),
    ("users:delete", "Delete user accounts (soft delete)"),
    ("users:list", "List all users in the system"),
    ("roles:read", "View role details and their permissions"),
    ("roles:create", "Create new roles"),
    ("roles:update", "Modify role settings and permissions"),
    ("roles:delete", "Delete roles (non-system roles only)"),
    ("roles:list", "List all roles in the system"),
    ("roles:assign", "Assign roles to users"),
    ("roles:revoke", "Revoke roles from users"),
    ("permissions:read", "View permission details"),
    ("permissions:list", "List all permissions in the system"),
    ("permissions:assign", "Assign direct permissions to users"),
    ("permissions:revoke", "Revoke direct permissions from users"),
    ("*:*", "Full system access (super admin)"),
    ("users:*", "All permissions on users"),
    ("roles:*", "All permissions on roles"),
    ("permissions:*", "All permissions on permissions"),
    ("audit:read", "View the security audit log"),
];

pub struct SeedRole {
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub permissions: &'static [&'static str],
}

/// The 4 system roles.
pub const ROLES: &[SeedRole] = &[
    SeedRole {
        name: "super_admin",
        display_name: "Super Administrator",
        description: "Full system access with all permissions",
        permissions: &["*:*"],
    },
    SeedRole {
        name: "admin",
        display_name: "Administrator",
        description: "Administrative access for managing users and roles",
        permissions: &[
            "users:read",
            "users:create",
            "users:update",
            "users:delete",
            "users:list",
            "roles:read",
            "roles:list",
            "roles:assign",
            "roles:revoke",
            "permissions:read",
            "permissions:list",
            "audit:read",
        ],
    },
    SeedRole {
        name: "moderator",
        display_name: "Moderator",
        description: "Content moderation with limited user management",
        permissions: &["users:read", "users:update", "users:list"],
    },
    SeedRole {
        name: "user",
        display_name: "Regular User",
        description: "Basic user access with read-only permissions",
        permissions: &["users:read"],
    },
];

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub permissions_created: usize,
    pub permissions_skipped: usize,
    pub roles_created: usize,
    pub roles_skipped: usize,
}

const INSERT_PERMISSION: &str = "INSERT INTO rbac.permissions \
    (name, resource, action, description, created_at, updated_at, is_deleted) \
    SELECT $1, $2, $3, $4, $5, $5, false \
    WHERE NOT EXISTS (SELECT 1 FROM rbac.permissions WHERE name = $1)";
const INSERT_ROLE: &str = "INSERT INTO rbac.roles \
    (name, display_name, description, is_system_role, parent_role_id, created_at, updated_at, is_deleted) \
    SELECT $1, $2, $3, true, NULL, $4, $4, false \
    WHERE NOT EXISTS (SELECT 1 FROM rbac.roles WHERE name = $1) RETURNING id";
const GRANT_ROLE_PERMISSION: &str = "INSERT INTO rbac.role_permissions (role_id, permission_id, granted_at) \
    SELECT $1, id, $3 FROM rbac.permissions WHERE name = $2 AND is_deleted = false \
    ON CONFLICT DO NOTHING";

/// Run the seed on an open connection or transaction of either backend.
///
/// A macro rather than a function: the body is compiled once per backend's connection type.
macro_rules! run_rbac_seed {
    ($db:expr, $conn:expr) => {
        async {
            let now = $crate::store::types::Ts::now();
            let mut report = $crate::store::seed::SeedReport::default();
            for (name, description) in $crate::store::seed::PERMISSIONS {
                let (resource, action) = name.split_once(':').unwrap_or((name, ""));
                let inserted = sqlx::query($db.sql($crate::store::seed::INSERT_PERMISSION_SQL))
                    .bind(*name)
                    .bind(resource)
                    .bind(action)
                    .bind(*description)
                    .bind(now)
                    .execute(&mut *$conn)
                    .await?
                    .rows_affected();
                if inserted > 0 {
                    report.permissions_created += 1;
                } else {
                    report.permissions_skipped += 1;
                }
            }
            for role in $crate::store::seed::ROLES {
                let created: Option<(i32,)> =
                    sqlx::query_as($db.sql($crate::store::seed::INSERT_ROLE_SQL))
                        .bind(role.name)
                        .bind(role.display_name)
                        .bind(role.description)
                        .bind(now)
                        .fetch_optional(&mut *$conn)
                        .await?;
                let Some((role_id,)) = created else {
                    report.roles_skipped += 1;
                    continue;
                };
                report.roles_created += 1;
                for permission in role.permissions {
                    sqlx::query($db.sql($crate::store::seed::GRANT_ROLE_PERMISSION_SQL))
                        .bind(role_id)
                        .bind(*permission)
                        .bind(now)
                        .execute(&mut *$conn)
                        .await?;
                }
            }
            Ok::<_, $crate::store::DbError>(report)
        }
    };
}
pub(crate) use run_rbac_seed;

pub const INSERT_PERMISSION_SQL: &str = INSERT_PERMISSION;
pub const INSERT_ROLE_SQL: &str = INSERT_ROLE;
pub const GRANT_ROLE_PERMISSION_SQL: &str = GRANT_ROLE_PERMISSION;

/// `warden seed-rbac`: the seed in its own transaction.
pub async fn seed_rbac(db: &crate::store::Db) -> Result<SeedReport, crate::store::DbError> {
    crate::with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let report = run_rbac_seed!(db, tx).await?;
        tx.commit().await?;
        Ok(report)
    })
}

/// A user of `warden seed`.
pub struct SeedUser {
    pub username: &'static str,
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: Option<&'static str>,
    pub bio: &'static str,
    pub role: &'static str,
}

pub const SEED_USERS: &[SeedUser] = &[
    SeedUser {
        username: "admin",
        email: "admin@example.com",
        first_name: "Admin",
        last_name: Some("User"),
        bio: "System administrator",
        role: "super_admin",
    },
    SeedUser {
        username: "john_doe",
        email: "john@example.com",
        first_name: "John",
        last_name: Some("Doe"),
        bio: "Software developer",
        role: "user",
    },
    SeedUser {
        username: "jane_smith",
        email: "jane@example.com",
        first_name: "Jane",
        last_name: Some("Smith"),
        bio: "Product manager",
        role: "user",
    },
    SeedUser {
        username: "test_user",
        email: "test@example.com",
        first_name: "Test",
        last_name: None,
        bio: "Test account for development",
        role: "user",
    },
];
