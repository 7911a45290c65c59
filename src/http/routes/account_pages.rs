//! The two pages a user reaches from an account e-mail: `/reset-password` and `/verify-email`.
//! Each carries one inline script, allowed by its SHA-256 in the page's own CSP; the token stays
//! in the query string and is read by the script, never written into the HTML by the server.

use std::sync::LazyLock;

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

const RESET_PAGE: &str = include_str!("../../../assets/pages/reset-password.html");
const RESET_SCRIPT: &str = include_str!("../../../assets/pages/reset-password.js");
const VERIFY_PAGE: &str = include_str!("../../../assets/pages/verify-email.html");
const VERIFY_SCRIPT: &str = include_str!("../../../assets/pages/verify-email.js");

/// A page with its script inlined and the CSP that admits exactly that script.
struct ScriptPage {
    html: String,
    csp: HeaderValue,
}

fn build(page: &str, script: &str) -> ScriptPage {
    let hash = STANDARD.encode(Sha256::digest(script.as_bytes()));
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
         connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    ScriptPage {
        html: page.replace("{{script}}", script),
        csp: HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static("default-src 'none'")),
    }
}

static RESET: LazyLock<ScriptPage> = LazyLock::new(|| build(RESET_PAGE, RESET_SCRIPT));
static VERIFY: LazyLock<ScriptPage> = LazyLock::new(|| build(VERIFY_PAGE, VERIFY_SCRIPT));

fn respond(page: &ScriptPage) -> Response {
    let mut response = Html(page.html.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, page.csp.clone());
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn reset_password() -> Response {
    respond(&RESET)
}

pub async fn verify_email() -> Response {
    respond(&VERIFY)
}
