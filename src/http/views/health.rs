//! The welcome object, the JSON health of the API and the operators' probes.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct WelcomeView {
    pub message: &'static str,
    pub status: &'static str,
    pub version: &'static str,
    pub api_version: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiHealthView {
    pub status: &'static str,
    pub database: &'static str,
    pub redis: &'static str,
    pub api_version: &'static str,
    pub version: &'static str,
}

/// `/livez`: not enveloped.
#[derive(Debug, Serialize, ToSchema)]
pub struct LivenessView {
    pub status: &'static str,
}

/// `/readyz`: not enveloped.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessView {
    pub status: &'static str,
    pub checks: ReadinessChecks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessChecks {
    pub database: &'static str,
    pub redis: &'static str,
}
