//! OpenAPI document and documentation UIs: the JSON document, Swagger UI, ReDoc and a
//! small index page. Every asset is embedded in the binary (no CDN) and every page loads its
//! scripts from files, so the docs CSP (`script-src 'self'`) holds.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::error::AppError;
use crate::http::envelope;

pub use crate::http::openapi::document_pretty;

const SWAGGER_PAGE: &str = include_str!("../../../assets/docs/swagger.html");
const REDOC_PAGE: &str = include_str!("../../../assets/docs/redoc.html");
const INDEX_PAGE: &str = include_str!("../../../assets/docs/index.html");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const PNG: &str = "image/png";

/// Assets under `/docs/{asset}`: name → (content type, bytes).
const DOCS_ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "swagger-ui-bundle.js",
        JS,
        include_bytes!("../../../assets/vendor/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        CSS,
        include_bytes!("../../../assets/vendor/swagger-ui/swagger-ui.css"),
    ),
    (
        "favicon-32x32.png",
        PNG,
        include_bytes!("../../../assets/vendor/swagger-ui/favicon-32x32.png"),
    ),
    (
        "swagger-initializer.js",
        JS,
        include_bytes!("../../../assets/docs/swagger-initializer.js"),
    ),
    (
        "docs.css",
        CSS,
        include_bytes!("../../../assets/docs/docs.css"),
    ),
];

/// Assets under `/redoc/{asset}`.
const REDOC_ASSETS: &[(&str, &str, &[u8])] = &[(
    "redoc.standalone.js",
    JS,
    include_bytes!("../../../assets/vendor/redoc/redoc.standalone.js"),
)];

/// The asset paths the pages reference (for tests and the browser script).
pub fn asset_paths() -> Vec<String> {
    DOCS_ASSETS
        .iter()
        .map(|(name, _, _)| format!("/docs/{name}"))
        .chain(
            REDOC_ASSETS
                .iter()
                .map(|(name, _, _)| format!("/redoc/{name}")),
        )
        .collect()
}

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(crate::http::openapi::document)
}

/// `GET /openapi.json` and `GET /openapi/openapi.json`: rendered like every JSON body.
pub async fn openapi_json() -> Response {
    envelope::json(StatusCode::OK, document().clone())
}

/// Swagger UI (`/docs`, `/docs/`, `/openapi/swagger`).
pub async fn swagger() -> Html<&'static str> {
    Html(SWAGGER_PAGE)
}

/// ReDoc (`/redoc`, `/redoc/`, `/openapi/redoc`).
pub async fn redoc() -> Html<&'static str> {
    Html(REDOC_PAGE)
}

/// The docs index (`/openapi/` ≡ `/openapi`).
pub async fn index() -> Html<&'static str> {
    Html(INDEX_PAGE)
}

fn serve(table: &[(&str, &'static str, &'static [u8])], name: &str) -> Response {
    let Some((_, content_type, bytes)) = table.iter().find(|(n, _, _)| *n == name) else {
        return AppError::RouteNotFound.into_response();
    };
    let mut response = (*bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

/// `GET /docs/{asset}`.
pub async fn docs_asset(name: Result<Path<String>, PathRejection>) -> Response {
    name.map_or_else(
        |_| AppError::RouteNotFound.into_response(),
        |Path(name)| serve(DOCS_ASSETS, &name),
    )
}

/// `GET /redoc/{asset}`.
pub async fn redoc_asset(name: Result<Path<String>, PathRejection>) -> Response {
    name.map_or_else(
        |_| AppError::RouteNotFound.into_response(),
        |Path(name)| serve(REDOC_ASSETS, &name),
    )
}
