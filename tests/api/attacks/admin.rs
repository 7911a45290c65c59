//! SQL-injection probes against the RBAC administration routes: every text field
//! of every admin body, every `{role_name}` / `{permission_name}` / `{user_id}` path parameter
//! and every query parameter, as a super administrator (the most powerful caller, so nothing
//! stops the probe before the database).

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Cases, NOT_FOUND, PERMISSIONS, ROLES, SQLI, segment, snapshot, super_admin, unchanged,
};
use crate::helpers::spawn_app;

const ROLE_NAME_RULE: &str =
    "Value error, Role name must contain only letters, numbers, and underscores";
const PERMISSION_FORMAT: &str = "Value error, Permission must be in 'resource:action' format";

#[tokio::test]
async fn injection_in_role_bodies() {
    let cases = Cases::new("injection_in_role_bodies");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    // A role with no permissions: an update whose permission names are all unknown is a no-op.
    let empty = app
        .post(
            &format!("{ROLES}/"),
            Some(&root),
            json!({"name": "empty", "display_name": "Empty"}),
        )
        .await;
    assert_eq!(empty.status, 201, "{}", empty.text);
    for (i, probe) in SQLI.iter().enumerate() {
        let create = |body: Value| {
            let app = &app;
            let root = &root;
            async move { app.post(&format!("{ROLES}/"), Some(root), body).await }
        };
        let reply = unchanged(&app, probe, || {
            create(json!({"name": probe, "display_name": "Probe"}))
        })
        .await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(reply.details(), &json!({"name": ROLE_NAME_RULE}), "{probe}");
        cases.hit();
        let reply = unchanged(&app, probe, || {
            create(
                json!({"name": format!("p{i}"), "display_name": "Probe", "permissions": [probe]}),
            )
        })
        .await;
        reply.assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("Permission not found: {probe}"),
        );
        cases.hit();
        let reply = unchanged(&app, probe, || {
            create(json!({"name": format!("p{i}"), "display_name": "Probe", "parent_role": probe}))
        })
        .await;
        reply.assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("Role not found: {probe}"),
        );
        cases.hit();
        // Free-text fields are stored literally.
        let before = snapshot(&app).await;
        let reply =
            create(json!({"name": format!("r{i}"), "display_name": probe, "description": probe}))
                .await;
        assert_eq!(reply.status, 201, "{probe}: {}", reply.text);
        assert_eq!(
            (
                reply.body["data"]["display_name"].as_str(),
                reply.body["data"]["description"].as_str()
            ),
            (Some(*probe), Some(*probe))
        );
        let added: Vec<_> = snapshot(&app)
            .await
            .into_iter()
            .filter(|r| !before.contains(r))
            .collect();
        assert!(
            added.len() == 1 && added[0].starts_with("role|"),
            "{probe}: {added:#?}"
        );
        cases.add(2);
        // Updates: unknown permission names are skipped (no change at all), unknown parents 404.
        let update = |body: Value| {
            let app = &app;
            let root = &root;
            async move { app.put(&format!("{ROLES}/empty"), Some(root), body).await }
        };
        let reply = unchanged(&app, probe, || {
            update(json!({"permissions": [probe, format!("users:{probe}")]}))
        })
        .await;
        assert_eq!(
            (reply.status, reply.body["data"]["permissions"].clone()),
            (200, json!([])),
            "{probe}: {}",
            reply.text
        );
        cases.hit();
        let reply = unchanged(&app, probe, || update(json!({"parent_role": probe}))).await;
        reply.assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("Role not found: {probe}"),
        );
        cases.hit();
        let reply = update(json!({"display_name": probe, "description": probe})).await;
        assert_eq!(
            (reply.status, reply.body["data"]["display_name"].as_str()),
            (200, Some(*probe)),
            "{}",
            reply.text
        );
        cases.add(2);
    }
    // Nothing leaked into the seeded roles.
    let admin = app.get(&format!("{ROLES}/admin"), Some(&root)).await;
    assert_eq!(
        admin.body["data"]["permissions"].as_array().map(Vec::len),
        Some(12),
        "{}",
        admin.text
    );
}

