-- Runs once, when the db container initialises an empty data volume
-- (/docker-entrypoint-initdb.d), connected to $POSTGRES_DB as $POSTGRES_USER.
-- warden's own migrations (`warden migrate` / AUTO_MIGRATE) create the schemas users, rbac
-- and auth; this file only sets up what migrations should not own.

-- Timestamps are stored as TIMESTAMPTZ and always written in UTC; make sessions agree.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'UTC');
END
$$;

-- Nobody but the owner creates objects in public (PostgreSQL < 15 allowed everyone).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- A second database for running the test suite inside the stack
-- (docker compose run --rm web cargo test, with TEST_DATABASE_URL pointing here).
CREATE DATABASE warden_test;
