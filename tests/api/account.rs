//! Password change, reset by e-mail and e-mail verification, against a real SMTP server.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app_tweaked};
use crate::smtp_sink::{Security, SmtpSink, TestCa};

pub(crate) const NEW_PASSWORD: &str = "Brand-new-Passw0rd";
const INVALID: &str = "Invalid or expired token";

/// An app that sends mail to `sink`, with retries shortened so tests do not wait seconds.
pub async fn mail_app(sink: &SmtpSink, extra: &[(&str, &str)]) -> TestApp {
    let url = sink.url();
    let mut vars: Vec<(&str, &str)> = vec![
        ("SMTP_URL", url.as_str()),
        ("SEND_VERIFICATION_ON_REGISTER", "false"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_tweaked(&vars, |config| {
        config.mail.retry_delays = vec![Duration::from_millis(20), Duration::from_millis(40)];
    })
    .await
}

pub(crate) async fn forgot(app: &TestApp, email: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/password/forgot",
        None,
        json!({ "email": email }),
    )
    .await
}

pub(crate) async fn reset(app: &TestApp, token: &str, password: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/password/reset",
        None,
        json!({ "token": token, "new_password": password }),
    )
    .await
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> u16 {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
    .status
}

/// Run a statement against the test database (both backends; SQL in the PostgreSQL dialect).
async fn execute(app: &TestApp, sql: &'static str) {
    let sql = app.state.db.sql(sql);
    crate::with_test_pool!(&app.state.db, |pool| {
        sqlx::query(sql).execute(pool).await.expect("statement");
    });
}

#[tokio::test]
async fn forgot_mails_a_single_use_link_that_resets_the_password_and_ends_every_session() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    let (id, _) = app.user("rita").await;
    let (access, refresh) = app.login("rita@example.com", PASSWORD).await;

    let started = Instant::now();
    let reply = forgot(&app, "RITA@example.com").await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    assert_eq!(
        reply.body["data"]["message"],
        "If an account with that email exists, a password reset link has been sent."
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.subject, "Reset your warden password");
    assert_eq!(mail.to, "rita@example.com");
    assert_eq!(mail.recipients, vec!["<rita@example.com>".to_string()]);
    assert_eq!(mail.from, "warden <no-reply@localhost>");
    assert!(mail.date, "Date header");
    assert!(mail.message_id.is_some(), "Message-ID header");
    assert_eq!(mail.content_type, "text/plain; charset=utf-8");
    assert!(mail.body.contains("30 minutes"), "{}", mail.body);
    assert!(mail.body.contains("ignore"), "{}", mail.body);
    let link = &mail.lines_with("token=")[0];
    assert!(
        link.starts_with("http://localhost:0/reset-password?token="),
        "{link}"
    );
    let token = mail.token();
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );

    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(
        done.body["data"],
        json!({"message": "Password has been reset. Please log in with your new password.", "sessions_revoked": 2})
    );
    // Every session ended, refresh tokens included.
    app.get("/api/v1/auth/me", Some(&access))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    let refreshed = app
        .post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await;
    assert_eq!(refreshed.status, 401);
    assert_eq!(login_status(&app, "rita@example.com", PASSWORD).await, 401);
    let (fresh, _) = app.login("rita@example.com", NEW_PASSWORD).await;
    let me = app.get("/api/v1/auth/me", Some(&fresh)).await;
    assert_eq!(me.body["data"]["id"], id);
    assert_eq!(
        me.body["data"]["email_verified"], true,
        "the reset proved the address"
    );
    // A notice follows, without any token.
    let notice = sink.wait_for(2).await.remove(1);
    assert_eq!(notice.subject, "Your warden password was changed");
    assert!(notice.lines_with("token=").is_empty());
    // The link works once.
    reset(&app, &token, "Another-Passw0rd")
        .await
        .assert_error(400, "BAD_REQUEST", INVALID);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_keeps_this_one_and_sends_a_notice() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    let (_, first) = app.user("carl").await;
    let (second, _) = app.login("carl@example.com", PASSWORD).await;
    let (third, _) = app.login("carl@example.com", PASSWORD).await;

    let reply = app
        .post(
            "/api/v1/auth/password/change",
            Some(&third),
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["data"],
        json!({"message": "Password changed successfully", "sessions_revoked": 2})
    );
    assert_eq!(app.get("/api/v1/auth/me", Some(&third)).await.status, 200);
    for old in [&first, &second] {
        app.get("/api/v1/auth/me", Some(old)).await.assert_error(
            401,
            "TOKEN_INVALID",
            "Token has been revoked",
        );
    }
    assert_eq!(
        login_status(&app, "carl@example.com", NEW_PASSWORD).await,
        200
    );
    let notice = sink.wait_for(1).await.remove(0);
    assert_eq!(notice.subject, "Your warden password was changed");
    assert_eq!(notice.to, "carl@example.com");
    assert!(notice.body.contains("127.0.0.1"), "{}", notice.body);
    assert!(notice.lines_with("token=").is_empty());
}

