-- Security audit log (docs/operations.md). No foreign keys: events outlive the users they name.
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.audit_events (
    id              BIGSERIAL                PRIMARY KEY,
    occurred_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    event           VARCHAR(48)              NOT NULL,
    actor_user_id   INTEGER,
    subject_user_id INTEGER,
    ip_address      VARCHAR(45),
    user_agent      VARCHAR(512),
    request_id      VARCHAR(64),
    details         JSONB                    NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS ix_auth_audit_events_occurred ON auth.audit_events (occurred_at);
CREATE INDEX IF NOT EXISTS ix_auth_audit_events_actor    ON auth.audit_events (actor_user_id, id);
CREATE INDEX IF NOT EXISTS ix_auth_audit_events_subject  ON auth.audit_events (subject_user_id, id);
