//! Password hashing off the async workers, with bounded concurrency.

use crate::error::{AppError, AppResult};
use crate::security::password::{Verification, hash_password, verify_password};
use crate::state::AppState;

/// Argon2id hash on the blocking pool.
pub async fn hash(state: &AppState, password: String) -> AppResult<String> {
    let _permit = state
        .hashing
        .acquire()
        .await
        .map_err(|e| AppError::internal("hashing", e))?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await?
        .map_err(|e| AppError::internal("hashing", e))
}

/// Verify against a stored hash on the blocking pool.
pub async fn verify(state: &AppState, password: String, stored: String) -> AppResult<Verification> {
    state
        .password_checks
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _permit = state
        .hashing
        .acquire()
        .await
        .map_err(|e| AppError::internal("hashing", e))?;
    Ok(tokio::task::spawn_blocking(move || verify_password(&password, &stored)).await?)
}