#[tokio::test]
async fn injection_in_assignment_bodies() {
    let cases = Cases::new("injection_in_assignment_bodies");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    let (victim, _) = app.user("victim").await;
    for probe in SQLI {
        let reply = unchanged(&app, probe, || async {
            app.post(
                &format!("{ROLES}/users/{victim}"),
                Some(&root),
                json!({"role_name": probe}),
            )
            .await
        })
        .await;
        reply.assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("Role '{probe}' not found"),
        );
        cases.hit();
        let reply = unchanged(&app, probe, || async {
            app.post(
                &format!("{PERMISSIONS}/users/{victim}"),
                Some(&root),
                json!({"permission": probe, "reason": probe}),
            )
            .await
        })
        .await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(
            reply.details(),
            &json!({"permission": PERMISSION_FORMAT}),
            "{probe}"
        );
        cases.hit();
        let scoped = format!("users:{probe}");
        let normalised = scoped.trim().to_lowercase();
        let reply = unchanged(&app, probe, || async {
            app.post(
                &format!("{PERMISSIONS}/users/{victim}"),
                Some(&root),
                json!({"permission": scoped, "reason": probe}),
            )
            .await
        })
        .await;
        reply.assert_error(
            404,
            "RESOURCE_NOT_FOUND",
            &format!("Permission '{normalised}' not found"),
        );
        cases.hit();
        // A genuine grant stores the probe as the reason, literally; revoking removes it again.
        let before = snapshot(&app).await;
        let reply = app
            .post(
                &format!("{PERMISSIONS}/users/{victim}"),
                Some(&root),
                json!({"permission": "users:list", "reason": probe}),
            )
            .await;
        assert_eq!(reply.status, 200, "{probe}: {}", reply.text);
        let added: Vec<_> = snapshot(&app)
            .await
            .into_iter()
            .filter(|r| !before.contains(r))
            .collect();
        assert!(
            added.len() == 1 && added[0].ends_with(&format!("|{probe}")),
            "{probe}: {added:#?}"
        );
        let revoked = app
            .delete(
                &format!("{PERMISSIONS}/users/{victim}/users:list"),
                Some(&root),
            )
            .await;
        assert_eq!(revoked.status, 200, "{}", revoked.text);
        assert_eq!(
            snapshot(&app).await,
            before,
            "{probe}: revoke restores the state"
        );
        cases.hit();
    }
}

