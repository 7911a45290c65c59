-- The original service's schema (Alembic revision 06ffc6d4c520), every object IF NOT EXISTS,
-- so an adopted database keeps its tables untouched and only missing objects are created.
CREATE SCHEMA IF NOT EXISTS rbac;
CREATE SCHEMA IF NOT EXISTS users;

CREATE TABLE IF NOT EXISTS rbac.permissions (
    name         VARCHAR(100)             NOT NULL,
    resource     VARCHAR(50)              NOT NULL,
    action       VARCHAR(50)              NOT NULL,
    description  TEXT,
    id           SERIAL                   NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    is_deleted   BOOLEAN                  NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_permissions_resource_action ON rbac.permissions (resource, action);
CREATE INDEX IF NOT EXISTS ix_rbac_permissions_is_deleted ON rbac.permissions (is_deleted);
CREATE UNIQUE INDEX IF NOT EXISTS ix_rbac_permissions_name ON rbac.permissions (name);
CREATE INDEX IF NOT EXISTS ix_rbac_permissions_resource ON rbac.permissions (resource);

CREATE TABLE IF NOT EXISTS rbac.roles (
    name            VARCHAR(50)              NOT NULL,
    display_name    VARCHAR(100)             NOT NULL,
    description     TEXT,
    is_system_role  BOOLEAN                  NOT NULL,
    parent_role_id  INTEGER,
    id              SERIAL                   NOT NULL,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    is_deleted      BOOLEAN                  NOT NULL,
    FOREIGN KEY (parent_role_id) REFERENCES rbac.roles (id),
    PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_rbac_roles_is_deleted ON rbac.roles (is_deleted);
CREATE UNIQUE INDEX IF NOT EXISTS ix_rbac_roles_name ON rbac.roles (name);

CREATE TABLE IF NOT EXISTS users.users (
    username       VARCHAR(100)             NOT NULL,
    email          VARCHAR(120)             NOT NULL,
    password_hash  VARCHAR(256)             NOT NULL,
    first_name     VARCHAR(50)              NOT NULL,
    middle_name    VARCHAR(50),
    last_name      VARCHAR(50),
    bio            TEXT,
    is_active      BOOLEAN,
    id             SERIAL                   NOT NULL,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    is_deleted     BOOLEAN                  NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_users_users_email ON users.users (email);
CREATE INDEX IF NOT EXISTS ix_users_users_is_deleted ON users.users (is_deleted);
CREATE UNIQUE INDEX IF NOT EXISTS ix_users_users_username ON users.users (username);

CREATE TABLE IF NOT EXISTS rbac.role_permissions (
    role_id        INTEGER                  NOT NULL,
    permission_id  INTEGER                  NOT NULL,
    granted_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY (permission_id) REFERENCES rbac.permissions (id) ON DELETE CASCADE,
    FOREIGN KEY (role_id)       REFERENCES rbac.roles (id)       ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_id)
);

CREATE TABLE IF NOT EXISTS rbac.user_permissions (
    user_id        INTEGER                  NOT NULL,
    permission_id  INTEGER                  NOT NULL,
    granted_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    granted_by     INTEGER,
    reason         TEXT,
    FOREIGN KEY (granted_by)    REFERENCES users.users (id)      ON DELETE SET NULL,
    FOREIGN KEY (permission_id) REFERENCES rbac.permissions (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id)       REFERENCES users.users (id)      ON DELETE CASCADE,
    PRIMARY KEY (user_id, permission_id)
);

CREATE TABLE IF NOT EXISTS rbac.user_roles (
    user_id      INTEGER                  NOT NULL,
    role_id      INTEGER                  NOT NULL,
    assigned_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    assigned_by  INTEGER,
    FOREIGN KEY (assigned_by) REFERENCES users.users (id) ON DELETE SET NULL,
    FOREIGN KEY (role_id)     REFERENCES rbac.roles (id)  ON DELETE CASCADE,
    FOREIGN KEY (user_id)     REFERENCES users.users (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
