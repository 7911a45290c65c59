//! Database errors and their classification: unreachable, schema missing, data, integrity,
//! other. The class decides the code and message of the API answer; its HTTP status is the
//! HTTP layer's business (`error::AppError::status`).

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// From the per-request read path (`store::pg_reads`).
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    /// A row of the read path did not decode into its struct.
    #[error("cannot decode column {column}: {source}")]
    Decode {
        column: &'static str,
        source: tokio_postgres::Error,
    },
    #[error("database setup: {0}")]
    Setup(String),
    #[error("cannot adopt database: {0}")]
    Adoption(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbClass {
    Unreachable,
    SchemaMissing,
    Data,
    Unique,
    ForeignKey,
    NotNull,
    OtherIntegrity,
    Other,
}

impl DbClass {
    pub fn code(self) -> &'static str {
        match self {
            Self::Data => "BAD_REQUEST",
            Self::Unique | Self::ForeignKey | Self::NotNull | Self::OtherIntegrity => "CONFLICT",
            Self::Unreachable | Self::SchemaMissing | Self::Other => "DATABASE_ERROR",
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            Self::Unreachable => "The service is temporarily unavailable. Please try again later.",
            Self::SchemaMissing => {
                "The service encountered a configuration error. Please try again later."
            }
            Self::Data => "The provided data could not be processed. Please check your input.",
            Self::Unique => "A record with this information already exists",
            Self::ForeignKey => "Referenced record does not exist",
            Self::NotNull => "Required information is missing",
            Self::OtherIntegrity => "The operation could not be completed due to a data conflict",
            Self::Other => "A database error occurred. Please try again later.",
        }
    }
}

// SQLite primary result codes (the low byte of the extended code).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_TOOBIG: i64 = 18;
const SQLITE_CONSTRAINT: i64 = 19;
const SQLITE_MISMATCH: i64 = 20;
const SQLITE_CONSTRAINT_FOREIGNKEY: i64 = 787;
const SQLITE_CONSTRAINT_NOTNULL: i64 = 1299;
const SQLITE_CONSTRAINT_PRIMARYKEY: i64 = 1555;
const SQLITE_CONSTRAINT_UNIQUE: i64 = 2067;

impl DbError {
    pub fn class(&self) -> DbClass {
        match self {
            Self::Sqlx(err) => classify(err),
            Self::Postgres(err) => classify_postgres(err),
            Self::Decode { .. } | Self::Setup(_) | Self::Adoption(_) => DbClass::Other,
        }
    }

    /// The name of the violated constraint or index, when the database reports one.
    pub fn constraint(&self) -> Option<String> {
        match self {
            Self::Sqlx(sqlx::Error::Database(db)) => db
                .constraint()
                .map(str::to_string)
                .or_else(|| Some(db.message().to_string())),
            Self::Postgres(err) => err
                .as_db_error()
                .map(|db| db.constraint().unwrap_or(db.message()).to_string()),
            _ => None,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        self.class() == DbClass::Unique
    }
}

fn classify(err: &sqlx::Error) -> DbClass {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => DbClass::Unreachable,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            match code.parse::<i64>() {
                // SQLite reports numeric result codes; PostgreSQL five-character SQLSTATEs
                // (which can also be all digits, e.g. 23505 — disambiguate by the message kind).
                Ok(n) if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
                    classify_sqlite(n, db.message())
                }
                _ => classify_sqlstate(&code),
            }
        }
        _ => DbClass::Other,
    }
}

/// A server-reported error by its SQLSTATE; any other error of a statement (I/O, connection
/// closed, timeout) means the database could not be reached. Decoding errors are
/// [`DbError::Decode`], not this.
fn classify_postgres(err: &tokio_postgres::Error) -> DbClass {
    match err.code() {
        Some(state) => classify_sqlstate(state.code()),
        None => DbClass::Unreachable,
    }
}

fn classify_sqlite(extended: i64, message: &str) -> DbClass {
    if message.starts_with("no such table") || message.starts_with("no such column") {
        return DbClass::SchemaMissing;
    }
    match (extended & 0xff, extended) {
        (SQLITE_BUSY | SQLITE_LOCKED | SQLITE_CANTOPEN, _) => DbClass::Unreachable,
        (SQLITE_TOOBIG | SQLITE_MISMATCH, _) => DbClass::Data,
        (SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY) => {
            DbClass::Unique
        }
        (SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_FOREIGNKEY) => DbClass::ForeignKey,
        (SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_NOTNULL) => DbClass::NotNull,
        (SQLITE_CONSTRAINT, _) => DbClass::OtherIntegrity,
        _ => DbClass::Other,
    }
}

fn classify_sqlstate(code: &str) -> DbClass {
    match code {
        "53300" | "57P01" | "57P02" | "57P03" => DbClass::Unreachable,
        "42P01" | "42703" | "3F000" => DbClass::SchemaMissing,
        "23505" => DbClass::Unique,
        "23503" => DbClass::ForeignKey,
        "23502" => DbClass::NotNull,
        c if c.starts_with("08") => DbClass::Unreachable,
        c if c.starts_with("22") => DbClass::Data,
        c if c.starts_with("23") => DbClass::OtherIntegrity,
        _ => DbClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_their_classes() {
        assert_eq!(classify_sqlstate("08006"), DbClass::Unreachable);
        assert_eq!(classify_sqlstate("57P01"), DbClass::Unreachable);
        assert_eq!(classify_sqlstate("42P01"), DbClass::SchemaMissing);
        assert_eq!(classify_sqlstate("22001"), DbClass::Data);
        assert_eq!(classify_sqlstate("23505"), DbClass::Unique);
        assert_eq!(classify_sqlstate("23514"), DbClass::OtherIntegrity);
        assert_eq!(classify_sqlstate("XX000"), DbClass::Other);
    }

    #[test]
    fn sqlite_codes_map_to_their_classes() {
        assert_eq!(
            classify_sqlite(5, "database is locked"),
            DbClass::Unreachable
        );
        assert_eq!(
            classify_sqlite(2067, "UNIQUE constraint failed"),
            DbClass::Unique
        );
        assert_eq!(
            classify_sqlite(787, "FOREIGN KEY constraint failed"),
            DbClass::ForeignKey
        );
        assert_eq!(
            classify_sqlite(1, "no such table: users"),
            DbClass::SchemaMissing
        );
        assert_eq!(classify_sqlite(1, "syntax error"), DbClass::Other);
    }
}
