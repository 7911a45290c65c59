//! Tests: the account lifecycle wired to the audit log and the per-account throttle — each
//! account action records its event (actor, subject, details, nothing secret), a wrong current
//! password counts toward the throttle of login and password change alike, and a password
//! reset lifts the throttle.

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::account::{NEW_PASSWORD, forgot, mail_app, reset};
use crate::account_throttle::{assert_throttled, attempt, fail, hashes};
use crate::audit::{assert_event, events, newest, page};
use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app, spawn_app_with};
use crate::rbac::super_admin;
use crate::smtp_sink::SmtpSink;

const CHANGE: &str = "/api/v1/auth/password/change";
const WINDOW: u64 = 900;
const REDIS: &str = "redis://127.0.0.1:6379";

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> Reply {
    app.post(
        CHANGE,
        Some(token),
        json!({"current_password": current, "new_password": new}),
    )
    .await
}

/// The token of the newest mail with `subject` to `to`, once `count` mails have arrived.
async fn token_from(sink: &SmtpSink, count: usize, subject: &str, to: &str) -> String {
    sink.wait_for(count)
        .await
        .iter()
        .rev()
        .find(|m| m.subject == subject && m.to == to)
        .unwrap_or_else(|| panic!("no {subject:?} mail to {to}"))
        .token()
}

async fn request_verification(app: &TestApp, email: &str) {
    let reply = app
        .post(
            "/api/v1/auth/email/verify/request",
            None,
            json!({ "email": email }),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text);
}

