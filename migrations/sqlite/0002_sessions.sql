-- Server-side sessions (§2.3).
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_jti TEXT NOT NULL, created_at TEXT NOT NULL, refreshed_at TEXT,
    expires_at TEXT NOT NULL, revoked_at TEXT, revoked_reason TEXT, ip_address TEXT,
    user_agent TEXT);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_user_id    ON sessions (user_id);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_expires_at ON sessions (expires_at);
