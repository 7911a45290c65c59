//! The second floor of the benchmark: what axum and the PostgreSQL driver allow for an
//! authenticated primary-key read, with nothing else in between.
//!
//! `GET /me` with `Authorization: Bearer <warden access token>`: HS256 verification (the same
//! secret as warden), one prepared primary-key `SELECT` through `deadpool-postgres`
//! (`RecyclingMethod::Fast`, `prepare_cached`), the row as JSON. No middleware, no session
//! check, no envelope. Environment: `DATABASE_URL`, `SECRET_KEY`, `PORT`, `POOL_SIZE`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SELECT_USER: &str = "SELECT id, username, email, first_name, middle_name, last_name, bio, \
    is_active, created_at, updated_at FROM users.users WHERE id = $1";

struct App {
    pool: Pool,
    key: DecodingKey,
    validation: Validation,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

#[derive(Serialize)]
struct User {
    id: i32,
    username: String,
    email: String,
    first_name: String,
    middle_name: Option<String>,
    last_name: Option<String>,
    bio: Option<String>,
    is_active: Option<bool>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

async fn me(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Json<User>, StatusCode> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let claims = jsonwebtoken::decode::<Claims>(token, &app.key, &app.validation)
        .map_err(|_| StatusCode::UNAUTHORIZED)?
        .claims;
    let id: i32 = claims.sub.parse().map_err(|_| StatusCode::UNAUTHORIZED)?;
    let client = app.pool.get().await.map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let statement = client
        .prepare_cached(SELECT_USER)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let row = client
        .query_opt(&statement, &[&id])
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(User {
        id: row.get(0),
        username: row.get(1),
        email: row.get(2),
        first_name: row.get(3),
        middle_name: row.get(4),
        last_name: row.get(5),
        bio: row.get(6),
        is_active: row.get(7),
        created_at: row.get(8),
        updated_at: row.get(9),
    }))
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set"))
}

#[tokio::main]
async fn main() {
    let config: tokio_postgres::Config = env("DATABASE_URL").parse().expect("DATABASE_URL");
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let size = std::env::var("POOL_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    let pool = Pool::builder(manager).max_size(size).build().expect("pool");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = true;
    let app = Arc::new(App {
        pool,
        key: DecodingKey::from_secret(env("SECRET_KEY").as_bytes()),
        validation,
    });
    let router = Router::new().route("/me", get(me)).with_state(app);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", env("PORT").parse::<u16>().expect("PORT")))
        .await
        .expect("bind");
    axum::serve(listener, router).await.expect("serve");
}
