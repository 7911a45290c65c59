//! Typed response views: one struct per shape, `Serialize` for the body and `utoipa::ToSchema`
//! for the OpenAPI component, so the document cannot drift from what is sent.

pub mod audit;
