//! Integration tests against a real Redis: `WARDEN_TEST_REDIS_URL`, the server on
//! 127.0.0.1:6379, or a private `redis-server` (`test_redis`). They FAIL, with one message,
//! when none can be had: a skip would only hide a broken setup. The shared Redis is never flushed: every test uses
//! its own route key and deletes its keys; leftovers of a failed run expire by TTL.
//! The restart tests run a private `redis-server` on a free port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ::redis::aio::MultiplexedConnection;

use super::redis::redis_key;
use super::*;

const CLIENT: &str = "192.0.2.10";

fn url() -> String {
    super::test_redis::url()
}

/// A route key no other test, run or user of the shared Redis has.
fn unique_route(test: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!(
        "TEST /warden-rl-tests/{test}/{}-{nanos}-{seq}",
        std::process::id()
    )
}

async fn raw_connection(url: &str) -> MultiplexedConnection {
    let client = ::redis::Client::open(url).unwrap();
    tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    .unwrap_or_else(|_| panic!("Redis at {url} did not answer: these tests need a running Redis"))
    .unwrap_or_else(|err| {
        panic!("Redis at {url} is not reachable ({err}): these tests need a running Redis")
    })
}

async fn shared_store() -> LimiterStore {
    let store = LimiterStore::redis(&url()).await.unwrap();
    store
        .ping()
        .await
        .unwrap_or_else(|err| panic!("Redis at {} is not reachable: {err}", url()));
    store
}

async fn pttl(conn: &mut MultiplexedConnection, key: &str) -> i64 {
    ::redis::cmd("PTTL")
        .arg(key)
        .query_async(conn)
        .await
        .unwrap()
}

async fn get(conn: &mut MultiplexedConnection, key: &str) -> Option<u64> {
    ::redis::cmd("GET")
        .arg(key)
        .query_async(conn)
        .await
        .unwrap()
}

