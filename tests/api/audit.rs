//! Tests: the security audit log — each action's event with its actor, subject and details,
//! nothing secret in it, nothing left by a rolled-back change, and the admin route's filters,
//! keyset cursor, validation and permission.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use warden::store::Db;
use warden::store::audit_events::{self, NewAuditEvent};
use warden::store::types::Ts;

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app};
use crate::rbac::{ROLES, create_role, super_admin};

const AUDIT: &str = "/api/v1/admin/audit-events/";

pub(crate) async fn page(app: &TestApp, token: &str, query: &str) -> Reply {
    let reply = app.get(&format!("{AUDIT}?{query}"), Some(token)).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.text);
    reply
}

pub(crate) fn events(reply: &Reply) -> Vec<Value> {
    reply.body["data"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The newest event of that name, or a panic listing what there is.
pub(crate) fn newest<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in {events:#?}"))
}

#[track_caller]
pub(crate) fn assert_event(
    event: &Value,
    actor: Option<i64>,
    subject: Option<i64>,
    details: Value,
) {
    assert_eq!(
        (
            event["actor_user_id"].as_i64(),
            event["subject_user_id"].as_i64(),
            &event["details"]
        ),
        (actor, subject, &details),
        "{event:#}"
    );
}

async fn login_raw(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

#[tokio::test]
async fn account_actions_record_their_events_with_actor_subject_and_no_secrets() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let bio = "my very private biography";
    let reply = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD,
                   "first_name": "Alice", "bio": bio}),
        )
        .await;
    let alice = reply.body["data"]["id"].as_i64().expect("id");
    let (access, refresh) = app.login("alice@example.com", PASSWORD).await;
    assert_eq!(
        login_raw(&app, "alice@example.com", "Wrong-Password-1")
            .await
            .status,
        401
    );
    assert_eq!(
        login_raw(&app, "nobody@example.com", "Wrong-Password-1")
            .await
            .status,
        401
    );
    let rotated = app
        .post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let reused = app
        .post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await;
    assert_eq!(reused.status, 401, "{}", reused.text);
    let (access2, _) = app.login("alice@example.com", PASSWORD).await;
    let update = app
        .put(
            &format!("/api/v1/users/{alice}"),
            Some(&access2),
            json!({"bio": "another secret bio", "first_name": "Alicia"}),
        )
        .await;
    assert_eq!(update.status, 200, "{}", update.text);
    assert_eq!(
        app.post("/api/v1/auth/logout", Some(&access2), json!({}))
            .await
            .status,
        200
    );
    let _ = access;

    let all = events(&page(&app, &root, "limit=200").await);
    let registered = newest(&all, "user.registered");
    assert_event(registered, Some(alice), Some(alice), json!({}));
    assert_event(
        newest(&all, "auth.login_succeeded"),
        Some(alice),
        Some(alice),
        json!({}),
    );
    let failed: Vec<&Value> = all
        .iter()
        .filter(|e| e["event"] == "auth.login_failed")
        .collect();
    assert_event(
        failed[0],
        None,
        None,
        json!({"email": "nobody@example.com", "reason": "invalid_credentials"}),
    );
    assert_event(
        failed[1],
        None,
        Some(alice),
        json!({"email": "alice@example.com", "reason": "invalid_credentials"}),
    );
    assert_event(
        newest(&all, "auth.refresh_reuse"),
        None,
        Some(alice),
        json!({}),
    );
    assert_event(
        newest(&all, "user.updated"),
        Some(alice),
        Some(alice),
        json!({"fields": ["first_name", "bio"]}),
    );
    assert_event(
        newest(&all, "auth.logout"),
        Some(alice),
        Some(alice),
        json!({}),
    );
    let event = newest(&all, "auth.logout");
    assert_eq!(event["ip_address"], "127.0.0.1");
    assert!(event["user_agent"].is_null() || event["user_agent"].is_string());
    assert!(
        event["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{event:#}"
    );
    assert!(
        event["occurred_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let raw = serde_json::to_string(&all).expect("json");
    for secret in [
        PASSWORD,
        "Wrong-Password-1",
        bio,
        "another secret bio",
        "$argon2",
        refresh.as_str(),
        access2.as_str(),
    ] {
        assert!(!raw.contains(secret), "audit log contains {secret}");
    }
}

#[tokio::test]
async fn administration_records_its_events_with_the_caller_as_actor() {
    let app = spawn_app().await;
    let (root_id, root) = app.user_with_role("root", "super_admin").await;
    let (bob, _) = app.user("bob").await;
    create_role(&app, &root, "auditor", &["users:read"], None).await;
    let updated = app
        .put(
            &format!("{ROLES}/auditor"),
            Some(&root),
            json!({"display_name": "Auditors"}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let ok = |reply: Reply| assert_eq!(reply.status, 200, "{}", reply.text);
    ok(app
        .post(
            &format!("{ROLES}/users/{bob}"),
            Some(&root),
            json!({"role_name": "auditor"}),
        )
        .await);
    ok(app
        .delete(&format!("{ROLES}/users/{bob}/auditor"), Some(&root))
        .await);
    ok(app
        .post(
            &format!("/api/v1/admin/permissions/users/{bob}"),
            Some(&root),
            json!({"permission": "users:list", "reason": "quarterly review"}),
        )
        .await);
    ok(app
        .delete(
            &format!("/api/v1/admin/permissions/users/{bob}/users:list"),
            Some(&root),
        )
        .await);
    ok(app.delete(&format!("{ROLES}/auditor"), Some(&root)).await);
    ok(app
        .put(
            &format!("/api/v1/users/{bob}"),
            Some(&root),
            json!({"is_active": false}),
        )
        .await);
    ok(app
        .delete(&format!("/api/v1/users/{bob}"), Some(&root))
        .await);

    let all = events(&page(&app, &root, "").await);
    let role = json!({"role": "auditor"});
    assert_event(
        newest(&all, "rbac.role_created"),
        Some(root_id),
        None,
        role.clone(),
    );
    assert_event(
        newest(&all, "rbac.role_updated"),
        Some(root_id),
        None,
        role.clone(),
    );
    assert_event(
        newest(&all, "rbac.role_deleted"),
        Some(root_id),
        None,
        role.clone(),
    );
    assert_event(
        newest(&all, "rbac.role_assigned"),
        Some(root_id),
        Some(bob),
        role.clone(),
    );
    assert_event(
        newest(&all, "rbac.role_revoked"),
        Some(root_id),
        Some(bob),
        role,
    );
    let permission = json!({"permission": "users:list"});
    assert_event(
        newest(&all, "rbac.permission_granted"),
        Some(root_id),
        Some(bob),
        permission.clone(),
    );
    assert_event(
        newest(&all, "rbac.permission_revoked"),
        Some(root_id),
        Some(bob),
        permission,
    );
    assert_event(
        newest(&all, "user.updated"),
        Some(root_id),
        Some(bob),
        json!({"fields": ["is_active"]}),
    );
    assert_event(
        newest(&all, "user.deactivated"),
        Some(root_id),
        Some(bob),
        json!({}),
    );
    assert_event(
        newest(&all, "user.deleted"),
        Some(root_id),
        Some(bob),
        json!({}),
    );
    let metrics = app.get("/metrics", None).await.text;
    assert!(
        metrics.contains(r#"warden_audit_events_total{event="rbac.role_created"} 1"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_request_that_changes_nothing_records_nothing() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (bob, bob_token) = app.user("bob").await;
    let before = events(&page(&app, &root, "").await).len();
    // Same value as stored: no change, no event.
    let same = app
        .put(
            &format!("/api/v1/users/{bob}"),
            Some(&bob_token),
            json!({"first_name": "Test"}),
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.text);
    // Refused and failed actions are not changes either.
    let twice = app
        .delete(&format!("{ROLES}/users/{bob}/user"), Some(&root))
        .await;
    assert_eq!(twice.status, 400, "{}", twice.text);
    assert_eq!(events(&page(&app, &root, "").await).len(), before);
}

/// Make the database refuse the audit row of one event, as a failing commit would.
async fn refuse_audit_rows_of(app: &TestApp, event: &str) {
    match &app.state.db {
        Db::Postgres(pool) => {
            let mut lease = pool.lease().await.expect("connection");
            let function = format!(
                "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN \
                 IF NEW.event = '{event}' THEN RAISE EXCEPTION 'refused'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            );
            sqlx::query(&function)
                .execute(lease.conn())
                .await
                .expect("fn");
            sqlx::query(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON auth.audit_events \
                 FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            )
            .execute(lease.conn())
            .await
            .expect("trigger");
        }
        Db::Sqlite(pool) => {
            let trigger = format!(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
                 WHEN NEW.event = '{event}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            );
            sqlx::query(&trigger).execute(pool).await.expect("trigger");
        }
    }
}

#[tokio::test]
async fn a_change_whose_transaction_rolls_back_leaves_neither_change_nor_event() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (bob, _) = app.user("bob").await;
    refuse_audit_rows_of(&app, "rbac.role_created").await;
    let body = json!({"name": "doomed", "display_name": "Doomed", "permissions": ["users:read"]});
    let reply = app.post(ROLES, Some(&root), body).await;
    // PostgreSQL reports the trigger's exception as an internal error, SQLite as a constraint.
    assert!(matches!(reply.status, 409 | 500), "{}", reply.text);
    let role = app.get(&format!("{ROLES}/doomed"), Some(&root)).await;
    assert_eq!(role.status, 404, "the role was kept: {}", role.text);
    let all = events(&page(&app, &root, "event=rbac.").await);
    assert!(all.is_empty(), "{all:#?}");
    // Other events still go through, in their own transactions.
    let assigned = app
        .post(
            &format!("{ROLES}/users/{bob}"),
            Some(&root),
            json!({"role_name": "moderator"}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let all = events(&page(&app, &root, "event=rbac.").await);
    assert_eq!(all.len(), 1, "{all:#?}");
}

fn synthetic(n: usize) -> NewAuditEvent {
    NewAuditEvent {
        occurred_at: Ts::now(),
        event: "auth.logout",
        actor_user_id: Some(1_000_000),
        subject_user_id: Some(1_000_000),
        ip_address: None,
        user_agent: None,
        request_id: Some(format!("bulk-{n}")),
        details: "{}".into(),
    }
}

#[tokio::test]
async fn the_cursor_returns_every_event_once_while_new_ones_arrive() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    for n in 0..230 {
        audit_events::insert_alone(&app.state.db, &synthetic(n))
            .await
            .expect("insert");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("user_id=1000000&limit=40&cursor={c}"),
            None => "user_id=1000000&limit=40".to_string(),
        };
        let reply = page(&app, &root, &query).await;
        assert_eq!(reply.body["meta"]["limit"], 40);
        seen.extend(events(&reply).iter().map(|e| e["id"].as_i64().expect("id")));
        // New events keep arriving between pages; they are newer than the first page.
        audit_events::insert_alone(&app.state.db, &synthetic(1000 + pages))
            .await
            .expect("insert");
        pages += 1;
        match reply.body["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(seen.len(), 230);
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), 230, "an event came twice");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "not newest first");
    let max = page(&app, &root, "user_id=1000000&limit=200").await;
    assert_eq!(events(&max).len(), 200);
    assert!(max.body["meta"]["next_cursor"].is_string());
}

#[tokio::test]
async fn filters_select_by_event_user_and_time() {
    let app = spawn_app().await;
    let (root_id, root) = app.user_with_role("root", "super_admin").await;
    let (bob, _) = app.user("bob").await;
    let _ = login_raw(&app, "bob@example.com", "Wrong-Password-1").await;
    let names = |reply: &Reply| -> Vec<String> {
        events(reply)
            .iter()
            .map(|e| e["event"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let exact = page(&app, &root, "event=auth.login_failed").await;
    assert_eq!(names(&exact), ["auth.login_failed"]);
    let prefix = page(&app, &root, "event=auth.").await;
    assert!(names(&prefix).iter().all(|n| n.starts_with("auth.")));
    assert!(names(&prefix).len() >= 3, "{}", prefix.text);
    let user = page(&app, &root, &format!("user_id={bob}")).await;
    assert!(!names(&user).is_empty());
    assert!(events(&user).iter().all(|e| {
        e["actor_user_id"].as_i64() == Some(bob) || e["subject_user_id"].as_i64() == Some(bob)
    }));
    let root_only = page(&app, &root, &format!("user_id={root_id}&event=user.")).await;
    assert_eq!(names(&root_only), ["user.registered"]);
    let future = page(&app, &root, "since=2999-01-01T00:00:00Z").await;
    assert!(events(&future).is_empty());
    let past = page(&app, &root, "until=2000-01-01T00:00:00%2B01:00").await;
    assert!(events(&past).is_empty());
    let all = page(
        &app,
        &root,
        "since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(
        events(&all).len(),
        events(&page(&app, &root, "").await).len()
    );
    let limited = page(&app, &root, "limit=1&unknown=1").await;
    assert_eq!(events(&limited).len(), 1);
    // The unslashed alias answers too.
    let alias = app
        .get("/api/v1/admin/audit-events?limit=1", Some(&root))
        .await;
    assert_eq!(alias.status, 200, "{}", alias.text);
}

#[tokio::test]
async fn invalid_parameters_are_refused_under_their_own_names() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    for (query, key, message) in [
        (
            "limit=0",
            "limit",
            "Input should be greater than or equal to 1",
        ),
        (
            "limit=201",
            "limit",
            "Input should be less than or equal to 200",
        ),
        (
            "limit=ten",
            "limit",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "user_id=0",
            "user_id",
            "Input should be greater than or equal to 1",
        ),
        (
            "user_id=x",
            "user_id",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "since=yesterday",
            "since",
            "Input should be a valid datetime in RFC 3339 format",
        ),
        (
            "until=2026-12-04",
            "until",
            "Input should be a valid datetime in RFC 3339 format",
        ),
        ("cursor=%%%", "cursor", "Value error, Invalid cursor"),
        ("cursor=LTE", "cursor", "Value error, Invalid cursor"),
        (
            "event=auth",
            "event",
            "Value error, Unknown event; expected an event name or a prefix ending in '.'",
        ),
        (
            "event=billing.",
            "event",
            "Value error, Unknown event; expected an event name or a prefix ending in '.'",
        ),
        (
            "event=auth.%00",
            "event",
            "Value error, Text must not contain the NUL character",
        ),
    ] {
        let reply = app.get(&format!("{AUDIT}?{query}"), Some(&root)).await;
        reply.assert_error(422, "VALIDATION_ERROR", "Validation failed");
        assert_eq!(reply.details(), &json!({ key: message }), "{query}");
    }
    let both = app
        .get(&format!("{AUDIT}?limit=0&since=x"), Some(&root))
        .await;
    assert_eq!(
        both.details().as_object().map(|d| d.len()),
        Some(2),
        "{}",
        both.text
    );
}

#[tokio::test]
async fn reading_the_audit_log_needs_audit_read() {
    let app = spawn_app().await;
    let (_, user) = app.user("plain").await;
    let reply = app.get(AUDIT, Some(&user)).await;
    reply.assert_error(403, "FORBIDDEN", "Insufficient permissions");
    assert_eq!(
        reply.details(),
        &json!({"required_permissions": ["audit:read"], "require_all": false})
    );
    let (_, moderator) = app.user_with_role("mod", "moderator").await;
    assert_eq!(app.get(AUDIT, Some(&moderator)).await.status, 403);
    let (_, admin) = app.user_with_role("boss", "admin").await;
    assert_eq!(app.get(AUDIT, Some(&admin)).await.status, 200);
    let anonymous = app.get(AUDIT, None).await;
    anonymous.assert_error(401, "UNAUTHORIZED", "Authorization token required");
}

#[tokio::test]
async fn a_deactivated_account_s_login_is_recorded_as_failed_with_its_reason() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (bob, _) = app.user("bob").await;
    let deactivate = app
        .put(
            &format!("/api/v1/users/{bob}"),
            Some(&root),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivate.status, 200, "{}", deactivate.text);
    let reply = login_raw(&app, "BOB@example.com", PASSWORD).await;
    reply.assert_error(403, "FORBIDDEN", "User account is deactivated");
    let all = events(&page(&app, &root, "event=auth.login_failed").await);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_event(
        &all[0],
        None,
        Some(bob),
        json!({"email": "BOB@example.com", "reason": "account_deactivated"}),
    );
}

#[tokio::test]
async fn retention_deletes_only_events_older_than_the_configured_days() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let db = &app.state.db;
    let mut old = synthetic(1);
    old.occurred_at = Ts(chrono::Utc::now() - chrono::Duration::days(400));
    audit_events::insert_alone(db, &old).await.expect("old");
    audit_events::insert_alone(db, &synthetic(2))
        .await
        .expect("new");
    let bulk = |reply: &Reply| -> Vec<String> {
        events(reply)
            .iter()
            .map(|e| e["request_id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    warden::app::purge_audit_events(db, 0).await;
    let kept = page(&app, &root, "user_id=1000000").await;
    assert_eq!(bulk(&kept), ["bulk-2", "bulk-1"], "0 keeps everything");
    warden::app::purge_audit_events(db, 365).await;
    let kept = page(&app, &root, "user_id=1000000").await;
    assert_eq!(bulk(&kept), ["bulk-2"]);
}

#[tokio::test]
async fn events_carry_the_client_s_user_agent_and_request_id() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    app.register("carol").await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("User-Agent", "incident-drill/1.0")
        .header("X-Request-ID", "drill-42")
        .json(&json!({"email": "carol@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let all = events(&page(&app, &root, "event=auth.login_succeeded&limit=1").await);
    assert_eq!(all[0]["user_agent"], "incident-drill/1.0");
    assert_eq!(all[0]["request_id"], "drill-42");
    assert_eq!(all[0]["ip_address"], "127.0.0.1");
}