#[tokio::test]
async fn a_wrong_or_unchanged_current_password_is_refused_and_changes_nothing() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    let (_, token) = app.user("dana").await;
    let (other, _) = app.login("dana@example.com", PASSWORD).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let wrong = app
        .post(
            "/api/v1/auth/password/change",
            Some(&token),
            change("Wrong-Passw0rd", NEW_PASSWORD),
        )
        .await;
    wrong.assert_error(422, "VALIDATION_ERROR", "Validation failed");
    assert_eq!(
        wrong.details(),
        &json!({"current_password": "Value error, Current password is incorrect"})
    );
    let same = app
        .post(
            "/api/v1/auth/password/change",
            Some(&token),
            change(PASSWORD, PASSWORD),
        )
        .await;
    assert_eq!(
        same.details(),
        &json!({"new_password": "Value error, New password must be different from the current password"})
    );
    let weak = app
        .post(
            "/api/v1/auth/password/change",
            Some(&token),
            change(PASSWORD, "short"),
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.details()["new_password"].is_string());
    let unauthenticated = app
        .post(
            "/api/v1/auth/password/change",
            None,
            change(PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(app.get("/api/v1/auth/me", Some(&other)).await.status, 200);
    assert_eq!(login_status(&app, "dana@example.com", PASSWORD).await, 200);
    sink.assert_quiet(0, Duration::from_millis(300)).await;
}

async fn reset_token_for(app: &TestApp, sink: &SmtpSink, email: &str, seen: usize) -> String {
    assert_eq!(forgot(app, email).await.status, 202);
    sink.wait_for(seen + 1).await[seen].token()
}

#[tokio::test]
async fn every_unusable_token_gets_the_same_400_and_changes_nothing() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    app.register("tess").await;
    app.register("vera").await;
    app.register("ursa").await;
    let mut seen = 0;
    let mut causes: Vec<(&str, String)> = vec![
        ("unknown", "A".repeat(43)),
        ("too short", "A".repeat(42)),
        ("too long", "A".repeat(44)),
        ("bad alphabet", format!("{}=", "A".repeat(42))),
        ("empty", String::new()),
    ];
    // Used.
    let used = reset_token_for(&app, &sink, "tess@example.com", seen).await;
    seen += 1;
    assert_eq!(reset(&app, &used, NEW_PASSWORD).await.status, 200);
    seen += 1; // the notice
    sink.wait_for(seen).await;
    causes.push(("used", used));
    // Superseded: an older link stops working when a newer one is issued.
    execute(
        &app,
        "UPDATE auth.account_tokens SET created_at = '2000-01-01T00:00:00.000000Z'",
    )
    .await;
    let older = reset_token_for(&app, &sink, "vera@example.com", seen).await;
    seen += 1;
    execute(
        &app,
        "UPDATE auth.account_tokens SET created_at = '2000-01-01T00:00:00.000000Z'",
    )
    .await;
    let newer = reset_token_for(&app, &sink, "vera@example.com", seen).await;
    seen += 1;
    causes.push(("superseded", older));
    // Expired.
    execute(
        &app,
        "UPDATE auth.account_tokens SET created_at = '2000-01-01T00:00:00.000000Z'",
    )
    .await;
    let expired = reset_token_for(&app, &sink, "vera@example.com", seen).await;
    seen += 1;
    execute(
        &app,
        "UPDATE auth.account_tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE used_at IS NULL",
    )
    .await;
    causes.push(("expired", expired));
    // Other purpose: a verification token at the reset route.
    let verify = app
        .post(
            "/api/v1/auth/email/verify/request",
            None,
            json!({"email": "ursa@example.com"}),
        )
        .await;
    assert_eq!(verify.status, 202);
    let verification = sink.wait_for(seen + 1).await[seen].token();
    seen += 1;
    causes.push(("other purpose", verification.clone()));
    // The account changed address since the link was sent.
    execute(
        &app,
        "UPDATE auth.account_tokens SET created_at = '2000-01-01T00:00:00.000000Z'",
    )
    .await;
    let moved = reset_token_for(&app, &sink, "vera@example.com", seen).await;
    execute(
        &app,
        "UPDATE users.users SET email = 'vera.new@example.com' WHERE username = 'vera'",
    )
    .await;
    causes.push(("address changed", moved));
    let _ = newer;

    for (cause, token) in &causes {
        let reply = reset(&app, token, NEW_PASSWORD).await;
        assert_eq!(
            (reply.status, reply.code(), reply.message()),
            (400, "BAD_REQUEST", INVALID),
            "{cause}: {}",
            reply.text
        );
    }
    // Nothing changed: vera still logs in with her old password at her new address.
    assert_eq!(
        login_status(&app, "vera.new@example.com", PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn a_token_of_a_deactivated_or_deleted_account_is_refused() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    app.register("gone").await;
    app.register("idle").await;
    let gone = reset_token_for(&app, &sink, "gone@example.com", 0).await;
    let idle = reset_token_for(&app, &sink, "idle@example.com", 1).await;
    execute(
        &app,
        "UPDATE users.users SET is_deleted = true WHERE username = 'gone'",
    )
    .await;
    execute(
        &app,
        "UPDATE users.users SET is_active = false WHERE username = 'idle'",
    )
    .await;
    for token in [&gone, &idle] {
        reset(&app, token, NEW_PASSWORD)
            .await
            .assert_error(400, "BAD_REQUEST", INVALID);
    }
}

#[tokio::test]
async fn ten_parallel_resets_with_one_token_succeed_exactly_once() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    app.register("race").await;
    let token = reset_token_for(&app, &sink, "race@example.com", 0).await;
    let attempts = (0..10).map(|i| {
        let app = &app;
        let token = token.clone();
        async move { reset(app, &token, &format!("Parallel-Passw0rd{i}")).await }
    });
    let replies = futures_util::future::join_all(attempts).await;
    let ok: Vec<usize> = replies
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == 200)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        ok.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_error(400, "BAD_REQUEST", INVALID);
    }
    let winner = format!("Parallel-Passw0rd{}", ok[0]);
    assert_eq!(login_status(&app, "race@example.com", &winner).await, 200);
}

