//! The response envelope (`success`, `data`, `error`, `meta`) and JSON rendering.
//!
//! Handlers return responses carrying a [`JsonPayload`] extension; the render middleware turns
//! it into the body (pretty or compact by environment, keys sorted, final newline).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::http::views::{MessageView, SortedKeys};

/// A JSON body, in the form the render middleware finishes.
#[derive(Debug, Clone)]
pub enum JsonPayload {
    /// A value; serialising it writes its keys in order.
    Value(Value),
    /// Compact bytes of a [`SortedKeys`] body, keys already in order, no final newline.
    Compact(Vec<u8>),
}

fn with_payload(status: StatusCode, payload: JsonPayload) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(payload);
    response
}

/// Any JSON response (envelope or not).
pub fn json(status: StatusCode, value: Value) -> Response {
    with_payload(status, JsonPayload::Value(value))
}

/// The success envelope with its keys in order: `data`, `error`, `meta`, `success`.
#[derive(Serialize)]
struct SortedEnvelope<'a, D: ?Sized, M> {
    data: &'a D,
    error: Option<()>,
    meta: Option<&'a M>,
    success: bool,
}

fn sorted_success<D: SortedKeys + ?Sized, M: SortedKeys>(
    status: StatusCode,
    data: &D,
    meta: Option<&M>,
) -> Response {
    let envelope = SortedEnvelope {
        data,
        error: None,
        meta,
        success: true,
    };
    match serde_json::to_vec(&envelope) {
        Ok(bytes) => with_payload(status, JsonPayload::Compact(bytes)),
        Err(_) => json(status, Value::Null),
    }
}

/// [`view`] for a view whose keys are already in order: written straight to bytes, without an
/// intermediate `Value` (the hot reads: the caller, a user).
pub fn sorted_view<T: SortedKeys>(status: StatusCode, view: &T) -> Response {
    sorted_success::<T, ()>(status, view, None)
}

/// [`page`] for items and meta whose keys are already in order.
pub fn sorted_page<T: SortedKeys, M: SortedKeys>(items: &[T], meta: &M) -> Response {
    sorted_success(StatusCode::OK, items, Some(meta))
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

/// Finish a payload for the wire: 2-space pretty or compact, always ending in `\n`.
pub fn finish(payload: JsonPayload, pretty: bool) -> Vec<u8> {
    match payload {
        JsonPayload::Value(value) => render(&value, pretty),
        JsonPayload::Compact(bytes) => {
            debug_assert!(
                keys_in_order(&bytes),
                "a SortedKeys view wrote its keys out of order"
            );
            if pretty {
                let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                render(&value, true)
            } else {
                let mut bytes = bytes;
                bytes.push(b'\n');
                bytes
            }
        }
    }
}

/// Re-rendering through a `Value` (which orders keys) changes nothing.
fn keys_in_order(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|value| serde_json::to_vec(&value).ok())
        .is_some_and(|ordered| ordered == bytes)
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

    use crate::domain::Page;
    use crate::http::views::{PageMeta, UserListMeta, UserView};

    fn user() -> UserView {
        UserView {
            bio: Some("é".into()),
            created_at: "2026-01-01T00:00:00Z".into(),
            email: "a@example.com".into(),
            email_verified: true,
            first_name: "A".into(),
            id: 7,
            is_active: true,
            is_deleted: false,
            last_name: None,
            middle_name: Some("M".into()),
            updated_at: "2026-01-02T00:00:00Z".into(),
            username: "a".into(),
        }
    }

    fn body(response: Response) -> Vec<u8> {
        match response.extensions().get::<JsonPayload>() {
            Some(JsonPayload::Compact(bytes)) => bytes.clone(),
            other => panic!("expected compact bytes, got {other:?}"),
        }
    }

    #[test]
    fn every_sorted_keys_view_writes_what_a_value_would() {
        let meta = UserListMeta {
            api_version: "v1",
            count: 2,
            page: PageMeta::new(
                Page {
                    page: 1,
                    per_page: 20,
                },
                41,
            ),
        };
        for bytes in [
            body(sorted_view(StatusCode::OK, &user())),
            body(sorted_page(&[user(), user()], &meta)),
            body(sorted_page(
                &[user()],
                &PageMeta::new(
                    Page {
                        page: 3,
                        per_page: 20,
                    },
                    41,
                ),
            )),
        ] {
            assert!(keys_in_order(&bytes), "{}", String::from_utf8_lossy(&bytes));
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(value["success"], true);
            assert!(value["error"].is_null());
        }
    }

    #[test]
    fn compact_bytes_render_like_their_value_in_both_styles() {
        let bytes = body(sorted_view(StatusCode::OK, &user()));
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        for pretty in [false, true] {
            assert_eq!(
                finish(JsonPayload::Compact(bytes.clone()), pretty),
                render(&value, pretty)
            );
        }
        assert!(!keys_in_order(br#"{"b":1,"a":2}"#));
    }

    #[test]
    fn rendering_sorts_keys_and_ends_with_newline() {
        let body = render(&json!({"b": 1, "a": "é"}), false);
        assert_eq!(String::from_utf8(body).unwrap(), "{\"a\":\"é\",\"b\":1}\n");
    }
}
