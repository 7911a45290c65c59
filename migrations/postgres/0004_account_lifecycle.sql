-- Account lifecycle: password reset and e-mail verification tokens, verified addresses.
-- New tables beside the original's; the original's tables stay untouched.
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.account_tokens (
    id          UUID                     PRIMARY KEY,
    user_id     INTEGER                  NOT NULL REFERENCES users.users (id) ON DELETE CASCADE,
    purpose     VARCHAR(16)              NOT NULL,   -- password_reset | email_verify
    token_hash  CHAR(64)                 NOT NULL UNIQUE,
    email       VARCHAR(120)             NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at     TIMESTAMP WITH TIME ZONE,
    ip_address  VARCHAR(45)
);
CREATE INDEX IF NOT EXISTS ix_auth_account_tokens_user ON auth.account_tokens (user_id, purpose);

CREATE TABLE IF NOT EXISTS auth.email_verifications (
    user_id     INTEGER                  PRIMARY KEY REFERENCES users.users (id) ON DELETE CASCADE,
    email       VARCHAR(120)             NOT NULL,
    verified_at TIMESTAMP WITH TIME ZONE NOT NULL
);
