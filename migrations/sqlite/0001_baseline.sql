-- The original service's tables in SQLite form (§12.3): same names, no schemas.
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL, email TEXT NOT NULL,
    password_hash TEXT NOT NULL, first_name TEXT NOT NULL, middle_name TEXT, last_name TEXT,
    bio TEXT, is_active INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    is_deleted INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS ix_users_users_username    ON users (username);
CREATE UNIQUE INDEX IF NOT EXISTS ix_users_users_email       ON users (email);
CREATE INDEX        IF NOT EXISTS ix_users_users_is_deleted  ON users (is_deleted);

CREATE TABLE IF NOT EXISTS permissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, resource TEXT NOT NULL,
    action TEXT NOT NULL, description TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    is_deleted INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS ix_rbac_permissions_name       ON permissions (name);
CREATE INDEX        IF NOT EXISTS ix_rbac_permissions_resource   ON permissions (resource);
CREATE INDEX        IF NOT EXISTS ix_rbac_permissions_is_deleted ON permissions (is_deleted);
CREATE INDEX        IF NOT EXISTS ix_permissions_resource_action ON permissions (resource, action);

CREATE TABLE IF NOT EXISTS roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, display_name TEXT NOT NULL,
    description TEXT, is_system_role INTEGER NOT NULL,
    parent_role_id INTEGER REFERENCES roles (id),
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, is_deleted INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS ix_rbac_roles_name       ON roles (name);
CREATE INDEX        IF NOT EXISTS ix_rbac_roles_is_deleted ON roles (is_deleted);

CREATE TABLE IF NOT EXISTS role_permissions (
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    granted_at TEXT NOT NULL, PRIMARY KEY (role_id, permission_id));
CREATE TABLE IF NOT EXISTS user_permissions (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    granted_at TEXT NOT NULL, granted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reason TEXT, PRIMARY KEY (user_id, permission_id));
CREATE TABLE IF NOT EXISTS user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    assigned_at TEXT NOT NULL, assigned_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, role_id));
