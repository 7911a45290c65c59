//! The outer request pipeline as one layer, in the order of docs/architecture.md: request id →
//! access log + metrics → render → security headers → CORS → body limit → timeout → (panic
//! catcher, router). Each step lives in its own module; this function only sequences them.
//!
//! One layer instead of one `from_fn` layer per step: axum clones the whole stack beneath a
//! `from_fn` layer on every request, so ten layers cost more than the steps themselves
//! (docs/performance.md, experiment 16).

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::http::middleware::cors::{self, Cors};
use crate::http::middleware::security_headers::{self, PathKind};
use crate::http::middleware::{access_log, body_limit, render, request_id, timeout};
use crate::state::AppState;

pub async fn run(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let id = request_id::assign(&state, &mut request);
    let span = request_id::span(&id, &request);
    let mut response = answer(&state, request, next, &id).instrument(span).await;
    request_id::echo(&mut response, &id);
    response
}

/// Everything that runs inside the request's span; the access log sees the final answer.
async fn answer(state: &AppState, request: Request, next: Next, request_id: &str) -> Response {
    let started = access_log::Started::new(state, &request);
    let is_head = request.method() == Method::HEAD;
    let path = PathKind::of(request.uri().path());
    let mut response = match cors::before(&state.config.cors, &request) {
        Cors::Preflight(response) => response,
        Cors::Pass {
            allowed_origin,
            had_origin,
        } => {
            let mut response = match body_limit::check_declared_length(state, &request) {
                Err(refusal) => refusal.into_response(),
                Ok(()) => timeout::limit_duration(state, next.run(request)).await,
            };
            cors::after(
                &state.config.cors,
                allowed_origin.as_deref(),
                had_origin,
                &mut response,
            );
            response
        }
    };
    security_headers::add(state, path, &mut response);
    render::write_body(state, &mut response, request_id, is_head);
    started.finish(&response);
    response
}
