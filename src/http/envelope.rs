//! The response envelope (`success`, `data`, `error`, `meta`) and JSON rendering.
//!
//! Handlers return responses carrying a [`JsonPayload`] extension; the render middleware turns
//! it into the body (pretty or compact by environment, keys sorted, final newline).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::http::views::MessageView;

/// A JSON body not yet serialised.
#[derive(Debug, Clone)]
pub struct JsonPayload(pub Value);

/// Any JSON response (envelope or not).
pub fn json(status: StatusCode, value: Value) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(JsonPayload(value));
    response
}

fn success(status: StatusCode, data: Value, meta: Value) -> Response {
    json(
        status,
        json!({"success": true, "data": data, "error": null, "meta": meta}),
    )
}

/// A typed view as JSON. The views hold strings, numbers and lists only, which always
/// serialise; `null` stands in should one ever not.
fn to_json<T: Serialize>(view: &T) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// A typed view as the whole body, without the envelope (the operators' probes).
pub fn bare<T: Serialize>(status: StatusCode, view: &T) -> Response {
    json(status, to_json(view))
}

/// A typed view as `data`, `meta` null.
pub fn view<T: Serialize>(status: StatusCode, view: &T) -> Response {
    success(status, to_json(view), Value::Null)
}

/// A route whose data would be null: `data` becomes `{"message": …}`.
pub fn message(message: impl Into<String>) -> Response {
    view(StatusCode::OK, &MessageView::new(message))
}

/// A listing: `data` is the list, `meta` its pagination (or keyset) object.
pub fn page<T: Serialize, M: Serialize>(items: &[T], meta: &M) -> Response {
    success(StatusCode::OK, to_json(&items), to_json(meta))
}

/// 200 with `data` and a `meta` object.
pub fn with_meta<T: Serialize, M: Serialize>(data: &T, meta: &M) -> Response {
    success(StatusCode::OK, to_json(data), to_json(meta))
}

/// Serialise for the wire: 2-space pretty or compact, always ending in `\n`.
pub fn render(value: &Value, pretty: bool) -> Vec<u8> {
    let mut out = if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    }
    .unwrap_or_else(|_| b"{}".to_vec());
    out.push(b'\n');
    out
}

/// The error envelope body.
pub fn error_body(code: &str, message: &str, details: Option<&Value>, request_id: &str) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), Value::String(code.into()));
    error.insert("message".into(), Value::String(message.into()));
    if let Some(details) = details {
        error.insert("details".into(), details.clone());
    }
    json!({
        "success": false,
        "data": null,
        "error": Value::Object(error),
        "meta": {"request_id": request_id},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_sorts_keys_and_ends_with_newline() {
        let body = render(&json!({"b": 1, "a": "é"}), false);
        assert_eq!(String::from_utf8(body).unwrap(), "{\"a\":\"é\",\"b\":1}\n");
    }
}
