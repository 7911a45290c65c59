//! A minimal circuit breaker for the rate-limit store: after a failure, the store is skipped for
//! a short cool-down, so an outage costs each request nothing instead of a reconnect timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const COOL_DOWN: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Breaker {
    origin: Instant,
    /// Milliseconds since `origin` until which the store is considered down (0 = closed).
    open_until_ms: AtomicU64,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            open_until_ms: AtomicU64::new(0),
        }
    }
}

impl Breaker {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// True while the store should not be asked.
    pub fn is_open(&self) -> bool {
        self.now_ms() < self.open_until_ms.load(Ordering::Relaxed)
    }

    /// Record a failure: skip the store for the cool-down.
    pub fn trip(&self) {
        let until = self
            .now_ms()
            .saturating_add(u64::try_from(COOL_DOWN.as_millis()).unwrap_or(1000));
        self.open_until_ms.store(until, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tripped_breaker_stays_open_during_the_cool_down() {
        let breaker = Breaker::default();
        assert!(!breaker.is_open());
        breaker.trip();
        assert!(breaker.is_open());
    }
}