async fn delete(conn: &mut MultiplexedConnection, keys: &[String]) {
    let _: u64 = ::redis::cmd("DEL")
        .arg(keys)
        .query_async(conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn counter_is_shared_between_instances() {
    let (a, b) = (shared_store().await, shared_store().await);
    let mut conn = raw_connection(&url()).await;
    let route = unique_route("shared");
    let limits = [Limit::new(3, 60)];
    assert_eq!(a.hit(&route, CLIENT, &limits).await.unwrap().remaining, 2);
    assert_eq!(b.hit(&route, CLIENT, &limits).await.unwrap().remaining, 1);
    assert_eq!(a.hit(&route, CLIENT, &limits).await.unwrap().remaining, 0);
    let d = b.hit(&route, CLIENT, &limits).await.unwrap();
    assert!(!d.allowed);
    assert_eq!((d.limit, d.remaining), (3, 0));
    assert!((59..=60).contains(&d.reset_secs), "{d:?}");
    assert!(!a.hit(&route, CLIENT, &limits).await.unwrap().allowed);
    let key = redis_key(&route, 60, CLIENT);
    assert_eq!(
        get(&mut conn, &key).await,
        Some(5),
        "rejected requests count too"
    );
    assert!(
        a.hit(&route, "192.0.2.11", &limits).await.unwrap().allowed,
        "other client"
    );
    delete(&mut conn, &[key, redis_key(&route, 60, "192.0.2.11")]).await;
}

/// Concurrent hits share Redis calls (`coalesce`) yet each reads its own count: exactly
/// `limit` of them pass per client, each remaining value is seen once, every hit is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_hits_are_counted_exactly() {
    const HITS_PER_CLIENT: u64 = 150;
    const LIMIT: u64 = 100;
    let (a, b) = (shared_store().await, shared_store().await);
    let mut conn = raw_connection(&url()).await;
    let route = unique_route("concurrent");
    let clients = ["192.0.2.20", "192.0.2.21"];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..HITS_PER_CLIENT {
        for (c, &client) in clients.iter().enumerate() {
            // Two instances, interleaved, like two replicas behind one balancer.
            let store = if (i + c as u64) % 2 == 0 {
                a.clone()
            } else {
                b.clone()
            };
            let route = route.clone();
            tasks.spawn(async move {
                let limits = [Limit::new(LIMIT, 60), Limit::new(1_000, 3_600)];
                (client, store.hit(&route, client, &limits).await.unwrap())
            });
        }
    }
    let mut remaining_seen: std::collections::HashMap<&str, Vec<u64>> = Default::default();
    let mut denied: std::collections::HashMap<&str, u64> = Default::default();
    while let Some(joined) = tasks.join_next().await {
        let (client, decision) = joined.unwrap();
        if decision.allowed {
            assert_eq!(decision.limit, LIMIT);
            remaining_seen
                .entry(client)
                .or_default()
                .push(decision.remaining);
        } else {
            *denied.entry(client).or_default() += 1;
        }
    }
    let mut keys = Vec::new();
    for client in clients {
        let mut seen = remaining_seen.remove(client).unwrap_or_default();
        seen.sort_unstable();
        assert_eq!(seen, (0..LIMIT).collect::<Vec<_>>(), "{client}");
        assert_eq!(
            denied.get(client),
            Some(&(HITS_PER_CLIENT - LIMIT)),
            "{client}"
        );
        for period in [60, 3_600] {
            let key = redis_key(&route, period, client);
            assert_eq!(get(&mut conn, &key).await, Some(HITS_PER_CLIENT), "{key}");
            let ttl = pttl(&mut conn, &key).await;
            assert!(
                ttl > 0 && ttl <= i64::try_from(period * 1_000).unwrap(),
                "{key}: {ttl}"
            );
            keys.push(key);
        }
    }
    delete(&mut conn, &keys).await;
}

#[tokio::test]
async fn ttl_is_set_on_first_hit_only() {
    let store = shared_store().await;
    let mut conn = raw_connection(&url()).await;
    let route = unique_route("ttl");
    let key = redis_key(&route, 3_600, CLIENT);
    let first = store
        .hit(&route, CLIENT, &[Limit::new(100, 3_600)])
        .await
        .unwrap();
    assert_eq!(first.reset_secs, 3_600);
    let ttl1 = pttl(&mut conn, &key).await;
    assert!((3_599_000..=3_600_000).contains(&ttl1), "{ttl1}");
    tokio::time::sleep(Duration::from_millis(60)).await;
    let second = store
        .hit(&route, CLIENT, &[Limit::new(100, 3_600)])
        .await
        .unwrap();
    let ttl2 = pttl(&mut conn, &key).await;
    assert!(ttl2 <= ttl1 - 50, "TTL was reset: {ttl1} -> {ttl2}");
    assert_eq!(
        (second.remaining, get(&mut conn, &key).await),
        (98, Some(2))
    );
    delete(&mut conn, &[key]).await;
}

#[tokio::test]
async fn window_restarts_when_the_key_expires() {
    let store = shared_store().await;
    let mut conn = raw_connection(&url()).await;
    let route = unique_route("restart");
    let limits = [Limit::new(2, 1)];
    store.hit(&route, CLIENT, &limits).await.unwrap();
    store.hit(&route, CLIENT, &limits).await.unwrap();
    let rejected = store.hit(&route, CLIENT, &limits).await.unwrap();
    assert_eq!((rejected.allowed, rejected.reset_secs), (false, 1));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let d = store.hit(&route, CLIENT, &limits).await.unwrap();
    assert_eq!((d.allowed, d.remaining), (true, 1));
    delete(&mut conn, &[redis_key(&route, 1, CLIENT)]).await;
}

#[tokio::test]
async fn every_limit_has_its_own_key_and_ttl() {
    let store = shared_store().await;
    let mut conn = raw_connection(&url()).await;
    let route = unique_route("multi");
    let limits = [Limit::new(10, 60), Limit::new(3, 120)];
    let d = store.hit(&route, CLIENT, &limits).await.unwrap();
    assert_eq!((d.limit, d.remaining, d.reset_secs), (3, 2, 120));
    let keys = [
        redis_key(&route, 60, CLIENT),
        redis_key(&route, 120, CLIENT),
    ];
    for (key, max) in keys.iter().zip([60_000, 120_000]) {
        let ttl = pttl(&mut conn, key).await;
        assert!(ttl > max - 2_000 && ttl <= max, "{key}: {ttl}");
        assert_eq!(get(&mut conn, key).await, Some(1));
    }
    for _ in 0..3 {
        store.hit(&route, CLIENT, &limits).await.unwrap();
    }
    let d = store.hit(&route, CLIENT, &limits).await.unwrap();
    assert_eq!((d.allowed, d.limit, d.remaining), (false, 3, 0));
    assert!(
        d.reset_secs > 60,
        "reports the exceeded 120 s window: {d:?}"
    );
    delete(&mut conn, &keys).await;
}

#[tokio::test]
async fn key_left_without_ttl_gets_one() {
    let store = shared_store().await;
    let mut conn = raw_connection(&url()).await;
    let route = unique_route("nottl");
    let key = redis_key(&route, 60, CLIENT);
    let _: () = ::redis::cmd("SET")
        .arg(&key)
        .arg(7)
        .query_async(&mut conn)
        .await
        .unwrap();
    let d = store
        .hit(&route, CLIENT, &[Limit::new(10, 60)])
        .await
        .unwrap();
    assert_eq!(d.remaining, 2);
    assert!(pttl(&mut conn, &key).await > 0);
    delete(&mut conn, &[key]).await;
}

#[tokio::test]
async fn dead_redis_fails_fast_and_never_panics() {
    let started = Instant::now();
    let store = LimiterStore::redis("redis://127.0.0.1:1").await.unwrap();
    assert!(store.is_redis());
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "construction took {:?}",
        started.elapsed()
    );
    for _ in 0..3 {
        let started = Instant::now();
        let result = store.hit("GET /", CLIENT, &[Limit::new(5, 60)]).await;
        assert!(result.is_err(), "{result:?}");
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "hit took {:?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    assert!(store.ping().await.is_err());
    assert!(started.elapsed() < Duration::from_millis(1_100));
}

#[tokio::test]
async fn blackholed_redis_times_out_at_500_ms() {
    // A TCP listener that never answers RESP: the connection opens, the reply never comes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    let store = LimiterStore::redis(&url).await.unwrap();
    let started = Instant::now();
    let result = store.hit("GET /", CLIENT, &[Limit::new(5, 60)]).await;
    let elapsed = started.elapsed();
    assert!(result.is_err());
    assert!(
        elapsed >= Duration::from_millis(450) && elapsed < Duration::from_millis(700),
        "{elapsed:?}"
    );
    drop(listener);
}

#[tokio::test]
async fn malformed_urls_are_errors() {
    for bad in ["redis://host:notaport", "http://127.0.0.1", "memcached://x"] {
        let result = LimiterStore::redis(bad).await;
        assert!(
            matches!(result, Err(StoreError::InvalidUrl(_))),
            "{bad}: {result:?}"
        );
    }
}

#[test]
fn no_runtime_is_an_error_not_a_panic() {
    assert!(matches!(
        RedisStore::new_lazy("redis://127.0.0.1:1"),
        Err(StoreError::NoRuntime)
    ));
}

/// A private redis-server, killed on drop.
struct PrivateRedis {
    child: Child,
}

impl PrivateRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed for the reconnect tests");
        Self { child }
    }

    fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Hits until the store answers, for at most `limit`.
