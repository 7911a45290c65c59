//! warden: user management, JWT authentication with server-side sessions, role-based access
//! control and rate limiting as an HTTP API. See `docs/architecture.md` for the layout.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod ratelimit;
pub mod security;
pub mod service;
pub mod state;
pub mod store;
pub mod telemetry;

pub use app::App;
