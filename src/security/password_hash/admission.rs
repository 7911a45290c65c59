//! Admission to password hashing: at most one hash per slot runs at a time and at most
//! `queue_max` callers wait for a slot; anyone beyond that is turned away at once, so a login
//! flood cannot hold unbounded requests (bodies, connections, memory) while it drains the CPU
//! (docs/security.md, "Hashing admission").

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

/// The wait queue was full: the caller should retry shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing queue is full")]
pub struct QueueFull;

pub struct HashAdmission {
    slots: Semaphore,
    waiting: AtomicUsize,
    queue_max: usize,
}

impl HashAdmission {
    pub fn new(slots: usize, queue_max: usize) -> Self {
        Self {
            slots: Semaphore::new(slots.max(1)),
            waiting: AtomicUsize::new(0),
            queue_max,
        }
    }

    /// A hashing slot, at once when one is free, after waiting in the bounded queue otherwise.
    pub async fn admit(&self) -> Result<SemaphorePermit<'_>, QueueFull> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        let _place = QueuePlace::take(&self.waiting, self.queue_max)?;
        // The semaphore is never closed; a closed one would only mean "no slot".
        self.slots.acquire().await.map_err(|_| QueueFull)
    }

    /// Callers currently waiting for a slot.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// One place in the wait queue, given back when the waiter gets its slot or is cancelled (a
/// client that disconnects while queued frees its place).
struct QueuePlace<'a>(&'a AtomicUsize);

impl<'a> QueuePlace<'a> {
    fn take(waiting: &'a AtomicUsize, queue_max: usize) -> Result<Self, QueueFull> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < queue_max).then_some(n + 1)
            })
            .map(|_| Self(waiting))
            .map_err(|_| QueueFull)
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn callers_beyond_the_slots_and_the_queue_are_refused_at_once() {
        let admission = Arc::new(HashAdmission::new(1, 2));
        let held = admission.admit().await.expect("a free slot");
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let admission = Arc::clone(&admission);
                tokio::spawn(async move { admission.admit().await.map(drop) })
            })
            .collect();
        while admission.waiting() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(admission.admit().await.err(), Some(QueueFull));
        drop(held);
        for waiter in waiters {
            assert_eq!(waiter.await.expect("task"), Ok(()));
        }
        assert_eq!(admission.waiting(), 0);
    }

    #[tokio::test]
    async fn a_cancelled_waiter_gives_its_place_back() {
        let admission = HashAdmission::new(1, 1);
        let held = admission.admit().await.expect("a free slot");
        let timed_out = tokio::time::timeout(Duration::from_millis(20), admission.admit()).await;
        assert!(timed_out.is_err());
        assert_eq!(admission.waiting(), 0);
        drop(held);
        assert!(admission.admit().await.is_ok());
    }

    #[tokio::test]
    async fn a_zero_queue_admits_only_free_slots() {
        let admission = HashAdmission::new(2, 0);
        let first = admission.admit().await;
        let second = admission.admit().await;
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(admission.admit().await.err(), Some(QueueFull));
    }
}