#[tokio::test]
async fn unknown_deleted_and_deactivated_addresses_get_the_same_202_and_no_mail() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    app.register("dele").await;
    app.register("deac").await;
    execute(
        &app,
        "UPDATE users.users SET is_deleted = true WHERE username = 'dele'",
    )
    .await;
    execute(
        &app,
        "UPDATE users.users SET is_active = false WHERE username = 'deac'",
    )
    .await;
    let mut bodies = Vec::new();
    for email in ["nobody@example.com", "dele@example.com", "deac@example.com"] {
        let reply = forgot(&app, email).await;
        assert_eq!(reply.status, 202);
        bodies.push(reply.body["data"].clone());
        let verify = app
            .post(
                "/api/v1/auth/email/verify/request",
                None,
                json!({"email": email}),
            )
            .await;
        assert_eq!(verify.status, 202);
        assert_eq!(
            verify.body["data"]["message"],
            "If the address belongs to an unverified account, a verification email has been sent."
        );
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    sink.assert_quiet(0, Duration::from_millis(500)).await;
}

#[tokio::test]
async fn a_second_request_within_a_minute_sends_nothing() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    app.register("once").await;
    assert_eq!(forgot(&app, "once@example.com").await.status, 202);
    sink.wait_for(1).await;
    assert_eq!(forgot(&app, "once@example.com").await.status, 202);
    sink.assert_quiet(1, Duration::from_millis(500)).await;
}

