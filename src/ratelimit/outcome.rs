//! What the HTTP layer does with a store answer (§6.3, §6.5), kept pure and tiny so the
//! middleware only maps variants to responses and metrics.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::decision::Decision;
use super::error::StoreError;

/// §6.5: the store-failure ERROR is logged at most this often.
pub const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(30);

/// The request's fate after asking the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Proceed; add `headers_for(&decision)` to the response.
    Allowed(Decision),
    /// 429 `RATE_LIMIT_EXCEEDED` with `headers_for(&decision)`;
    /// increment `warden_rate_limit_rejections_total{route}`.
    Rejected(Decision),
    /// Store failed, `RATE_LIMIT_FAIL_OPEN=true`: proceed without rate-limit headers;
    /// increment `warden_rate_limit_storage_errors_total`.
    FailedOpen,
    /// Store failed, `RATE_LIMIT_FAIL_OPEN=false`: 503 `SERVICE_UNAVAILABLE`;
    /// increment `warden_rate_limit_storage_errors_total`.
    FailedClosed,
}

impl Outcome {
    /// Maps a store answer; store errors are logged through `log` (throttled).
    pub fn resolve(
        result: Result<Decision, StoreError>,
        fail_open: bool,
        log: &FailureLog,
    ) -> Self {
        match result {
            Ok(decision) if decision.allowed => Self::Allowed(decision),
            Ok(decision) => Self::Rejected(decision),
            Err(err) => {
                log.report(&err);
                if fail_open {
                    Self::FailedOpen
                } else {
                    Self::FailedClosed
                }
            }
        }
    }

    /// Whether the store failed (for `warden_rate_limit_storage_errors_total`).
    pub fn is_store_failure(&self) -> bool {
        matches!(self, Self::FailedOpen | Self::FailedClosed)
    }
}

/// Throttles the `rate limit store unavailable` ERROR to one per 30 s, so a Redis outage
/// under load does not flood the logs. Share one instance (e.g. in app state).
#[derive(Debug)]
pub struct FailureLog {
    origin: Instant,
    /// Milliseconds since `origin` of the last log, plus one; 0 = never logged.
    last: AtomicU64,
}

impl Default for FailureLog {
    fn default() -> Self {
        Self::new()
    }
}

impl FailureLog {
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    pub fn report(&self, err: &StoreError) {
        if self.should_log(Instant::now()) {
            tracing::error!(error = %err, "rate limit store unavailable");
        }
    }

    /// True for the first failure and then at most once per [`FAILURE_LOG_INTERVAL`];
    /// a compare-exchange makes concurrent failures log once.
    fn should_log(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.origin).as_millis();
        let stamp = u64::try_from(elapsed)
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1);
        let last = self.last.load(Ordering::Relaxed);
        let interval = u64::try_from(FAILURE_LOG_INTERVAL.as_millis()).unwrap_or(u64::MAX);
        if last != 0 && stamp < last.saturating_add(interval) {
            return false;
        }
        self.last
            .compare_exchange(last, stamp, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(allowed: bool) -> Decision {
        Decision {
            allowed,
            limit: 5,
            remaining: 0,
            reset_secs: 3,
        }
    }

    #[test]
    fn maps_results() {
        let log = FailureLog::new();
        assert_eq!(
            Outcome::resolve(Ok(decision(true)), true, &log),
            Outcome::Allowed(decision(true))
        );
        assert_eq!(
            Outcome::resolve(Ok(decision(false)), true, &log),
            Outcome::Rejected(decision(false))
        );
        let timeout = || Err(StoreError::Timeout(Duration::from_millis(500)));
        assert_eq!(Outcome::resolve(timeout(), true, &log), Outcome::FailedOpen);
        assert_eq!(
            Outcome::resolve(timeout(), false, &log),
            Outcome::FailedClosed
        );
        assert!(Outcome::FailedOpen.is_store_failure());
        assert!(!Outcome::Allowed(decision(true)).is_store_failure());
    }

    #[test]
    fn failure_log_is_throttled() {
        let log = FailureLog::new();
        let t0 = log.origin;
        assert!(log.should_log(t0));
        assert!(!log.should_log(t0 + Duration::from_secs(1)));
        assert!(!log.should_log(t0 + Duration::from_millis(29_999)));
        assert!(log.should_log(t0 + Duration::from_secs(30)));
        assert!(!log.should_log(t0 + Duration::from_secs(59)));
        assert!(log.should_log(t0 + Duration::from_secs(61)));
    }
}
