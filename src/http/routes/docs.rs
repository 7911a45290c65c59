//! OpenAPI document and documentation UIs (§5.25).

use serde_json::json;

/// The OpenAPI document as pretty JSON with a final newline.
pub fn document_pretty() -> String {
    let document = json!({"openapi": "3.1.0", "info": {"title": "warden API", "version": env!("CARGO_PKG_VERSION")}, "paths": {}});
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> axum::response::Response {
    let document: serde_json::Value = serde_json::from_str(&document_pretty()).unwrap_or_default();
    crate::http::envelope::json(axum::http::StatusCode::OK, document)
}