#[tokio::test]
async fn injection_in_admin_path_parameters() {
    let cases = Cases::new("injection_in_admin_path_parameters");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    let (victim, _) = app.user("victim").await;
    app.grant_role(victim, "user").await;
    let mut probes: Vec<String> = SQLI.iter().map(|p| (*p).to_string()).collect();
    probes.extend([
        "user'--".into(),
        "user%00".into(),
        "*".into(),
        "%".into(),
        "_ser".into(),
        "USER".into(),
        "users:%".into(),
        "users:*' OR '1'='1".into(),
    ]);
    for probe in &probes {
        let seg = segment(probe);
        let role_missing = format!("Role '{probe}' not found");
        let permission_missing = format!("Permission '{probe}' not found");
        let attempts: Vec<(Method, String, Option<Value>, String)> = vec![
            (
                Method::GET,
                format!("{ROLES}/{seg}"),
                None,
                role_missing.clone(),
            ),
            (
                Method::PUT,
                format!("{ROLES}/{seg}"),
                Some(json!({"display_name": "Hijacked"})),
                format!("Role not found: {probe}"),
            ),
            (
                Method::DELETE,
                format!("{ROLES}/{seg}"),
                None,
                role_missing.clone(),
            ),
            (
                Method::DELETE,
                format!("{ROLES}/users/{victim}/{seg}"),
                None,
                role_missing.clone(),
            ),
            (
                Method::GET,
                format!("{PERMISSIONS}/{seg}"),
                None,
                permission_missing.clone(),
            ),
            (
                Method::DELETE,
                format!("{PERMISSIONS}/users/{victim}/{seg}"),
                None,
                permission_missing.clone(),
            ),
        ];
        for (method, path, body, message) in attempts {
            let reply = unchanged(&app, &path, || {
                app.request(method.clone(), &path, Some(&root), body.clone())
            })
            .await;
            reply.assert_error(404, "RESOURCE_NOT_FOUND", &message);
            cases.hit();
        }
        // {user_id} only matches digits: anything else is an unknown route.
        for path in [
            format!("{ROLES}/users/{seg}"),
            format!("{PERMISSIONS}/users/{seg}"),
            format!("{ROLES}/users/{seg}/user"),
            format!("{PERMISSIONS}/users/{seg}/users:read"),
        ] {
            let method = if path.ends_with("/user") || path.ends_with("users:read") {
                Method::DELETE
            } else {
                Method::GET
            };
            let reply = unchanged(&app, &path, || {
                app.request(method.clone(), &path, Some(&root), None)
            })
            .await;
            reply.assert_error(404, "NOT_FOUND", NOT_FOUND);
            cases.hit();
        }
    }
    // The victim still holds exactly the seeded `user` role.
    let roles = app
        .get(&format!("{ROLES}/users/{victim}"), Some(&root))
        .await;
    assert_eq!(
        roles.body["data"]["all_permissions"],
        json!(["users:read"]),
        "{}",
        roles.text
    );
}

#[tokio::test]
async fn injection_in_admin_queries() {
    let cases = Cases::new("injection_in_admin_queries");
    let app = spawn_app().await;
    let (_, root) = super_admin(&app).await;
    let integer = "Input should be a valid integer, unable to parse string as an integer";
    let boolean = "Input should be a valid boolean, unable to interpret input";
    for probe in SQLI {
        let p = segment(probe);
        for (path, field, message) in [
            (
                format!("{ROLES}/?include_permissions={p}"),
                "include_permissions",
                boolean,
            ),
            (
                format!("{ROLES}/?include_system={p}"),
                "include_system",
                boolean,
            ),
            (format!("{ROLES}/?page={p}"), "page", integer),
            (format!("{ROLES}/?per_page={p}"), "per_page", integer),
            (format!("{PERMISSIONS}/?page={p}"), "page", integer),
            (format!("{PERMISSIONS}/?per_page={p}"), "per_page", integer),
        ] {
            let reply = unchanged(&app, &path, || app.get(&path, Some(&root))).await;
            reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
            assert_eq!(reply.details(), &json!({field: message}), "{path}");
            cases.hit();
        }
        // `resource` is an exact-match filter: a probe matches nothing (it never widens).
        let path = format!("{PERMISSIONS}/?resource={p}");
        let reply = unchanged(&app, &path, || app.get(&path, Some(&root))).await;
        assert_eq!(
            (
                reply.status,
                reply.body["data"].clone(),
                reply.body["meta"]["total"].as_i64()
            ),
            (200, json!([]), Some(0)),
            "{path}: {}",
            reply.text
        );
        cases.hit();
    }
    for wildcard in ["%", "_sers", "users%", "*"] {
        let path = format!("{PERMISSIONS}/?resource={}", segment(wildcard));
        let reply = app.get(&path, Some(&root)).await;
        let expected = if wildcard == "*" { 1 } else { 0 };
        assert_eq!(
            reply.body["meta"]["total"].as_i64(),
            Some(expected),
            "{path}: {}",
            reply.text
        );
        cases.hit();
    }
    let control = app
        .get(&format!("{PERMISSIONS}/?resource=users"), Some(&root))
        .await;
    assert_eq!(
        control.body["meta"]["total"].as_i64(),
        Some(6),
        "{}",
        control.text
    );
}