async fn hit_until_ok(store: &LimiterStore, route: &str, limit: Duration) -> Decision {
    let started = Instant::now();
    loop {
        match store.hit(route, CLIENT, &[Limit::new(5, 60)]).await {
            Ok(d) => return d,
            Err(err) if started.elapsed() < limit => {
                let _ = err;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("store did not recover within {limit:?}: {err}"),
        }
    }
}

#[tokio::test]
async fn reconnects_after_redis_restarts() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let server = PrivateRedis::start(port);
    let store = LimiterStore::redis(&url).await.unwrap();
    assert_eq!(
        hit_until_ok(&store, "GET /", Duration::from_secs(5))
            .await
            .remaining,
        4
    );
    server.stop();
    let started = Instant::now();
    assert!(
        store
            .hit("GET /", CLIENT, &[Limit::new(5, 60)])
            .await
            .is_err()
    );
    assert!(started.elapsed() < Duration::from_millis(600));
    let _server = PrivateRedis::start(port);
    // A fresh server has no counters: the window starts again.
    assert_eq!(
        hit_until_ok(&store, "GET /", Duration::from_secs(5))
            .await
            .remaining,
        4
    );
    store.ping().await.unwrap();
}

#[tokio::test]
async fn redis_down_at_startup_is_picked_up_later() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let store = LimiterStore::redis(&url).await.unwrap();
    assert!(store.ping().await.is_err());
    let _server = PrivateRedis::start(port);
    assert_eq!(
        hit_until_ok(&store, "GET /", Duration::from_secs(5))
            .await
            .remaining,
        4
    );
    store.ping().await.unwrap();
}

#[tokio::test]
async fn rediss_handshake_failure_is_an_error_not_a_panic() {
    // The shared Redis speaks plain TCP, so the TLS handshake fails: the whole rustls
    // path (crypto provider, root store, handshake) runs and must end in an error.
    let tls_url = url().replacen("redis://", "rediss://", 1);
    let store = LimiterStore::redis(&tls_url).await.unwrap();
    let started = Instant::now();
    assert!(
        store
            .hit("GET /", CLIENT, &[Limit::new(5, 60)])
            .await
            .is_err()
    );
    assert!(
        started.elapsed() < Duration::from_millis(750),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn account_failures_count_expire_with_the_window_and_clear_on_redis() {
    let store = shared_store().await;
    let throttle = AccountThrottle::new(
        &store,
        AccountLimits {
            max_failures: 2,
            window: Duration::from_secs(60),
        },
    );
    let email = format!(
        "{}@example.com",
        unique_route("acct").replace([' ', '/'], "-")
    );
    assert_eq!(throttle.check(&email).await.unwrap(), AccountStatus::Open);
    let first = throttle.record_failure(&email).await.unwrap().unwrap();
    assert_eq!(first.failures, 1);
    assert!((59..=60).contains(&first.retry_after_secs));
    let second = throttle.record_failure(&email).await.unwrap().unwrap();
    assert!(throttle.reached_limit_now(&second));
    assert!(matches!(
        throttle.check(&email.to_uppercase()).await.unwrap(),
        AccountStatus::Throttled { retry_after_secs } if (1..=60).contains(&retry_after_secs)
    ));
    let mut conn = raw_connection(&url()).await;
    let ttl = pttl(&mut conn, &account_key(&email)).await;
    assert!((1..=60_000).contains(&ttl), "window TTL {ttl}");
    throttle.clear(&email).await.unwrap();
    assert_eq!(throttle.check(&email).await.unwrap(), AccountStatus::Open);
}
