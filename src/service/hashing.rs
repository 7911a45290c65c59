//! Password hashing off the async workers, behind the bounded hashing admission.

use tokio::sync::SemaphorePermit;

use crate::error::{AppError, AppResult};
use crate::security::password_hash::{Verification, hash_password, verify_password};
use crate::service::Context;

/// A hashing slot, or 503 with `Retry-After` when the wait queue is full.
async fn slot(ctx: &Context) -> AppResult<SemaphorePermit<'_>> {
    ctx.hashing.admit().await.map_err(|_| {
        ctx.metrics.hash_queue_rejections.inc();
        AppError::HashQueueFull
    })
}

/// Argon2id hash on the blocking pool.
pub async fn hash(ctx: &Context, password: String) -> AppResult<String> {
    let _slot = slot(ctx).await?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await?
        .map_err(|e| AppError::internal("hashing", e))
}

/// Verify against a stored hash on the blocking pool.
pub async fn verify(ctx: &Context, password: String, stored: String) -> AppResult<Verification> {
    ctx.password_checks
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _slot = slot(ctx).await?;
    Ok(tokio::task::spawn_blocking(move || verify_password(&password, &stored)).await?)
}
