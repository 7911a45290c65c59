//! Black-box HTTP tests against the real router bound to port 0 (one test binary).
//! SQLite in memory by default; PostgreSQL when `TEST_DATABASE_URL` is set.

mod helpers;
mod smtp_sink;

mod account;
mod account_audit;
mod account_sessions;
mod account_throttle;
mod attacks;
mod audit;
mod auth;
mod config;
mod connections;
mod core;
mod docs;
mod hashing;
mod metrics;
mod outage;
mod races;
mod rate_limit;
mod rbac;
mod reads;
#[path = "../../src/ratelimit/test_redis.rs"]
mod test_redis;
mod users;
