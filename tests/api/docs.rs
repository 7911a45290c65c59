//! API documentation: the OpenAPI document's structure and coverage, real bodies
//! validated against it, the docs pages and their assets, `warden openapi`, and a snapshot.
//!
//! Snapshot: `tests/snapshots/openapi.json`. After an intended change of the document run
//! `UPDATE_SNAPSHOTS=1 cargo test --test api docs::` and commit the updated file.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use warden::http::middleware::security_headers::{DOCS_CSP, PAGE_CSP};

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app};

/// The reviewed snapshot (`tests/snapshots/openapi.json`): the route table derives the
/// document, the snapshot holds the list of (method, path) operations still, and the rules
/// below are checked against every one of them.
fn snapshot_operations() -> BTreeSet<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");
    let text = std::fs::read_to_string(path).expect("read snapshot");
    operations(&serde_json::from_str(&text).expect("snapshot is JSON"))
}

fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("path item").keys();
            methods.map(move |method| (method.clone(), path.clone()))
        })
        .collect()
}

/// The contract's table of statuses each operation MUST document (success first).
fn required_statuses(method: &str, path: &str) -> Vec<u16> {
    let protected = [401, 403, 429];
    let with_input = [401, 403, 422, 429];
    let with_user = [401, 403, 404, 422, 429];
    let by_name = [401, 403, 404, 429];
    let admin_write = [400, 401, 403, 404, 422, 429];
    let errors: &[u16] = match (method, path) {
        ("get", "/api/v1/") => &[429],
        ("get", "/api/v1/health" | "/livez" | "/metrics") => &[],
        ("get", "/readyz") => &[503],
        ("post", "/api/v1/auth/register") => &[409, 422, 429],
        ("post", "/api/v1/auth/login") => &[401, 403, 422, 429],
        ("post", "/api/v1/auth/logout" | "/api/v1/auth/refresh") | ("get", "/api/v1/auth/me") => {
            &protected
        }
        (
            "get",
            "/api/v1/users/"
            | "/api/v1/admin/roles/"
            | "/api/v1/admin/permissions/"
            | "/api/v1/admin/audit-events/",
        ) => &with_input,
        (_, "/api/v1/users/{user_id}")
        | ("get", "/api/v1/admin/roles/users/{user_id}")
        | ("get", "/api/v1/admin/permissions/users/{user_id}") => &with_user,
        ("post", "/api/v1/admin/roles/") => &[401, 403, 404, 409, 422, 429],
        ("post", "/api/v1/auth/password/change") => &with_input,
        ("post", "/api/v1/auth/password/forgot" | "/api/v1/auth/email/verify/request") => {
            &[422, 429]
        }
        ("post", "/api/v1/auth/password/reset" | "/api/v1/auth/email/verify") => &[400, 422, 429],
        (_, "/api/v1/auth/sessions/") => &protected,
        ("delete", "/api/v1/auth/sessions/{session_id}") => &by_name,
        (_, "/api/v1/users/{user_id}/sessions") => &with_user,
        ("get" | "delete", "/api/v1/admin/roles/{role_name}")
        | ("get", "/api/v1/admin/permissions/{permission_name}") => &by_name,
        _ => &admin_write,
    };
    let success = if matches!(
        (method, path),
        ("post", "/api/v1/auth/register") | ("post", "/api/v1/admin/roles/")
    ) {
        201
    } else if matches!(
        path,
        "/api/v1/auth/password/forgot" | "/api/v1/auth/email/verify/request"
    ) {
        202
    } else {
        200
    };
    std::iter::once(success)
        .chain(errors.iter().copied())
        .collect()
}

fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/livez"
            | "/readyz"
            | "/metrics"
            | "/api/v1/"
            | "/api/v1/health"
            | "/api/v1/auth/register"
            | "/api/v1/auth/login"
            | "/api/v1/auth/password/forgot"
            | "/api/v1/auth/password/reset"
            | "/api/v1/auth/email/verify/request"
            | "/api/v1/auth/email/verify"
    )
}

