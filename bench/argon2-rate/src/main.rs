//! Raw Argon2id verification rate: `argon2-rate [threads] [seconds]`.
//!
//! Hashes one password with warden's parameters (Argon2id v19, m=19456 KiB, t=2, p=1, 32-byte
//! tag — `src/security/password.rs`), then verifies it in a loop on `threads` OS threads for
//! `seconds` and prints one JSON object: the verifications per second a login cannot beat on
//! these cores. The login scenario of bench/run.sh is compared against it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    });
    let seconds: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5.0);

    let params = Params::new(19_456, 2, 1, Some(32)).expect("params");
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    let phc = hasher
        .hash_password(b"BenchPassword123", &salt)
        .expect("hash")
        .to_string();
    let phc = Arc::new(phc);

    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (phc, stop, count) = (phc.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                let hash = PasswordHash::new(&phc).expect("phc");
                while !stop.load(Ordering::Relaxed) {
                    // Same call as warden's verify_argon2id.
                    let ok = Argon2::default().verify_password(b"BenchPassword123", &hash);
                    assert!(ok.is_ok());
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = count.load(Ordering::Relaxed);
    println!(
        "{{\"threads\": {threads}, \"seconds\": {elapsed:.3}, \"verifications\": {n}, \"rate\": {:.2}, \"ms_per_hash\": {:.3}}}",
        n as f64 / elapsed,
        elapsed * 1000.0 * threads as f64 / n.max(1) as f64
    );
}
