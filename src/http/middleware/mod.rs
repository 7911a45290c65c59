//! The request pipeline, outermost first: request id → access log + metrics → render →
//! security headers → CORS → body limit → timeout (one layer, [`pipeline`]) → panic catcher →
//! router; inside the router, one per-route layer: the route guard (path parameters), then the
//! rate limit.

pub mod access_log;
pub mod body_limit;
pub mod cors;
pub mod pipeline;
pub mod rate_limit;
pub mod render;
pub mod request_id;
pub mod route_guard;
pub mod security_headers;
pub mod timeout;

pub use request_id::{ClientIp, RequestId};
pub use route_guard::{MatchedRoute, RouteLabel};
