//! Turning counter readings into a verdict and the reported limit.

use super::policy::Limit;

/// Outcome of counting one request against all limits of its route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// False when any counter now exceeds its limit (→ 429).
    pub allowed: bool,
    /// `n` of the reported limit (`RateLimit-Limit`).
    pub limit: u64,
    /// `max(0, n − count)` of the reported limit (`RateLimit-Remaining`).
    pub remaining: u64,
    /// Whole seconds, rounded up and at least 1, until the reported window ends
    /// (`RateLimit-Reset`, and `Retry-After` on 429).
    pub reset_secs: u64,
}

impl Decision {
    /// Verdict for a route without limits: nothing was counted. Unreachable through
    /// configuration, which always yields at least one limit.
    pub const fn unlimited() -> Self {
        Self {
            allowed: true,
            limit: 0,
            remaining: 0,
            reset_secs: 0,
        }
    }
}

/// One limit's counter right after the current request was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    pub limit: Limit,
    pub count: u64,
    /// Milliseconds until this counter's window ends.
    pub reset_ms: u64,
}

impl Reading {
    fn exceeded(&self) -> bool {
        self.count > self.limit.count
    }

    fn remaining(&self) -> u64 {
        self.limit.count.saturating_sub(self.count)
    }
}

/// Folds readings one at a time so the stores can decide without collecting them.
///
/// Reported limit: among exceeded limits the one whose window ends last (the client
/// cannot succeed before then; tie → longer period); if none is exceeded, the one with
/// the smallest remaining (tie → shorter period, whose reset comes sooner).
#[derive(Debug, Default)]
pub(crate) struct Reporter {
    exceeded: Option<Reading>,
    tightest: Option<Reading>,
}

impl Reporter {
    pub fn observe(&mut self, reading: Reading) {
        if reading.exceeded() {
            if self.exceeded.is_none_or(|cur| ends_later(&reading, &cur)) {
                self.exceeded = Some(reading);
            }
        } else if self.tightest.is_none_or(|cur| is_tighter(&reading, &cur)) {
            self.tightest = Some(reading);
        }
    }

    pub fn finish(self) -> Decision {
        match (self.exceeded, self.tightest) {
            (Some(reading), _) => to_decision(&reading, false),
            (None, Some(reading)) => to_decision(&reading, true),
            (None, None) => Decision::unlimited(),
        }
    }
}

fn ends_later(a: &Reading, b: &Reading) -> bool {
    (a.reset_ms, a.limit.period_secs) > (b.reset_ms, b.limit.period_secs)
}

fn is_tighter(a: &Reading, b: &Reading) -> bool {
    (a.remaining(), a.limit.period_secs) < (b.remaining(), b.limit.period_secs)
}

fn to_decision(reading: &Reading, allowed: bool) -> Decision {
    Decision {
        allowed,
        limit: reading.limit.count,
        remaining: reading.remaining(),
        reset_secs: reset_secs(reading.reset_ms),
    }
}

/// Rounded up, and never 0: a window that is just ending still blocks for a moment, and
/// `Retry-After: 0` would invite an immediate retry storm.
pub(crate) fn reset_secs(reset_ms: u64) -> u64 {
    reset_ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(count_limit: u64, period_secs: u64, count: u64, reset_ms: u64) -> Reading {
        Reading {
            limit: Limit::new(count_limit, period_secs),
            count,
            reset_ms,
        }
    }

    fn decide(readings: &[Reading]) -> Decision {
        let mut reporter = Reporter::default();
        readings.iter().copied().for_each(|r| reporter.observe(r));
        reporter.finish()
    }

    #[test]
    fn allowed_reports_smallest_remaining() {
        let d = decide(&[
            reading(50, 3_600, 10, 3_000_000),
            reading(200, 86_400, 195, 80_000_000),
        ]);
        assert_eq!(
            d,
            Decision {
                allowed: true,
                limit: 200,
                remaining: 5,
                reset_secs: 80_000
            }
        );
    }

    #[test]
    fn remaining_tie_prefers_shorter_period() {
        let d = decide(&[
            reading(20, 86_400, 10, 9_000_000),
            reading(10, 60, 0, 30_500),
        ]);
        assert_eq!(
            d,
            Decision {
                allowed: true,
                limit: 10,
                remaining: 10,
                reset_secs: 31
            }
        );
        let d = decide(&[
            reading(10, 60, 0, 30_500),
            reading(20, 86_400, 10, 9_000_000),
        ]);
        assert_eq!(d.limit, 10);
    }

    #[test]
    fn at_limit_is_still_allowed() {
        let d = decide(&[reading(5, 60, 5, 1_000)]);
        assert_eq!(
            d,
            Decision {
                allowed: true,
                limit: 5,
                remaining: 0,
                reset_secs: 1
            }
        );
    }

    #[test]
    fn rejection_reports_the_exceeded_limit() {
        let d = decide(&[
            reading(50, 3_600, 51, 42_000),
            reading(200, 86_400, 51, 80_000_000),
        ]);
        assert_eq!(
            d,
            Decision {
                allowed: false,
                limit: 50,
                remaining: 0,
                reset_secs: 42
            }
        );
    }

    #[test]
    fn several_exceeded_reports_latest_reset() {
        let d = decide(&[
            reading(5, 60, 9, 20_000),
            reading(8, 3_600, 9, 1_000_000),
            reading(100, 86_400, 9, 9_000_000),
        ]);
        assert_eq!(
            d,
            Decision {
                allowed: false,
                limit: 8,
                remaining: 0,
                reset_secs: 1_000
            }
        );
    }

    #[test]
    fn reset_rounds_up_and_is_at_least_one() {
        assert_eq!(reset_secs(0), 1);
        assert_eq!(reset_secs(1), 1);
        assert_eq!(reset_secs(1_000), 1);
        assert_eq!(reset_secs(1_001), 2);
        assert_eq!(reset_secs(59_999), 60);
    }

    #[test]
    fn no_limits_is_unlimited() {
        assert_eq!(decide(&[]), Decision::unlimited());
    }
}
