//! Per-hit cost of the stores. Ignored by default; run in release:
//! `cargo test --release -- --ignored --nocapture bench_`

use std::time::{Duration, Instant};

use super::redis::redis_key;
use super::*;

const CLIENTS: usize = 1_000;

fn client_keys() -> Vec<String> {
    (0..CLIENTS)
        .map(|i| format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256))
        .collect()
}

/// The default `RATE_LIMIT_DEFAULT`: two limits per request.
fn default_limits() -> Vec<Limit> {
    vec![Limit::new(50, 3_600), Limit::new(200, 86_400)]
}

fn per_hit(elapsed: Duration, hits: usize) -> String {
    format!(
        "{:.0} ns/hit ({hits} hits in {elapsed:?})",
        elapsed.as_nanos() as f64 / hits as f64
    )
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture bench_"]
fn bench_memory_store() {
    let store = MemoryStore::new();
    let clients = client_keys();
    let limits = default_limits();
    let hits = 2_000_000;
    let started = Instant::now();
    for i in 0..hits {
        std::hint::black_box(store.hit(
            "GET /api/v1/users/{user_id}",
            &clients[i % CLIENTS],
            &limits,
        ));
    }
    println!(
        "memory, 1 thread, 2 limits, {CLIENTS} clients: {}",
        per_hit(started.elapsed(), hits)
    );

    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..2 {
            let (store, clients, limits) = (&store, &clients, &limits);
            scope.spawn(move || {
                for i in 0..hits / 2 {
                    std::hint::black_box(store.hit("GET /", &clients[(i + t) % CLIENTS], limits));
                }
            });
        }
    });
    println!(
        "memory, 2 threads: {} (wall clock / total hits)",
        per_hit(started.elapsed(), hits)
    );

    let fresh = 200_000;
    let started = Instant::now();
    for i in 0..fresh {
        store.hit("GET /fresh", &format!("c{i}"), &limits);
    }
    println!(
        "memory, new bucket every hit (incl. format!): {}",
        per_hit(started.elapsed(), fresh)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --release -- --ignored --nocapture bench_"]
async fn bench_redis_store() {
    let url =
        std::env::var("WARDEN_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let store = LimiterStore::redis(&url).await.unwrap();
    store.ping().await.unwrap();
    let route = format!("TEST /warden-rl-bench/{}", std::process::id());
    let clients = client_keys();
    let limits = default_limits();

    let hits = 20_000;
    let started = Instant::now();
    for i in 0..hits {
        store
            .hit(&route, &clients[i % CLIENTS], &limits)
            .await
            .unwrap();
    }
    println!(
        "redis, sequential, 2 limits: {}",
        per_hit(started.elapsed(), hits)
    );

    let tasks = 64;
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (store, route, clients, limits) = (
                store.clone(),
                route.clone(),
                clients.clone(),
                limits.clone(),
            );
            tokio::spawn(async move {
                for i in 0..hits / tasks {
                    store
                        .hit(&route, &clients[(i * tasks + t) % CLIENTS], &limits)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    println!(
        "redis, {tasks} concurrent tasks: {} (wall clock / total hits)",
        per_hit(started.elapsed(), hits)
    );

    let client = ::redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = clients
        .iter()
        .flat_map(|c| limits.iter().map(|l| redis_key(&route, l.period_secs, c)))
        .collect();
    let deleted: u64 = ::redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(deleted as usize, keys.len());
}