fn expected_tag(path: &str) -> &'static str {
    if path.starts_with("/api/v1/auth/") {
        "Authentication (v1)"
    } else if path.starts_with("/api/v1/users") {
        "Users (v1)"
    } else if path.starts_with("/api/v1/admin/roles") {
        "Roles Management"
    } else if path.starts_with("/api/v1/admin/permissions") {
        "Permissions Management"
    } else if path.starts_with("/api/v1/admin/audit-events") {
        "Audit Log"
    } else if path.starts_with("/api/v1/") {
        "Health (v1)"
    } else {
        "Operations"
    }
}

fn document() -> Value {
    warden::http::openapi::document()
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(document, &document["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(value: &Value, kind: &str) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => false,
    }
}

/// A small JSON Schema 2020-12 validator for the keywords the document uses.
fn validate(document: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(document, schema);
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(k) => vec![k.as_str()],
            Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !kinds.iter().any(|k| type_matches(value, k)) {
            errors.push(format!("{at}: {value} is not of type {kind}"));
            return;
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            errors.push(format!("{at}: {value} != const {constant}"));
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} not in enum"));
        }
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_i64),
        value.as_i64(),
    ) {
        if n < min {
            errors.push(format!("{at}: {n} < minimum {min}"));
        }
    }
    if let Some(Value::Array(options)) = schema.get("anyOf") {
        let ok = options.iter().any(|option| {
            let mut inner = Vec::new();
            validate(document, option, value, at, &mut inner);
            inner.is_empty()
        });
        if !ok {
            errors.push(format!("{at}: matches no anyOf branch"));
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, item) in values.iter().enumerate() {
            validate(document, items, item, &format!("{at}.{i}"), errors);
        }
    }
    if let Some(fields) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    errors.push(format!("{at}: missing required {name}"));
                }
            }
        }
        for (name, field) in fields {
            let path = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => validate(document, property, field, &path, errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{path}: not allowed")),
                    Some(extra @ Value::Object(_)) => {
                        validate(document, extra, field, &path, errors)
                    }
                    _ => {}
                },
            }
        }
    }
}

/// Assert that a real reply is documented for its operation and validates against its schema.
#[track_caller]
pub(crate) fn assert_documented(document: &Value, method: &str, path: &str, reply: &Reply) {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not documented");
    let response = &operation["responses"][reply.status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path}: status {} not documented ({})",
        reply.status,
        reply.text
    );
    let schema = &response["content"]["application/json"]["schema"];
    let mut errors = Vec::new();
    validate(document, schema, &reply.body, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{method} {path} {}: {errors:?}\nbody: {}",
        reply.status,
        reply.text
    );
}

#[test]
fn document_header_and_security_scheme() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "warden API");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        document["components"]["securitySchemes"]["jwt"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": document["components"]["securitySchemes"]["jwt"]["description"]})
    );
    for name in [
        "UserCreateSchema",
        "LoginRequest",
        "UserUpdateSchema",
        "RoleCreateSchema",
        "RoleUpdateSchema",
        "RoleAssignSchema",
        "DirectPermissionGrantSchema",
        "ErrorResponse",
        "ValidationErrorResponse",
        "ForbiddenErrorResponse",
    ] {
        assert!(
            document["components"]["schemas"][name].is_object(),
            "missing schema {name}"
        );
    }
    let validation = &document["components"]["schemas"]["ValidationDetails"];
    assert_eq!(
        validation["additionalProperties"],
        json!({"type": "string"})
    );
    let permission = &document["components"]["schemas"]["PermissionDetails"];
    assert_eq!(
        permission["required"],
        json!(["required_permissions", "require_all"])
    );
}

