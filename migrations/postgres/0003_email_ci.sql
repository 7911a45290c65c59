-- Case-insensitive email uniqueness; this block is also re-evaluated on every `warden migrate`.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_indexes
                   WHERE schemaname = 'users' AND indexname = 'ux_users_users_email_lower') THEN
        IF EXISTS (SELECT 1 FROM users.users GROUP BY lower(email) HAVING count(*) > 1) THEN
            CREATE INDEX IF NOT EXISTS ix_users_users_email_lower ON users.users (lower(email));
            RAISE WARNING 'users.users has emails that differ only by case; case-insensitive unique index not created';
        ELSE
            CREATE UNIQUE INDEX ux_users_users_email_lower ON users.users (lower(email));
            DROP INDEX IF EXISTS users.ix_users_users_email_lower;
        END IF;
    END IF;
END $$;
