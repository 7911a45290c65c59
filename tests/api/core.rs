//! Tests: core.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn welcome_answers_with_the_envelope() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        json!({"success": true, "error": null, "meta": null,
               "data": {"message": "Welcome to warden!", "status": "running", "version": env!("CARGO_PKG_VERSION"), "api_version": "v1"}})
    );
}