#[test]
fn every_contract_route_is_documented_with_its_statuses() {
    let document = document();
    let documented = operations(&document);
    assert_eq!(
        documented,
        snapshot_operations(),
        "documented operations differ from the reviewed snapshot"
    );
    assert!(documented.len() > 30, "{documented:?}");

    let request_schemas = [
        ("post", "/api/v1/auth/register", "UserCreateSchema"),
        ("post", "/api/v1/auth/login", "LoginRequest"),
        ("put", "/api/v1/users/{user_id}", "UserUpdateSchema"),
        ("post", "/api/v1/admin/roles/", "RoleCreateSchema"),
        ("put", "/api/v1/admin/roles/{role_name}", "RoleUpdateSchema"),
        (
            "post",
            "/api/v1/admin/roles/users/{user_id}",
            "RoleAssignSchema",
        ),
        (
            "post",
            "/api/v1/admin/permissions/users/{user_id}",
            "DirectPermissionGrantSchema",
        ),
        (
            "post",
            "/api/v1/auth/password/change",
            "PasswordChangeRequest",
        ),
        ("post", "/api/v1/auth/password/forgot", "EmailRequest"),
        (
            "post",
            "/api/v1/auth/password/reset",
            "PasswordResetRequest",
        ),
        ("post", "/api/v1/auth/email/verify/request", "EmailRequest"),
        ("post", "/api/v1/auth/email/verify", "EmailVerifyRequest"),
    ];
    for (method, path) in &documented {
        let (method, path) = (method.as_str(), path.as_str());
        let operation = &document["paths"][path][method];
        let responses = operation["responses"].as_object().expect("responses");
        for status in required_statuses(method, path) {
            assert!(
                responses.contains_key(&status.to_string()),
                "{method} {path} lacks {status}"
            );
            let schema =
                &responses[&status.to_string()]["content"]["application/json"]["schema"]["$ref"];
            let expected = match status {
                200..=202 => continue,
                503 if path == "/readyz" => "ReadinessResponse",
                403 => "ForbiddenErrorResponse",
                422 => "ValidationErrorResponse",
                _ => "ErrorResponse",
            };
            assert_eq!(
                schema,
                &json!(format!("#/components/schemas/{expected}")),
                "{method} {path} {status}"
            );
        }
        assert_eq!(operation["tags"], json!([expected_tag(path)]), "{path}");
        if is_public(path) {
            assert!(operation.get("security").is_none(), "{method} {path}");
        } else {
            assert_eq!(
                operation["security"],
                json!([{"jwt": []}]),
                "{method} {path}"
            );
        }
        // Every `{param}` of the template is declared as a required path parameter.
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let declared = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true);
            assert!(declared, "{method} {path}: path parameter {name}");
        }
        let body = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        match request_schemas
            .iter()
            .find(|(m, p, _)| *m == method && *p == path)
        {
            Some((_, _, name)) => {
                assert_eq!(body, &json!(format!("#/components/schemas/{name}")))
            }
            None => assert!(body.is_null(), "{method} {path} has a body"),
        }
    }
}

#[test]
fn every_reference_resolves() {
    let document = document();
    let text = document.to_string();
    for part in text.split("\"$ref\":\"").skip(1) {
        let reference: String = part.chars().take_while(|c| *c != '"').collect();
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{reference}"
        );
    }
}

#[test]
fn snapshot_matches() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");
    let current = warden::http::routes::docs::document_pretty();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &current).expect("write snapshot");
        return;
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == current,
        "the OpenAPI document changed; if intended, run `UPDATE_SNAPSHOTS=1 cargo test --test api docs::snapshot` \
         and commit tests/snapshots/openapi.json"
    );
}

#[test]
fn cli_prints_the_same_document() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("openapi")
        .env("APP_ENV", "testing")
        .output()
        .expect("run warden openapi");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(text, warden::http::routes::docs::document_pretty());
}

#[tokio::test]
async fn openapi_json_is_served_identically_at_both_urls() {
    let app = spawn_app().await;
    let first = app.get("/openapi.json", None).await;
    let second = app.get("/openapi/openapi.json", None).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.text, second.text);
    assert!(first.text.ends_with("}\n"));
    assert!(
        first.text.contains("\n  \"components\""),
        "pretty in testing"
    );
    assert_eq!(first.body, document());
    assert!(
        first.header("ratelimit-limit").is_none(),
        "docs are not rate limited"
    );
    let options = app
        .request(reqwest::Method::OPTIONS, "/openapi.json", None, None)
        .await;
    assert_eq!(options.header("allow"), Some("GET, HEAD, OPTIONS"));
}

