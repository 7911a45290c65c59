//! The response envelope (§1.4) and JSON rendering (§1.3).
//!
//! Handlers return responses carrying a [`JsonPayload`] extension; the render middleware turns
//! it into the body (pretty or compact by environment, keys sorted, final newline).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

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

/// 200 with `data`.
pub fn ok(data: Value) -> Response {
    success(StatusCode::OK, data, Value::Null)
}

/// `data` object with the route's success message folded in (§1.4).
pub fn ok_with_message(status: StatusCode, data: Value, message: &str) -> Response {
    success(status, fold_message(data, message), Value::Null)
}

/// A typed view as `data`.
pub fn view<T: serde::Serialize>(status: StatusCode, view: &T) -> Response {
    let data = serde_json::to_value(view).unwrap_or(Value::Null);
    success(status, data, Value::Null)
}

/// A route whose data would be null: `data` becomes `{"message": …}`.
pub fn message(message: &str) -> Response {
    ok(json!({ "message": message }))
}

/// A list route: the data is the list, `meta` its pagination object.
pub fn list(items: Vec<Value>, meta: Value) -> Response {
    success(StatusCode::OK, Value::Array(items), meta)
}

/// 200 with `data` and a `meta` object (a keyset page).
pub fn with_meta(data: Value, meta: Value) -> Response {
    success(StatusCode::OK, data, meta)
}

fn fold_message(data: Value, message: &str) -> Value {
    match data {
        Value::Object(mut fields) => {
            fields.insert("message".into(), Value::String(message.into()));
            Value::Object(fields)
        }
        Value::Null => json!({ "message": message }),
        other => other,
    }
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
    fn messages_fold_into_objects_and_replace_null() {
        assert_eq!(
            fold_message(json!({"id": 1}), "hi"),
            json!({"id": 1, "message": "hi"})
        );
        assert_eq!(fold_message(Value::Null, "hi"), json!({"message": "hi"}));
        assert_eq!(fold_message(json!([1]), "hi"), json!([1]));
    }

    #[test]
    fn rendering_sorts_keys_and_ends_with_newline() {
        let body = render(&json!({"b": 1, "a": "é"}), false);
        assert_eq!(String::from_utf8(body).unwrap(), "{\"a\":\"é\",\"b\":1}\n");
    }
}
