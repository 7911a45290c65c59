//! Per-process fixed-window counters (`memory://`).
//!
//! Sharded `Mutex<HashMap>`: one short lock per hit, no await while locked. Existing
//! buckets are found through a borrowed `(route, client)` view, so a hit allocates only
//! when it creates a bucket. Expired windows are purged lazily, at most once per
//! [`PURGE_INTERVAL`] per shard, by the hit that finds the purge due; nothing is spawned.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::bucket_key::{BucketKey, KeyView};
use super::decision::{Decision, Reading, Reporter};
use super::policy::Limit;

/// Independent locks; 16 keeps contention negligible on small machines at little cost.
const SHARDS: usize = 16;
/// How often a shard drops expired windows.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// In-memory limiter store. Cloning shares the counters.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shards: Vec<Mutex<Shard>>,
    /// Picks the shard; separate from the maps' own hashers so a shard's keys do not
    /// all share low hash bits inside its map.
    shard_hasher: RandomState,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        let now = Instant::now();
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard::new(now))).collect();
        Self {
            inner: Arc::new(Inner {
                shards,
                shard_hasher: RandomState::new(),
            }),
        }
    }

    /// Counts one request against every limit and decides.
    pub fn hit(&self, route_key: &str, client_key: &str, limits: &[Limit]) -> Decision {
        self.hit_at(Instant::now(), route_key, client_key, limits)
    }

    /// [`Self::hit`] at an explicit time, so tests can move the clock instead of sleeping.
    pub fn hit_at(
        &self,
        now: Instant,
        route_key: &str,
        client_key: &str,
        limits: &[Limit],
    ) -> Decision {
        if limits.is_empty() {
            return Decision::unlimited();
        }
        let view = (route_key, client_key);
        let mut shard = self.shard_for(&view);
        shard.purge_if_due(now);
        shard.hit(now, view, limits)
    }

    /// Drops every window expired at `now`; returns how many buckets were removed. Hits
    /// purge lazily; tests call this to see the sweep.
    pub fn purge_expired_at(&self, now: Instant) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| lock(shard).purge(now))
            .sum()
    }

    /// Number of (route, client) buckets held.
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| lock(shard).buckets.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard_for(&self, view: &(&str, &str)) -> MutexGuard<'_, Shard> {
        let hash = self.inner.shard_hasher.hash_one(view as &dyn KeyView);
        // Truncation is fine: only the low bits pick the shard.
        let index = (hash as usize) % SHARDS;
        lock(&self.inner.shards[index])
    }
}

/// A poisoned lock only means another hit panicked mid-update; counters stay usable.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug)]
struct Shard {
    buckets: HashMap<BucketKey, Vec<Window>>,
    next_purge: Instant,
}

/// One limit period's counter within a bucket.
#[derive(Debug, Clone, Copy)]
struct Window {
    period_secs: u64,
    count: u64,
    ends_at: Instant,
}

impl Shard {
    fn new(now: Instant) -> Self {
        Self {
            buckets: HashMap::new(),
            next_purge: later(now, PURGE_INTERVAL),
        }
    }

    fn hit(&mut self, now: Instant, view: (&str, &str), limits: &[Limit]) -> Decision {
        if let Some(windows) = self.buckets.get_mut(&view as &dyn KeyView) {
            return count_all(windows, now, limits);
        }
        let windows = self.buckets.entry(BucketKey::new(view)).or_default();
        count_all(windows, now, limits)
    }

    fn purge_if_due(&mut self, now: Instant) {
        if now >= self.next_purge {
            self.purge(now);
            self.next_purge = later(now, PURGE_INTERVAL);
        }
    }

    fn purge(&mut self, now: Instant) -> usize {
        let before = self.buckets.len();
        self.buckets.retain(|_, windows| {
            windows.retain(|w| w.ends_at > now);
            !windows.is_empty()
        });
        // Give memory back after a burst of one-off clients (e.g. a scan) has expired.
        if self.buckets.capacity() > 64 && self.buckets.len() < self.buckets.capacity() / 4 {
            self.buckets.shrink_to_fit();
        }
        before - self.buckets.len()
    }
}

