//! The welcome object, the JSON health of the API and the operators' probes. Each word these
//! answers can hold is an enum variant, so the document's schemas list exactly the words sent.

use serde::Serialize;
use utoipa::ToSchema;

// The API version every enveloped answer names. (Plain comments on the views: a doc comment
// would become the schema's description.)
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum ApiVersion {
    #[serde(rename = "v1")]
    V1,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Running,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WelcomeView {
    pub message: &'static str,
    #[schema(inline)]
    pub status: ServiceStatus,
    pub version: &'static str,
    #[schema(inline)]
    pub api_version: ApiVersion,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiHealth {
    Healthy,
    Degraded,
}

// A dependency as `/api/v1/health` reports it; the database is always configured.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseConnection {
    Connected,
    Disconnected,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Connected,
    Disconnected,
    NotConfigured,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiHealthView {
    #[schema(inline)]
    pub status: ApiHealth,
    #[schema(inline)]
    pub database: DatabaseConnection,
    #[schema(inline)]
    pub redis: Connection,
    #[schema(inline)]
    pub api_version: ApiVersion,
    pub version: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Ok,
}

// `/livez`: not enveloped.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LivenessView {
    #[schema(inline)]
    pub status: Liveness,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessStatus {
    Ready,
    Degraded,
    NotReady,
    ShuttingDown,
}

// A dependency as `/readyz` reports it; the database is always configured.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseCheck {
    Ok,
    Error,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Ok,
    Error,
    NotConfigured,
}

// `/readyz`: not enveloped.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadinessView {
    #[schema(inline)]
    pub status: ReadinessStatus,
    #[schema(inline)]
    pub checks: ReadinessChecks,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadinessChecks {
    #[schema(inline)]
    pub database: DatabaseCheck,
    #[schema(inline)]
    pub redis: CheckState,
}
