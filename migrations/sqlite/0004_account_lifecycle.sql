-- Account lifecycle: password reset and e-mail verification tokens, verified addresses.
CREATE TABLE IF NOT EXISTS account_tokens (
    id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, ip_address TEXT);
CREATE INDEX IF NOT EXISTS ix_auth_account_tokens_user ON account_tokens (user_id, purpose);

CREATE TABLE IF NOT EXISTS email_verifications (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL, verified_at TEXT NOT NULL);
