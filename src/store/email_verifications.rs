//! SQL for `auth.email_verifications`: which address of a user has been proven theirs.

use crate::store::types::Ts;
use crate::store::{DbError, Tx};
use crate::with_tx;

const UPSERT: &str = "INSERT INTO auth.email_verifications (user_id, email, verified_at) VALUES ($1, $2, $3) \
    ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, verified_at = excluded.verified_at";
const KEEP_OR_INSERT: &str = "INSERT INTO auth.email_verifications (user_id, email, verified_at) VALUES ($1, $2, $3) \
    ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, verified_at = excluded.verified_at \
    WHERE lower(auth.email_verifications.email) <> lower(excluded.email)";

/// Record `email` as the user's verified address (replacing an older address's row).
pub async fn record(tx: &mut Tx, user_id: i32, email: &str) -> Result<(), DbError> {
    write(tx, UPSERT, user_id, email).await
}

/// Like [`record`], but a row for the same address keeps its first `verified_at`.
pub async fn record_if_missing(tx: &mut Tx, user_id: i32, email: &str) -> Result<(), DbError> {
    write(tx, KEEP_OR_INSERT, user_id, email).await
}

async fn write(tx: &mut Tx, sql: &'static str, user_id: i32, email: &str) -> Result<(), DbError> {
    let sql = tx.sql(sql);
    with_tx!(tx, |conn| {
        sqlx::query(sql)
            .bind(user_id)
            .bind(email)
            .bind(Ts::now())
            .execute(conn)
            .await?;
    });
    Ok(())
}