#[tokio::test]
async fn ten_parallel_requests_for_one_account_send_one_mail() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    app.register("burst").await;
    let requests = (0..10).map(|_| forgot(&app, "burst@example.com"));
    let replies = futures_util::future::join_all(requests).await;
    assert!(replies.iter().all(|reply| reply.status == 202));
    let token = sink.wait_for(1).await[0].token();
    sink.assert_quiet(1, Duration::from_millis(800)).await;
    // The one mail carries the one live token: it resets the password.
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_bad_forgot_body_is_refused_with_the_login_email_rules() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    let reply = forgot(&app, "not-an-email").await;
    assert_eq!(reply.status, 422);
    assert!(reply.details()["email"].is_string(), "{}", reply.text);
    let missing = app
        .post("/api/v1/auth/password/forgot", None, json!({}))
        .await;
    assert_eq!(missing.details(), &json!({"email": "Field required"}));
    let no_token = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            json!({"new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(no_token.details(), &json!({"token": "Field required"}));
}

#[tokio::test]
async fn with_the_mail_server_down_routes_still_answer_at_once_and_the_mail_is_dropped_after_retries()
 {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_tweaked(
        &[
            ("SMTP_URL", url.as_str()),
            ("SEND_VERIFICATION_ON_REGISTER", "false"),
        ],
        |config| {
            config.mail.retry_delays = vec![Duration::from_millis(20), Duration::from_millis(40)];
        },
    )
    .await;
    app.register("down").await;
    let started = Instant::now();
    assert_eq!(forgot(&app, "down@example.com").await.status, 202);
    assert!(started.elapsed() < Duration::from_secs(1));
    let expected = "warden_mail_messages_total{kind=\"password_reset\",outcome=\"dropped\"} 1";
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = app.get("/metrics", None).await.text;
        if metrics.contains(expected) {
            assert!(
                metrics.contains(
                    "warden_mail_messages_total{kind=\"password_reset\",outcome=\"failed\"} 3"
                ),
                "{metrics}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never dropped: {metrics}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn with_verified_email_required_login_waits_for_the_link_from_registration() {
    let sink = SmtpSink::start().await;
    let app = mail_app(
        &sink,
        &[
            ("SEND_VERIFICATION_ON_REGISTER", "true"),
            ("REQUIRE_VERIFIED_EMAIL", "true"),
        ],
    )
    .await;
    let created = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "newbie", "email": "newbie@example.com", "password": PASSWORD, "first_name": "New"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["data"]["email_verified"], false);
    app.post(
        "/api/v1/auth/login",
        None,
        json!({"email": "newbie@example.com", "password": PASSWORD}),
    )
    .await
    .assert_error(403, "FORBIDDEN", "Email address is not verified");
    // A wrong password still gets the ordinary 401 (the check comes after the password).
    assert_eq!(
        login_status(&app, "newbie@example.com", "Wrong-Passw0rd").await,
        401
    );
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.subject, "Verify your email address");
    assert!(mail.body.contains("24 hours"), "{}", mail.body);
    assert!(mail.lines_with("token=")[0].contains("/verify-email?token="));
    let token = mail.token();
    let verified = app
        .post("/api/v1/auth/email/verify", None, json!({"token": token}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["data"]["message"], "Email address verified");
    let (access, _) = app.login("newbie@example.com", PASSWORD).await;
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    assert_eq!(me.body["data"]["email_verified"], true);
    // Verified accounts get no further verification mail.
    let again = app
        .post(
            "/api/v1/auth/email/verify/request",
            None,
            json!({"email": "newbie@example.com"}),
        )
        .await;
    assert_eq!(again.status, 202);
    sink.assert_quiet(1, Duration::from_millis(400)).await;
}

#[tokio::test]
async fn the_account_pages_carry_their_script_by_hash_and_never_the_token() {
    let sink = SmtpSink::start().await;
    let app = mail_app(&sink, &[]).await;
    for path in ["/reset-password", "/verify-email"] {
        let secret = "S3cretTokenValueThatMustNotAppearInTheHTML0";
        let reply = app.get(&format!("{path}?token={secret}"), None).await;
        assert_eq!(reply.status, 200);
        assert!(!reply.text.contains(secret), "{path} echoes the token");
        assert!(reply.text.contains("This link is incomplete."));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("script-src 'sha256-"), "{csp}");
        assert!(csp.contains("connect-src 'self'"), "{csp}");
        assert!(!csp.contains("script-src 'unsafe-inline'"), "{csp}");
    }
}

async fn tls_round_trip(scheme: &str, security: fn(&TestCa) -> Security) {
    let ca = TestCa::new();
    let sink = SmtpSink::start_with(security(&ca)).await;
    let url = format!(
        "{scheme}127.0.0.1:{}{}",
        sink.port,
        if scheme == "smtp://" {
            "?tls=starttls"
        } else {
            ""
        }
    );
    let pem = ca.ca_pem.clone();
    let app = spawn_app_tweaked(
        &[
            ("SMTP_URL", url.as_str()),
            ("SEND_VERIFICATION_ON_REGISTER", "false"),
        ],
        move |config| {
            if let warden::config::MailTransportSetting::Smtp(smtp) = &mut config.mail.transport {
                smtp.extra_root_pem = Some(pem);
            }
            config.mail.retry_delays = vec![Duration::from_millis(20), Duration::from_millis(40)];
        },
    )
    .await;
    app.register("tls").await;
    assert_eq!(forgot(&app, "tls@example.com").await.status, 202);
    let mail = sink.wait_for(1).await.remove(0);
    assert!(mail.tls, "the message came over TLS");
    assert_eq!(mail.subject, "Reset your warden password");
}

#[tokio::test]
async fn mail_goes_over_starttls_to_a_server_with_a_private_ca() {
    tls_round_trip("smtp://", |ca| Security::StartTls(ca.acceptor.clone())).await;
}

#[tokio::test]
async fn mail_goes_over_implicit_tls_to_a_server_with_a_private_ca() {
    tls_round_trip("smtps://", |ca| Security::Implicit(ca.acceptor.clone())).await;
}

async fn wait_dropped(app: &TestApp) {
    let expected = "warden_mail_messages_total{kind=\"password_reset\",outcome=\"dropped\"} 1";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.get("/metrics", None).await.text.contains(expected) {
        assert!(Instant::now() < deadline, "the message was never dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn tls_never_falls_back_to_plain_text_nor_trusts_an_unknown_certificate() {
    // STARTTLS required, but the server does not offer it: nothing is sent in clear.
    let plain = SmtpSink::start().await;
    let url = format!("smtp://127.0.0.1:{}?tls=starttls", plain.port);
    let app = mail_app(&plain, &[("SMTP_URL", url.as_str())]).await;
    app.register("clear").await;
    assert_eq!(forgot(&app, "clear@example.com").await.status, 202);
    wait_dropped(&app).await;
    assert!(plain.messages().is_empty());
    // Implicit TLS with a certificate of an unknown CA: refused.
    let ca = TestCa::new();
    let untrusted = SmtpSink::start_with(Security::Implicit(ca.acceptor.clone())).await;
    let url = format!("smtps://127.0.0.1:{}", untrusted.port);
    let app = mail_app(&untrusted, &[("SMTP_URL", url.as_str())]).await;
    app.register("spoof").await;
    assert_eq!(forgot(&app, "spoof@example.com").await.status, 202);
    wait_dropped(&app).await;
    assert!(untrusted.messages().is_empty());
}