/// GET following at most one redirect; returns the final reply and its path.
async fn get_page(app: &TestApp, path: &str) -> (Reply, String) {
    let reply = app.get(path, None).await;
    if (300..400).contains(&reply.status) {
        let location = reply.header("location").expect("location").to_string();
        let next = app.get(&location, None).await;
        assert!(
            !(300..400).contains(&next.status),
            "{path}: second redirect"
        );
        return (next, location);
    }
    (reply, path.to_string())
}

/// `src`/`href` values of the page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            found.push(part.chars().take_while(|c| *c != '"').collect());
        }
    }
    found
}

#[tokio::test]
async fn docs_pages_render_with_the_docs_csp_and_served_assets() {
    let app = spawn_app().await;
    for path in [
        "/docs",
        "/docs/",
        "/openapi/swagger",
        "/redoc",
        "/redoc/",
        "/openapi/redoc",
    ] {
        let (page, _) = get_page(&app, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(
            page.header("content-security-policy"),
            Some(DOCS_CSP),
            "{path}"
        );
        assert!(page.header("ratelimit-limit").is_none(), "{path}");
        // No inline script: every <script> element loads a file.
        for tag in page.text.split("<script").skip(1) {
            let open: String = tag.chars().take_while(|c| *c != '>').collect();
            assert!(open.contains("src=\"/"), "{path}: inline script");
        }
        let assets = references(&page.text);
        assert!(!assets.is_empty(), "{path}");
        for asset in assets {
            assert!(asset.starts_with('/'), "{path}: external asset {asset}");
            let reply = app.get(&asset, None).await;
            assert_eq!(reply.status, 200, "{path} → {asset}");
            assert!(!reply.text.is_empty(), "{asset}");
        }
    }
    let (swagger, _) = get_page(&app, "/docs").await;
    assert!(swagger.text.contains("/docs/swagger-initializer.js"));
    let initializer = app.get("/docs/swagger-initializer.js", None).await;
    for setting in [
        "url: \"/openapi.json\"",
        "docExpansion: \"none\"",
        "defaultModelsExpandDepth: 0",
        "defaultModelExpandDepth: 3",
        "displayOperationId: false",
        "displayRequestDuration: true",
        "filter: true",
        "showExtensions: false",
        "showCommonExtensions: false",
        "deepLinking: true",
        "persistAuthorization: true",
        "tryItOutEnabled: false",
        "theme: \"monokai\"",
    ] {
        assert!(
            initializer.text.contains(setting),
            "initializer lacks {setting}"
        );
    }
    assert_eq!(
        initializer.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let (redoc, _) = get_page(&app, "/redoc").await;
    assert!(redoc.text.contains("spec-url=\"/openapi.json\""));
    for asset in warden::http::routes::docs::asset_paths() {
        assert_eq!(app.get(&asset, None).await.status, 200, "{asset}");
    }
}

#[tokio::test]
async fn docs_index_and_missing_docs_paths() {
    let app = spawn_app().await;
    let slashed = app.get("/openapi/", None).await;
    let bare = app.get("/openapi", None).await;
    for page in [&slashed, &bare] {
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-security-policy"), Some(PAGE_CSP));
        for link in [
            "/openapi/swagger",
            "/openapi/redoc",
            "/openapi/openapi.json",
        ] {
            assert!(page.text.contains(&format!("href=\"{link}\"")), "{link}");
        }
        assert!(!page.text.contains("<script"));
    }
    assert_eq!(slashed.text, bare.text);
    for path in [
        "/openapi/rapidoc",
        "/openapi/static/swagger-ui.css",
        "/docs/nope.js",
        "/redoc/nope.js",
    ] {
        app.get(path, None).await.assert_error(
            404,
            "NOT_FOUND",
            "The requested resource was not found",
        );
    }
    app.get("/docs/swagger-ui.css", None).await;
    let metrics = app.get("/metrics", None).await;
    assert!(
        metrics.text.contains("route=\"/docs/{asset}\""),
        "docs assets share one route label"
    );
}

#[tokio::test]
async fn real_bodies_validate_against_the_document() {
    let app = spawn_app().await;
    let doc = document();
    let check =
        |method: &str, path: &str, reply: &Reply| assert_documented(&doc, method, path, reply);

    check("get", "/api/v1/", &app.get("/api/v1/", None).await);
    check(
        "get",
        "/api/v1/health",
        &app.get("/api/v1/health", None).await,
    );
    check("get", "/livez", &app.get("/livez", None).await);
    check("get", "/readyz", &app.get("/readyz", None).await);

    let register = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "doc_user", "email": "doc_user@example.com", "password": PASSWORD,
                   "first_name": "doc", "last_name": "user", "bio": "hello"}),
        )
        .await;
    assert_eq!(register.status, 201);
    check("post", "/api/v1/auth/register", &register);
    let id = register.body["data"]["id"].as_i64().expect("id");
    check(
        "post",
        "/api/v1/auth/register",
        &app.post("/api/v1/auth/register", None, json!({"username": "ab"}))
            .await,
    );
    check(
        "post",
        "/api/v1/auth/register",
        &app.post(
            "/api/v1/auth/register",
            None,
            json!({"username": "doc_user", "email": "other@example.com", "password": PASSWORD, "first_name": "x"}),
        )
        .await,
    );

    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "doc_user@example.com", "password": PASSWORD}),
        )
        .await;
    check("post", "/api/v1/auth/login", &login);
    check(
        "post",
        "/api/v1/auth/login",
        &app.post(
            "/api/v1/auth/login",
            None,
            json!({"email": "doc_user@example.com", "password": "wrong"}),
        )
        .await,
    );
    let access = login.body["data"]["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let refresh = login.body["data"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let token = Some(access.as_str());

    check(
        "get",
        "/api/v1/auth/me",
        &app.get("/api/v1/auth/me", token).await,
    );
    check(
        "get",
        "/api/v1/auth/me",
        &app.get("/api/v1/auth/me", None).await,
    );
    let own = format!("/api/v1/users/{id}");
    check(
        "get",
        "/api/v1/users/{user_id}",
        &app.get(&own, token).await,
    );
    check(
        "get",
        "/api/v1/users/{user_id}",
        &app.get("/api/v1/users/0", token).await,
    );
    check(
        "put",
        "/api/v1/users/{user_id}",
        &app.put(
            &own,
            token,
            json!({"first_name": "docs", "middle_name": null}),
        )
        .await,
    );
    check(
        "get",
        "/api/v1/users/",
        &app.get("/api/v1/users/", token).await,
    );

    let (_, admin) = app.user_with_role("doc_admin", "super_admin").await;
    let admin = Some(admin.as_str());
    check(
        "get",
        "/api/v1/users/",
        &app.get("/api/v1/users/?per_page=2", admin).await,
    );
    check(
        "get",
        "/api/v1/users/",
        &app.get("/api/v1/users/?per_page=101", admin).await,
    );
    check(
        "get",
        "/api/v1/users/{user_id}",
        &app.get("/api/v1/users/999999", admin).await,
    );

    let refreshed = app
        .post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await;
    check("post", "/api/v1/auth/refresh", &refreshed);
    let new_access = refreshed.body["data"]["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    check(
        "post",
        "/api/v1/auth/logout",
        &app.post("/api/v1/auth/logout", Some(&new_access), json!({}))
            .await,
    );
    check(
        "post",
        "/api/v1/auth/logout",
        &app.post("/api/v1/auth/logout", Some(&new_access), json!({}))
            .await,
    );
    let (_, other) = app.user("doc_other").await;
    check(
        "delete",
        "/api/v1/users/{user_id}",
        &app.delete(&own, Some(&other)).await,
    );
}
