//! Online guessing: login brute force is throttled and unknown-email vs wrong-password
//! answers cannot be told apart by timing.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::{Cases, assert_unchanged, snapshot, unchanged};
use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app, spawn_app_with};

const LIMITED: &str = "Too many requests. Please try again later.";

async fn attempt(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

#[tokio::test]
async fn login_brute_force_is_throttled_at_the_sixth_attempt() {
    let cases = Cases::new("login_brute_force_is_throttled_at_the_sixth_attempt");
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN", "5 per minute")]).await;
    app.register("victim").await;
    let before = snapshot(&app).await;
    let guesses = [
        "Password1",
        "Password12",
        "Password123",
        "Letmein123",
        "Qwerty1234",
    ];
    for (i, guess) in guesses.iter().enumerate() {
        let reply = attempt(&app, "victim@example.com", guess).await;
        reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
        assert_eq!(
            reply.header("ratelimit-remaining"),
            Some((4 - i).to_string().as_str())
        );
        cases.hit();
    }
    assert_unchanged(&before, &snapshot(&app).await, "five wrong guesses");
    // The sixth attempt is refused before the password is even checked: the right password
    // does not log in, another account does not help, and nothing is written.
    let variations = [
        ("victim@example.com", "Wrong12345"),
        ("victim@example.com", PASSWORD),
        ("VICTIM@example.com", PASSWORD),
        ("other@example.com", PASSWORD),
        ("", ""),
    ];
    for (email, password) in variations {
        let reply = unchanged(&app, email, || attempt(&app, email, password)).await;
        reply.assert_error(429, "RATE_LIMIT_EXCEEDED", LIMITED);
        let retry: u64 = reply
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=60).contains(&retry), "{retry}");
        assert!(!reply.text.contains("access_token"));
        cases.hit();
    }
    // Path and method variations are not a way around the limit: they are not the login route.
    for (method, path) in [
        (Method::POST, "/api/v1/auth/login/"),
        (Method::POST, "/api/v1/auth//login"),
        (Method::POST, "/API/v1/auth/login"),
        (Method::POST, "/api/v1/auth/login%2F"),
        (Method::PUT, "/api/v1/auth/login"),
        (Method::GET, "/api/v1/auth/login"),
    ] {
        let reply = unchanged(&app, path, || async {
            app.request(
                method.clone(),
                path,
                None,
                Some(json!({"email": "victim@example.com", "password": PASSWORD})),
            )
            .await
        })
        .await;
        assert!(
            matches!(reply.status, 404 | 405),
            "{method} {path}: {}",
            reply.text
        );
        assert!(!reply.text.contains("access_token"));
        cases.hit();
    }
    assert_eq!(
        attempt(&app, "victim@example.com", PASSWORD).await.status,
        429,
        "still limited"
    );
}

/// Wall time of one failed login, in seconds.
async fn timed(app: &TestApp, email: &str) -> f64 {
    let start = Instant::now();
    let reply = attempt(app, email, "Wrong-Password-1").await;
    let elapsed = start.elapsed().as_secs_f64();
    reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
    elapsed
}

/// Mean of the samples without the fastest and slowest 10 % (scheduler noise on a busy host).
fn trimmed_mean(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cut = sorted.len() / 10;
    let kept = &sorted[cut..sorted.len() - cut];
    kept.iter().sum::<f64>() / kept.len() as f64
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

struct Measurement {
    unknown: Vec<f64>,
    wrong: Vec<f64>,
}

impl Measurement {
    fn relative(a: f64, b: f64) -> f64 {
        (a - b).abs() / a.max(b)
    }
    fn mean_difference(&self) -> f64 {
        Self::relative(trimmed_mean(&self.unknown), trimmed_mean(&self.wrong))
    }
    fn median_difference(&self) -> f64 {
        Self::relative(median(&self.unknown), median(&self.wrong))
    }
    fn describe(&self) -> String {
        format!(
            "unknown email: mean {:.1} ms, median {:.1} ms; wrong password: mean {:.1} ms, median {:.1} ms; difference: mean {:.1} %, median {:.1} %",
            trimmed_mean(&self.unknown) * 1e3,
            median(&self.unknown) * 1e3,
            trimmed_mean(&self.wrong) * 1e3,
            median(&self.wrong) * 1e3,
            self.mean_difference() * 100.0,
            self.median_difference() * 100.0
        )
    }
}

const SAMPLES: usize = 40;

/// 40 samples of each kind, interleaved (the order alternates within each pair so that drift
/// in machine load hits both kinds alike).
async fn measure(app: &TestApp) -> Measurement {
    for _ in 0..3 {
        timed(app, "ghost@example.com").await;
        timed(app, "victim@example.com").await;
    }
    let mut m = Measurement {
        unknown: Vec::with_capacity(SAMPLES),
        wrong: Vec::with_capacity(SAMPLES),
    };
    for i in 0..SAMPLES {
        let ghost = format!("ghost{i}@example.com");
        if i % 2 == 0 {
            m.unknown.push(timed(app, &ghost).await);
            m.wrong.push(timed(app, "victim@example.com").await);
        } else {
            m.wrong.push(timed(app, "victim@example.com").await);
            m.unknown.push(timed(app, &ghost).await);
        }
    }
    m
}

#[tokio::test]
async fn unknown_email_and_wrong_password_take_the_same_time() {
    let cases = Cases::new("unknown_email_and_wrong_password_take_the_same_time");
    let app = spawn_app().await;
    app.register("victim").await;
    let before = snapshot(&app).await;
    let mut first = measure(&app).await;
    println!("timing (attempt 1): {}", first.describe());
    if first.mean_difference() >= 0.10 {
        // One retry: a busy 2-core machine can stall a whole run of samples.
        tokio::time::sleep(Duration::from_millis(500)).await;
        first = measure(&app).await;
        println!("timing (attempt 2): {}", first.describe());
    }
    cases.add(2 * SAMPLES);
    assert!(
        first.mean_difference() < 0.10,
        "login timing reveals whether an email is registered: {}",
        first.describe()
    );
    assert_unchanged(&before, &snapshot(&app).await, "timing probes");
}

#[tokio::test]
async fn legacy_hash_accounts_answer_identically_when_wrong() {
    // Unknown email and a wrong password against a legacy (Werkzeug) account give the same
    // body; only Argon2id accounts are promised equal timing.
    let cases = Cases::new("legacy_hash_accounts_answer_identically_when_wrong");
    let app = spawn_app().await;
    let id = app.register("legacy").await;
    let db = &app.state.db;
    let sql = db.sql("UPDATE users.users SET password_hash = $1 WHERE id = $2");
    let stored = "pbkdf2:sha256:1000$salt$0000";
    crate::with_test_pool!(db, |pool| sqlx::query(sql)
        .bind(stored)
        .bind(i32::try_from(id).expect("id"))
        .execute(pool)
        .await
        .map(|_| ())
        .expect("update"));
    let before = snapshot(&app).await;
    let wrong = attempt(&app, "legacy@example.com", "Whatever1").await;
    let unknown = attempt(&app, "nobody@example.com", "Whatever1").await;
    for reply in [&wrong, &unknown] {
        reply.assert_error(401, "INVALID_CREDENTIALS", "Invalid email or password");
        cases.hit();
    }
    assert_eq!(wrong.body["error"], unknown.body["error"]);
    assert_unchanged(&before, &snapshot(&app).await, "legacy probes");
}
