//! "At most once per N seconds" for repeated failure logs (database and Redis health checks,
//! the rate-limit store, the account throttle), so an outage under load does not flood the log.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct LogThrottle {
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl Default for LogThrottle {
    fn default() -> Self {
        Self::every(Duration::from_secs(30))
    }
}

impl LogThrottle {
    pub fn every(every: Duration) -> Self {
        Self {
            every,
            last: Mutex::new(None),
        }
    }

    /// True when the caller should log now.
    pub fn allow(&self) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return true;
        };
        let now = Instant::now();
        match *last {
            Some(at) if now.duration_since(at) < self.every => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_failure_within_the_window_is_not_logged() {
        let throttle = LogThrottle::every(Duration::from_secs(60));
        assert!(throttle.allow());
        assert!(!throttle.allow());
    }
}
