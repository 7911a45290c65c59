-- Security audit log (docs/operations.md). AUTOINCREMENT: ids are never reused, so the keyset
-- cursor of the admin route stays valid after retention deletes old rows.
CREATE TABLE IF NOT EXISTS audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, occurred_at TEXT NOT NULL, event TEXT NOT NULL,
    actor_user_id INTEGER, subject_user_id INTEGER, ip_address TEXT, user_agent TEXT,
    request_id TEXT, details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS ix_auth_audit_events_occurred ON audit_events (occurred_at);
CREATE INDEX IF NOT EXISTS ix_auth_audit_events_actor    ON audit_events (actor_user_id, id);
CREATE INDEX IF NOT EXISTS ix_auth_audit_events_subject  ON audit_events (subject_user_id, id);