/// Increments each distinct period once (limits sharing a period share a counter, as
/// they share a Redis key) and folds the readings into a decision.
fn count_all(windows: &mut Vec<Window>, now: Instant, limits: &[Limit]) -> Decision {
    let mut reporter = Reporter::default();
    for (i, limit) in limits.iter().enumerate() {
        let seen = limits[..i]
            .iter()
            .any(|l| l.period_secs == limit.period_secs);
        let window = window_for(windows, limit, now);
        if !seen {
            window.count_one(now, limit);
        }
        reporter.observe(Reading {
            limit: *limit,
            count: window.count,
            reset_ms: remaining_ms(window.ends_at, now),
        });
    }
    reporter.finish()
}

fn window_for<'w>(windows: &'w mut Vec<Window>, limit: &Limit, now: Instant) -> &'w mut Window {
    let index = match windows
        .iter()
        .position(|w| w.period_secs == limit.period_secs)
    {
        Some(index) => index,
        None => {
            // Ends now, so `count_one` starts a fresh window.
            windows.push(Window {
                period_secs: limit.period_secs,
                count: 0,
                ends_at: now,
            });
            windows.len() - 1
        }
    };
    &mut windows[index]
}

impl Window {
    /// Fixed window: starts at the first counted request and restarts once it ended.
    fn count_one(&mut self, now: Instant, limit: &Limit) {
        if now >= self.ends_at {
            self.count = 0;
            self.ends_at = later(now, Duration::from_millis(limit.period_ms()));
        }
        self.count = self.count.saturating_add(1);
    }
}

fn remaining_ms(ends_at: Instant, now: Instant) -> u64 {
    u64::try_from(ends_at.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX)
}