async fn verify(app: &TestApp, token: &str) {
    let reply = app
        .post("/api/v1/auth/email/verify", None, json!({ "token": token }))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// Every event of that name, newest first.
fn named(all: &[Value], name: &str) -> Vec<Value> {
    all.iter().filter(|e| e["event"] == name).cloned().collect()
}

#[track_caller]
fn assert_no_secret(all: &[Value], secrets: &[&str]) {
    let raw = serde_json::to_string(all).expect("json");
    for secret in secrets {
        assert!(!raw.contains(secret), "audit log contains {secret}");
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn password_change_forgot_reset_and_verify_record_their_events_without_secrets() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    let root = super_admin(&app).await;
    let (alice, first) = app.user("alice").await;
    let (second, _) = app.login("alice@example.com", PASSWORD).await;

    let changed = change(&app, &second, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    sink.wait_for(1).await;

    // An unknown address: the same 202, no mail, no event.
    assert_eq!(forgot(&app, "nobody@example.com").await.status, 202);
    sink.assert_quiet(1, Duration::from_millis(400)).await;
    let quiet = events(&page(&app, &root, "event=auth.password_reset_requested").await);
    assert!(quiet.is_empty(), "{quiet:#?}");

    assert_eq!(forgot(&app, "Alice@Example.com").await.status, 202);
    let reset_token = token_from(&sink, 2, "Reset your warden password", "alice@example.com").await;
    let done = reset(&app, &reset_token, "Reset-Passw0rd-9").await;
    assert_eq!(done.status, 200, "{}", done.text);

    let vic = app.register("vic").await;
    request_verification(&app, "vic@example.com").await;
    let verify_token = token_from(&sink, 4, "Verify your email address", "vic@example.com").await;
    verify(&app, &verify_token).await;

    let all = events(&page(&app, &root, "limit=200").await);
    let changed = named(&all, "auth.password_changed");
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert_event(&changed[0], Some(alice), Some(alice), json!({}));
    let requested = named(&all, "auth.password_reset_requested");
    assert_eq!(
        requested.len(),
        1,
        "only the existing account: {requested:#?}"
    );
    assert_event(&requested[0], None, Some(alice), json!({}));
    let reset_events = named(&all, "auth.password_reset");
    assert_eq!(reset_events.len(), 1, "{reset_events:#?}");
    assert_event(&reset_events[0], None, Some(alice), json!({}));
    let verified = named(&all, "auth.email_verified");
    assert_eq!(verified.len(), 1, "{verified:#?}");
    assert_event(&verified[0], None, Some(vic), json!({}));
    // The request's facts are on the row like on every other event.
    let event = newest(&all, "auth.password_reset");
    assert_eq!(event["ip_address"], "127.0.0.1");
    assert!(event["request_id"].is_string(), "{event:#}");

    assert_no_secret(
        &all,
        &[
            PASSWORD,
            NEW_PASSWORD,
            "Reset-Passw0rd-9",
            "$argon2",
            &reset_token,
            &sha256_hex(&reset_token),
            &verify_token,
            &sha256_hex(&verify_token),
            &first,
            &second,
        ],
    );
}

/// The id of the session behind `token`.
async fn session_id(app: &TestApp, token: &str) -> String {
    let listed = app.get("/api/v1/auth/sessions/", Some(token)).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.body["data"]["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["current"] == true)
        .and_then(|s| s["id"].as_str())
        .expect("the current session")
        .to_string()
}

#[tokio::test]
async fn each_session_revocation_route_records_its_count_reason_caller_and_owner() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (adam, admin) = app.user_with_role("adam", "admin").await;
    let (sam, first) = app.user("sam").await;
    let (second, _) = app.login("sam@example.com", PASSWORD).await;
    let (third, _) = app.login("sam@example.com", PASSWORD).await;
    let (current, _) = app.login("sam@example.com", PASSWORD).await;

    // One session by id.
    let id = session_id(&app, &first).await;
    let one = app
        .delete(&format!("/api/v1/auth/sessions/{id}"), Some(&current))
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    // All the others (second and third).
    let others = app.delete("/api/v1/auth/sessions/", Some(&current)).await;
    assert_eq!(
        others.body["data"]["sessions_revoked"], 2,
        "{}",
        others.text
    );
    // All of sam's by an administrator (the current one).
    let by_admin = app
        .delete(&format!("/api/v1/users/{sam}/sessions"), Some(&admin))
        .await;
    assert_eq!(
        by_admin.body["data"]["sessions_revoked"], 1,
        "{}",
        by_admin.text
    );
    // All of sam's by sam: two fresh sessions.
    let (fresh, _) = app.login("sam@example.com", PASSWORD).await;
    app.login("sam@example.com", PASSWORD).await;
    let by_self = app
        .delete(&format!("/api/v1/users/{sam}/sessions"), Some(&fresh))
        .await;
    assert_eq!(
        by_self.body["data"]["sessions_revoked"], 2,
        "{}",
        by_self.text
    );

    let revoked = events(&page(&app, &root, "event=auth.sessions_revoked").await);
    assert_eq!(revoked.len(), 4, "{revoked:#?}");
    let user = |count: u64| json!({"count": count, "reason": "user_revoked"});
    assert_event(&revoked[0], Some(sam), Some(sam), user(2));
    assert_event(
        &revoked[1],
        Some(adam),
        Some(sam),
        json!({"count": 1, "reason": "admin_revoked"}),
    );
    assert_event(&revoked[2], Some(sam), Some(sam), user(2));
    assert_event(&revoked[3], Some(sam), Some(sam), user(1));
    assert_no_secret(
        &revoked,
        &[&first, &second, &third, &current, &fresh, &admin],
    );
}

#[tokio::test]
async fn a_login_refused_for_an_unverified_email_is_recorded_with_reason_email_unverified() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    // The reader of the log must be verified to log in at all.
    let root_id = app.register("root").await;
    app.grant_role(root_id, "super_admin").await;
    request_verification(&app, "root@example.com").await;
    verify(
        &app,
        &token_from(&sink, 1, "Verify your email address", "root@example.com").await,
    )
    .await;
    let (root, _) = app.login("root@example.com", PASSWORD).await;
    let una = app.register("una").await;

    let refused = attempt(&app, "Una@example.com", PASSWORD).await;
    refused.assert_error(403, "FORBIDDEN", "Email address is not verified");

    let failed = events(&page(&app, &root, "event=auth.login_failed").await);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_event(
        &failed[0],
        None,
        Some(una),
        json!({"email": "Una@example.com", "reason": "email_unverified"}),
    );
    assert_no_secret(&failed, &[PASSWORD, "$argon2"]);
    let sessions = events(
        &page(
            &app,
            &root,
            &format!("event=auth.login_succeeded&user_id={una}"),
        )
        .await,
    );
    assert!(sessions.is_empty(), "a session was opened: {sessions:#?}");
}

#[tokio::test]
async fn wrong_current_passwords_throttle_both_password_change_and_login_without_hashing() {
    let app = spawn_app_with(&[("LOGIN_ACCOUNT_MAX_FAILURES", "3")]).await;
    let root = super_admin(&app).await;
    let (tom, token) = app.user("tom").await;
    let (other, _) = app.login("tom@example.com", PASSWORD).await;
    for n in 0..3 {
        let wrong = change(&app, &token, "Wrong-Passw0rd", NEW_PASSWORD).await;
        assert_eq!(
            wrong.details(),
            &json!({"current_password": "Value error, Current password is incorrect"}),
            "attempt {n}: {}",
            wrong.text
        );
    }
    let before = hashes(&app);
    // Even the right current password: refused before it is looked at.
    assert_throttled(&change(&app, &token, PASSWORD, NEW_PASSWORD).await, WINDOW);
    assert_throttled(&attempt(&app, "tom@example.com", PASSWORD).await, WINDOW);
    assert_throttled(&attempt(&app, " TOM@example.com", PASSWORD).await, WINDOW);
    assert_eq!(hashes(&app), before, "a throttled check computed a hash");
    // The body is validated before the throttle is consulted.
    let invalid = app
        .post(CHANGE, Some(&token), json!({"new_password": NEW_PASSWORD}))
        .await;
    assert_eq!(
        invalid.details(),
        &json!({"current_password": "Field required"}),
        "{}",
        invalid.text
    );
    // Nothing changed: the other session (a change would have ended it) is still live.
    assert_eq!(app.get("/api/v1/auth/me", Some(&other)).await.status, 200);
    // Another account is not affected.
    app.login("root@example.com", PASSWORD).await;

    let throttled = events(&page(&app, &root, "event=auth.account_throttled").await);
    assert_eq!(throttled.len(), 1, "{throttled:#?}");
    assert_event(
        &throttled[0],
        None,
        Some(tom),
        json!({"email": "tom@example.com"}),
    );
    let changed = events(&page(&app, &root, "event=auth.password_changed").await);
    assert!(changed.is_empty(), "{changed:#?}");
    // Neither a wrong current password nor a throttled attempt is a failed login.
    let failed = events(&page(&app, &root, "event=auth.login_failed").await);
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Throttle `<name>@example.com` with failed logins, reset its password by mail, then log in
/// with the new password inside the same window.
async fn reset_lifts_the_throttle(store: &[(&str, &str)], name: &str) {
    let sink = SmtpSink::start().await;
    let mut vars = vec![("LOGIN_ACCOUNT_MAX_FAILURES", "3")];
    vars.extend_from_slice(store);
    let app = mail_app(&sink, &vars).await;
    app.register(name).await;
    let email = format!("{name}@example.com");
    fail(&app, &email, 3).await;
    assert_throttled(&attempt(&app, &email, PASSWORD).await, WINDOW);

    assert_eq!(forgot(&app, &email).await.status, 202);
    let token = token_from(&sink, 1, "Reset your warden password", &email).await;
    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(done.status, 200, "{}", done.text);

    let login = attempt(
        &app,
        &email.to_uppercase().replace("EXAMPLE.COM", "example.com"),
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.text);
    // The count starts again from zero: two more failures are not yet a throttle.
    fail(&app, &email, 2).await;
    let again = attempt(&app, &email, NEW_PASSWORD).await;
    assert_eq!(again.status, 200, "{}", again.text);
}

#[tokio::test]
async fn a_password_reset_lifts_the_account_throttle_within_the_window() {
    reset_lifts_the_throttle(&[], "rex").await;
}

#[tokio::test]
async fn a_password_reset_lifts_the_account_throttle_kept_in_redis() {
    // A fresh address per run keeps the shared counter private to this test.
    let name = format!("rx{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    reset_lifts_the_throttle(&[("RATE_LIMIT_STORAGE_URL", REDIS)], &name).await;
    let client = redis::Client::open(REDIS).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let key = warden::ratelimit::account_key(&format!("{name}@example.com"));
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .expect("del");
}
