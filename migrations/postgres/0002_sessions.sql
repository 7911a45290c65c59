-- Server-side sessions: refresh rotation, reuse detection and revocation (§2.3).
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.sessions (
    id              UUID                     PRIMARY KEY,
    user_id         INTEGER                  NOT NULL REFERENCES users.users (id) ON DELETE CASCADE,
    refresh_jti     UUID                     NOT NULL,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    refreshed_at    TIMESTAMP WITH TIME ZONE,
    expires_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at      TIMESTAMP WITH TIME ZONE,
    revoked_reason  VARCHAR(32),
    ip_address      VARCHAR(45),
    user_agent      VARCHAR(512)
);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_user_id    ON auth.sessions (user_id);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_expires_at ON auth.sessions (expires_at);
