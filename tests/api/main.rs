//! Black-box HTTP tests against the real router bound to port 0 (one test binary).
//! SQLite in memory by default; PostgreSQL when `TEST_DATABASE_URL` is set.

mod helpers;

mod auth;
mod config;
mod core;
mod docs;
mod outage;
mod rate_limit;
mod users;
