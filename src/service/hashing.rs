//! Password hashing off the async workers, behind the bounded hashing admission.

use tokio::sync::SemaphorePermit;

use crate::error::{AppError, AppResult};
use crate::security::password_hash::{Verification, hash_password, verify_password};
use crate::state::AppState;

/// A hashing slot, or 503 with `Retry-After` when the wait queue is full.
async fn slot(state: &AppState) -> AppResult<SemaphorePermit<'_>> {
    state.hashing.admit().await.map_err(|_| {
        state.metrics.hash_queue_rejections.inc();
        AppError::HashQueueFull
    })
}

/// Argon2id hash on the blocking pool.
pub async fn hash(state: &AppState, password: String) -> AppResult<String> {
    let _slot = slot(state).await?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await?
        .map_err(|e| AppError::internal("hashing", e))
}

/// Verify against a stored hash on the blocking pool.
pub async fn verify(state: &AppState, password: String, stored: String) -> AppResult<Verification> {
    state
        .password_checks
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _slot = slot(state).await?;
    Ok(tokio::task::spawn_blocking(move || verify_password(&password, &stored)).await?)
}