/// `now + d` without a panic path (periods are capped, so this never saturates in practice).
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "POST /api/v1/auth/login";
    const CLIENT: &str = "203.0.113.7";

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn counts_and_rejects_over_limit() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        let limits = [Limit::new(3, 60)];
        for expected_remaining in [2, 1, 0] {
            let d = store.hit_at(t0, ROUTE, CLIENT, &limits);
            assert!(d.allowed);
            assert_eq!(
                (d.limit, d.remaining, d.reset_secs),
                (3, expected_remaining, 60)
            );
        }
        let d = store.hit_at(t0 + secs(18), ROUTE, CLIENT, &limits);
        assert_eq!(
            d,
            Decision {
                allowed: false,
                limit: 3,
                remaining: 0,
                reset_secs: 42
            }
        );
    }

    #[test]
    fn rejected_requests_count_too() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        let limits = [Limit::new(1, 60), Limit::new(100, 3_600)];
        for _ in 0..5 {
            store.hit_at(t0, ROUTE, CLIENT, &limits);
        }
        // The hourly counter saw all five, including the four rejected ones.
        let d = store.hit_at(t0 + secs(61), ROUTE, CLIENT, &limits);
        assert_eq!((d.allowed, d.limit, d.remaining), (true, 1, 0));
        let d = store.hit_at(t0 + secs(61), ROUTE, "other", &[Limit::new(100, 3_600)]);
        assert_eq!(d.remaining, 99, "other client unaffected");
    }

    #[test]
    fn window_restarts_after_period() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        let limits = [Limit::new(2, 1)];
        store.hit_at(t0, ROUTE, CLIENT, &limits);
        store.hit_at(t0, ROUTE, CLIENT, &limits);
        assert!(
            !store
                .hit_at(t0 + Duration::from_millis(999), ROUTE, CLIENT, &limits)
                .allowed
        );
        let d = store.hit_at(t0 + secs(1), ROUTE, CLIENT, &limits);
        assert_eq!((d.allowed, d.remaining, d.reset_secs), (true, 1, 1));
    }

    #[test]
    fn window_starts_at_first_request_not_on_a_grid() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        let limits = [Limit::new(5, 60)];
        store.hit_at(t0 + secs(50), ROUTE, CLIENT, &limits);
        let d = store.hit_at(t0 + secs(70), ROUTE, CLIENT, &limits);
        assert_eq!((d.remaining, d.reset_secs), (3, 40));
    }

    #[test]
    fn routes_and_clients_are_separate_buckets() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        let limits = [Limit::new(1, 60)];
        assert!(
            store
                .hit_at(t0, "GET /api/v1/users/{user_id}", CLIENT, &limits)
                .allowed
        );
        assert!(
            store
                .hit_at(t0, "PUT /api/v1/users/{user_id}", CLIENT, &limits)
                .allowed
        );
        assert!(
            store
                .hit_at(t0, "GET /api/v1/users/{user_id}", "198.51.100.1", &limits)
                .allowed
        );
        assert!(
            !store
                .hit_at(t0, "GET /api/v1/users/{user_id}", CLIENT, &limits)
                .allowed
        );
        // (route, client) must not be confused with a different split of the same text.
        assert!(
            store
                .hit_at(t0, "GET /api/v1/users/{user_id}2", "03.0.113.7", &limits)
                .allowed
        );
        assert_eq!(store.len(), 4);
    }

    #[test]
    fn reports_per_section_6_3() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        let limits = [Limit::new(50, 3_600), Limit::new(3, 86_400)];
        let d = store.hit_at(t0, "GET /", CLIENT, &limits);
        assert_eq!((d.limit, d.remaining, d.reset_secs), (3, 2, 86_400));
        for _ in 0..3 {
            store.hit_at(t0, "GET /", CLIENT, &limits);
        }
        let d = store.hit_at(t0 + secs(10), "GET /", CLIENT, &limits);
        assert_eq!(
            d,
            Decision {
                allowed: false,
                limit: 3,
                remaining: 0,
                reset_secs: 86_390
            }
        );
    }

    #[test]
    fn duplicate_periods_share_one_counter() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        let limits = [Limit::new(10, 60), Limit::new(2, 60)];
        let d = store.hit_at(t0, ROUTE, CLIENT, &limits);
        assert_eq!((d.limit, d.remaining), (2, 1));
        store.hit_at(t0, ROUTE, CLIENT, &limits);
        let d = store.hit_at(t0, ROUTE, CLIENT, &limits);
        assert_eq!((d.allowed, d.limit), (false, 2));
        let d = store.hit_at(t0, ROUTE, CLIENT, &[Limit::new(10, 60)]);
        assert_eq!(
            d.remaining, 6,
            "counted once per request, not once per limit"
        );
    }

    #[test]
    fn empty_limits_count_nothing() {
        let store = MemoryStore::new();
        assert_eq!(store.hit(ROUTE, CLIENT, &[]), Decision::unlimited());
        assert!(store.is_empty());
    }

    #[test]
    fn purges_expired_windows() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        store.hit_at(t0, "GET /", "a", &[Limit::new(5, 1)]);
        store.hit_at(t0, "GET /", "b", &[Limit::new(5, 1), Limit::new(5, 3_600)]);
        store.hit_at(t0, "GET /", "c", &[Limit::new(5, 3_600)]);
        assert_eq!(store.purge_expired_at(t0 + secs(2)), 1);
        assert_eq!(store.len(), 2);
        assert_eq!(store.purge_expired_at(t0 + secs(3_600)), 2);
        assert!(store.is_empty());
    }

    #[test]
    fn hits_purge_lazily() {
        let store = MemoryStore::new();
        let t0 = Instant::now();
        for i in 0..1000 {
            store.hit_at(t0, "GET /", &format!("c{i}"), &[Limit::new(5, 1)]);
        }
        assert_eq!(store.len(), 1000);
        // Hit every shard after the purge interval: each drops its expired buckets.
        let later = t0 + PURGE_INTERVAL + secs(1);
        for i in 0..1000 {
            store.hit_at(later, "GET /x", &format!("c{i}"), &[Limit::new(5, 1)]);
        }
        assert_eq!(store.len(), 1000, "only the fresh buckets remain");
    }

    #[test]
    fn huge_hand_built_periods_do_not_panic() {
        let store = MemoryStore::new();
        let d = store.hit(ROUTE, CLIENT, &[Limit::new(1, u64::MAX)]);
        assert!(d.allowed);
    }

    #[test]
    fn clones_share_counters() {
        let store = MemoryStore::new();
        let other = store.clone();
        let t0 = Instant::now();
        store.hit_at(t0, ROUTE, CLIENT, &[Limit::new(2, 60)]);
        let d = other.hit_at(t0, ROUTE, CLIENT, &[Limit::new(2, 60)]);
        assert_eq!(d.remaining, 0);
    }
}
