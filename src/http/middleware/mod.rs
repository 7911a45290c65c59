//! Tower layers, outermost first: request id → access log + metrics → render → CORS and
//! security headers → body limit → timeout → panic catcher → router; inside the router,
//! per-route guards (path parameters, rate limit).

pub mod access_log;
pub mod body_limit;
pub mod cors;
pub mod rate_limit;
pub mod render;
pub mod request_id;
pub mod route_guard;
pub mod security_headers;
pub mod timeout;

pub use request_id::{ClientIp, RequestId};
pub use route_guard::{MatchedRoute, RouteLabel};
