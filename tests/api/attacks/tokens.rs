//! Forged, tampered, stale and replayed tokens.
//!
//! Each forged token is presented to a read route (`/auth/me`) and to the most damaging write
//! a token can authorise (deleting the victim's account), and must leave the database as it was.

use jsonwebtoken::Algorithm;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Cases, TEST_SECRET, access_claims, assert_unchanged, b64, forge, forge_with_header, now,
    payload, snapshot, unb64, unchanged,
};
use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app};

/// Present `token` (raw `Authorization` value `Bearer <token>`) to `/auth/me` and to
/// `DELETE /users/{victim}`; both must give the same error and change nothing.
async fn refused(
    app: &TestApp,
    cases: &Cases,
    victim: i64,
    label: &str,
    token: &str,
    expected: (u16, &str, &str),
) {
    let (status, code, message) = expected;
    let auth = format!("Bearer {token}");
    for (method, path) in [
        (Method::GET, "/api/v1/auth/me".to_string()),
        (Method::DELETE, format!("/api/v1/users/{victim}")),
        (Method::POST, "/api/v1/auth/logout".to_string()),
    ] {
        let reply = unchanged(app, label, || async {
            let request = app
                .client
                .request(method.clone(), app.url(&path))
                .header("authorization", auth.as_str());
            Reply::from(request.send().await.expect("sent")).await
        })
        .await;
        assert_eq!(
            (reply.status, reply.code(), reply.message()),
            (status, code, message),
            "{label} on {method} {path}: {}",
            reply.text
        );
        cases.hit();
    }
}

fn sid_of(token: &str) -> String {
    payload(token)["sid"].as_str().expect("sid").to_string()
}

/// Replace the payload of a genuine token, keeping its header and signature.
fn swap_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    )
}

const INVALID: (u16, &str, &str) = (401, "TOKEN_INVALID", "Invalid token");
const REVOKED: (u16, &str, &str) = (401, "TOKEN_INVALID", "Token has been revoked");

#[tokio::test]
async fn forged_signatures_and_algorithms_are_invalid() {
    let cases = Cases::new("forged_signatures_and_algorithms_are_invalid");
    let app = spawn_app().await;
    let (victim, victim_token) = app.user("victim").await;
    let (attacker, attacker_token) = app.user("attacker").await;
    let sid = sid_of(&victim_token);
    let claims = access_claims(victim, &sid);
    let header_none = |alg: &str| json!({"alg": alg, "typ": "JWT"});
    let unsigned = |alg: &str| {
        format!(
            "{}.{}.",
            b64(header_none(alg).to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        )
    };
    // What an RS256 verifier would treat as "the public key", used as an HMAC secret.
    let public_pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
    let genuine_signature = victim_token.split('.').nth(2).expect("signature");
    let mut forged = vec![
        ("alg none, empty signature", unsigned("none")),
        ("alg None", unsigned("None")),
        ("alg NONE", unsigned("NONE")),
        ("alg nOnE", unsigned("nOnE")),
        (
            "alg none, two segments",
            unsigned("none").trim_end_matches('.').to_string(),
        ),
        (
            "alg none with the genuine signature",
            format!("{}{genuine_signature}", unsigned("none")),
        ),
        ("alg empty string", unsigned("")),
        (
            "alg missing",
            format!(
                "{}.{}.",
                b64(br#"{"typ":"JWT"}"#),
                b64(claims.to_string().as_bytes())
            ),
        ),
        (
            "HS512 with the real secret",
            forge(&claims, TEST_SECRET.as_bytes(), Algorithm::HS512),
        ),
        (
            "HS384 with the real secret",
            forge(&claims, TEST_SECRET.as_bytes(), Algorithm::HS384),
        ),
        (
            "RS256 header, HMAC with the secret",
            forge_with_header(
                &json!({"alg": "RS256", "typ": "JWT"}),
                &claims,
                TEST_SECRET.as_bytes(),
            ),
        ),
        (
            "ES256 header, HMAC with the secret",
            forge_with_header(
                &json!({"alg": "ES256", "typ": "JWT"}),
                &claims,
                TEST_SECRET.as_bytes(),
            ),
        ),
        (
            "RS256 header, HMAC with a public key",
            forge_with_header(
                &json!({"alg": "RS256", "typ": "JWT"}),
                &claims,
                public_pem.as_bytes(),
            ),
        ),
        (
            "HS256 signed with a public key",
            forge(&claims, public_pem.as_bytes(), Algorithm::HS256),
        ),
        (
            "HS256 signed with an empty secret",
            forge(&claims, b"", Algorithm::HS256),
        ),
        (
            "HS256 signed with a guessed secret",
            forge(&claims, b"secret", Algorithm::HS256),
        ),
        (
            "HS256 signed with the secret plus a byte",
            forge(
                &claims,
                format!("{TEST_SECRET} ").as_bytes(),
                Algorithm::HS256,
            ),
        ),
        (
            "embedded jwk header",
            forge_with_header(
                &json!({"alg": "HS256", "typ": "JWT", "jwk": {"kty": "oct", "k": b64(b"attacker")}}),
                &claims,
                b"attacker",
            ),
        ),
        (
            "kid path traversal",
            forge_with_header(
                &json!({"alg": "HS256", "kid": "../../../../dev/null"}),
                &claims,
                b"",
            ),
        ),
        (
            "jku header",
            forge_with_header(
                &json!({"alg": "HS256", "jku": "http://127.0.0.1:1/keys"}),
                &claims,
                b"attacker",
            ),
        ),
        ("empty token", String::new()),
        ("one segment", "abc".to_string()),
        ("four segments", format!("{victim_token}.extra")),
        ("dots only", "..".to_string()),
        (
            "signature stripped",
            victim_token
                .rsplit_once('.')
                .map(|(m, _)| format!("{m}."))
                .expect("dot"),
        ),
        (
            "signature of another token",
            format!(
                "{}.{}",
                victim_token.rsplit_once('.').expect("dot").0,
                attacker_token.rsplit_once('.').expect("dot").1
            ),
        ),
        (
            "standard base64 with padding",
            victim_token.replace('-', "+").replace('_', "/") + "==",
        ),
        (
            "non-JSON payload",
            forge_with_header(
                &json!({"alg": "HS256"}),
                &json!("just a string"),
                TEST_SECRET.as_bytes(),
            ),
        ),
        (
            "huge token",
            format!(
                "{}.{}.{}",
                "A".repeat(4000),
                "B".repeat(4000),
                "C".repeat(100)
            ),
        ),
    ];
    // Bit flips in each segment of a genuine token.
    for index in 0..3 {
        let mut parts: Vec<String> = victim_token.split('.').map(String::from).collect();
        let mut bytes = parts[index].clone().into_bytes();
        let middle = bytes.len() / 2;
        bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
        parts[index] = String::from_utf8(bytes).expect("ascii");
        forged.push(("one character flipped", parts.join(".")));
    }
    for (label, token) in &forged {
        refused(&app, &cases, victim, label, token, INVALID).await;
    }
    // Neither account was touched and both tokens still work.
    for (id, token) in [(victim, &victim_token), (attacker, &attacker_token)] {
        let me = app.get("/api/v1/auth/me", Some(token)).await;
        assert_eq!((me.status, me.body["data"]["id"].as_i64()), (200, Some(id)));
    }
}

#[tokio::test]
async fn tampered_claims_are_refused() {
    let cases = Cases::new("tampered_claims_are_refused");
    let app = spawn_app().await;
    let (victim, victim_token) = app.user("victim").await;
    let (attacker, attacker_token) = app.user("attacker").await;
    let (_, attacker_refresh) = app.login("attacker@example.com", PASSWORD).await;
    let original = payload(&attacker_token);
    // Claims edited without the secret: the original signature no longer matches.
    let edits: Vec<(&str, Value)> = vec![
        ("sub swapped to the victim", json!(victim.to_string())),
        ("sub as a number", json!(victim)),
        ("sub with a leading space", json!(format!(" {victim}"))),
        ("sub negative", json!("-1")),
        ("sub zero", json!("0")),
        ("sub overflowing i32", json!("2147483648")),
        ("sub as SQL", json!("1 OR 1=1")),
    ];
    for (label, sub) in edits {
        let mut claims = original.clone();
        claims["sub"] = sub.clone();
        refused(
            &app,
            &cases,
            victim,
            label,
            &swap_payload(&attacker_token, &claims),
            INVALID,
        )
        .await;
        // Even correctly signed, malformed subjects are refused at row 3.
        if sub.as_str() != Some(victim.to_string().as_str()) {
            let signed = forge(&claims, TEST_SECRET.as_bytes(), Algorithm::HS256);
            refused(&app, &cases, victim, label, &signed, INVALID).await;
        }
    }
    let mut as_access = payload(&attacker_refresh);
    as_access["type"] = json!("access");
    refused(
        &app,
        &cases,
        victim,
        "refresh relabelled as access",
        &swap_payload(&attacker_refresh, &as_access),
        INVALID,
    )
    .await;
    let mut admin_claim = original.clone();
    admin_claim["is_admin"] = json!(true);
    admin_claim["roles"] = json!(["super_admin"]);
    refused(
        &app,
        &cases,
        victim,
        "extra privilege claims",
        &swap_payload(&attacker_token, &admin_claim),
        INVALID,
    )
    .await;
    // With the secret (a leaked-key drill): the session binding still holds. The attacker's
    // session with the victim's sub, and the victim's session with the attacker's sub, are both
    // "owned by another user" (row 8).
    let attacker_sid = sid_of(&attacker_token);
    let victim_sid = sid_of(&victim_token);
    for (label, claims) in [
        (
            "victim sub in the attacker's session",
            access_claims(victim, &attacker_sid),
        ),
        (
            "attacker sub in the victim's session",
            access_claims(attacker, &victim_sid),
        ),
        (
            "random session id",
            access_claims(victim, &uuid::Uuid::new_v4().to_string()),
        ),
    ] {
        let token = forge(&claims, TEST_SECRET.as_bytes(), Algorithm::HS256);
        refused(&app, &cases, victim, label, &token, REVOKED).await;
    }
    let mut bad_sid = access_claims(victim, &victim_sid);
    bad_sid["sid"] = json!("' OR '1'='1");
    refused(
        &app,
        &cases,
        victim,
        "sid as SQL",
        &forge(&bad_sid, TEST_SECRET.as_bytes(), Algorithm::HS256),
        INVALID,
    )
    .await;
    let mut braced = access_claims(victim, &victim_sid);
    braced["sid"] = json!(format!("{{{victim_sid}}}"));
    refused(
        &app,
        &cases,
        victim,
        "sid in braces",
        &forge(&braced, TEST_SECRET.as_bytes(), Algorithm::HS256),
        INVALID,
    )
    .await;
    for claim in ["sub", "type", "jti", "sid", "iat", "exp"] {
        let mut claims = access_claims(victim, &victim_sid);
        claims.as_object_mut().expect("object").remove(claim);
        refused(
            &app,
            &cases,
            victim,
            claim,
            &forge(&claims, TEST_SECRET.as_bytes(), Algorithm::HS256),
            INVALID,
        )
        .await;
    }
    let mut unknown_type = access_claims(victim, &victim_sid);
    unknown_type["type"] = json!("admin");
    refused(
        &app,
        &cases,
        victim,
        "unknown type",
        &forge(&unknown_type, TEST_SECRET.as_bytes(), Algorithm::HS256),
        INVALID,
    )
    .await;
    let mut float_exp = access_claims(victim, &victim_sid);
    float_exp["exp"] = json!(1e300);
    refused(
        &app,
        &cases,
        victim,
        "exp as a huge float",
        &forge(&float_exp, TEST_SECRET.as_bytes(), Algorithm::HS256),
        INVALID,
    )
    .await;
}

#[tokio::test]
async fn expired_not_yet_valid_and_wrong_type_tokens_are_refused() {
    let cases = Cases::new("expired_not_yet_valid_and_wrong_type_tokens_are_refused");
    let app = spawn_app().await;
    let (victim, victim_token) = app.user("victim").await;
    let (_, victim_refresh) = app.login("victim@example.com", PASSWORD).await;
    let sid = sid_of(&victim_token);
    let signed = |claims: &Value| forge(claims, TEST_SECRET.as_bytes(), Algorithm::HS256);
    let mut expired = access_claims(victim, &sid);
    expired["exp"] = json!(now() - 1);
    let mut long_expired = access_claims(victim, &sid);
    long_expired["exp"] = json!(0);
    long_expired["iat"] = json!(-100);
    long_expired["nbf"] = json!(-100);
    for (label, claims) in [
        ("expired a second ago", expired),
        ("expired in 1970", long_expired),
    ] {
        refused(
            &app,
            &cases,
            victim,
            label,
            &signed(&claims),
            (401, "TOKEN_EXPIRED", "Token has expired"),
        )
        .await;
    }
    let mut future = access_claims(victim, &sid);
    future["nbf"] = json!(now() + 3600);
    let mut far_future = access_claims(victim, &sid);
    far_future["nbf"] = json!(i64::MAX);
    let mut string_nbf = access_claims(victim, &sid);
    string_nbf["nbf"] = json!("0");
    for (label, claims) in [
        ("nbf in an hour", future),
        ("nbf at i64::MAX", far_future),
        ("nbf as a string", string_nbf),
    ] {
        refused(&app, &cases, victim, label, &signed(&claims), INVALID).await;
    }
    // A refresh token on access routes, and an access token on /auth/refresh.
    refused(
        &app,
        &cases,
        victim,
        "refresh token as access",
        &victim_refresh,
        INVALID,
    )
    .await;
    let before = snapshot(&app).await;
    let wrong = app
        .post("/api/v1/auth/refresh", Some(&victim_token), json!({}))
        .await;
    wrong.assert_error(401, "TOKEN_INVALID", "Invalid token");
    assert_unchanged(
        &before,
        &snapshot(&app).await,
        "access token on /auth/refresh",
    );
    cases.hit();
    // An expired refresh token: expired wins over the type check (row 4 before row 5).
    let mut stale_refresh = payload(&victim_refresh);
    stale_refresh["exp"] = json!(now() - 5);
    let stale = app
        .post(
            "/api/v1/auth/refresh",
            Some(&signed(&stale_refresh)),
            json!({}),
        )
        .await;
    stale.assert_error(401, "TOKEN_EXPIRED", "Token has expired");
    assert_unchanged(&before, &snapshot(&app).await, "expired refresh");
    cases.hit();
}

#[tokio::test]
async fn revoked_sessions_stay_revoked() {
    let cases = Cases::new("revoked_sessions_stay_revoked");
    let app = spawn_app().await;
    let (victim, _) = app.user("victim").await;
    let (access, refresh) = app.login("victim@example.com", PASSWORD).await;
    assert_eq!(
        app.post("/api/v1/auth/logout", Some(&access), json!({}))
            .await
            .status,
        200
    );
    refused(
        &app,
        &cases,
        victim,
        "access token after logout",
        &access,
        REVOKED,
    )
    .await;
    let before = snapshot(&app).await;
    let reply = app
        .post("/api/v1/auth/refresh", Some(&refresh), json!({}))
        .await;
    reply.assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    assert_unchanged(&before, &snapshot(&app).await, "refresh after logout");
    cases.hit();
    // Re-signing the revoked session's claims with a fresh jti/exp does not revive it.
    let mut reissued = payload(&access);
    reissued["jti"] = json!(uuid::Uuid::new_v4().to_string());
    reissued["exp"] = json!(now() + 900);
    let token = forge(&reissued, TEST_SECRET.as_bytes(), Algorithm::HS256);
    refused(
        &app,
        &cases,
        victim,
        "revoked session re-signed",
        &token,
        REVOKED,
    )
    .await;
    // Deactivation and deletion revoke every session; re-activation does not revive them.
    let (_, root) = super::super_admin(&app).await;
    let (old_access, old_refresh) = app.login("victim@example.com", PASSWORD).await;
    let off = app
        .put(
            &format!("/api/v1/users/{victim}"),
            Some(&root),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let on = app
        .put(
            &format!("/api/v1/users/{victim}"),
            Some(&root),
            json!({"is_active": true}),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.text);
    refused(
        &app,
        &cases,
        victim,
        "token from before deactivation",
        &old_access,
        REVOKED,
    )
    .await;
    let before = snapshot(&app).await;
    app.post("/api/v1/auth/refresh", Some(&old_refresh), json!({}))
        .await
        .assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    assert_unchanged(
        &before,
        &snapshot(&app).await,
        "refresh from before deactivation",
    );
    cases.hit();
}

#[tokio::test]
async fn a_replayed_refresh_token_burns_the_session() {
    let cases = Cases::new("a_replayed_refresh_token_burns_the_session");
    let app = spawn_app().await;
    let (victim, _) = app.user("victim").await;
    let (_, stolen) = app.login("victim@example.com", PASSWORD).await;
    let sid = sid_of(&stolen);
    // The legitimate client rotates first.
    let rotated = app
        .post("/api/v1/auth/refresh", Some(&stolen), json!({}))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new_access = rotated.body["data"]["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let new_refresh = rotated.body["data"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    // The thief replays the stolen (spent) token: reuse detected, whole session revoked.
    let before = snapshot(&app).await;
    let replay = app
        .post("/api/v1/auth/refresh", Some(&stolen), json!({}))
        .await;
    replay.assert_error(401, "TOKEN_INVALID", "Token has been revoked");
    cases.hit();
    let after = snapshot(&app).await;
    let changed: Vec<&String> = after.iter().filter(|row| !before.contains(row)).collect();
    assert_eq!(
        changed.len(),
        1,
        "only the session row changes: {changed:#?}"
    );
    assert!(
        changed[0].starts_with(&format!("session|{sid}|{victim}|"))
            && changed[0].contains("|refresh_reuse|"),
        "{}",
        changed[0]
    );
    // Both halves of the rotated pair are now dead, and replays change nothing further.
    refused(
        &app,
        &cases,
        victim,
        "access of a burnt session",
        &new_access,
        REVOKED,
    )
    .await;
    for token in [&new_refresh, &stolen] {
        let reply = unchanged(&app, "refresh of a burnt session", || async {
            app.post("/api/v1/auth/refresh", Some(token), json!({}))
                .await
        })
        .await;
        reply.assert_error(401, "TOKEN_INVALID", "Token has been revoked");
        cases.hit();
    }
    // A replay with a raw payload edit (new jti, old signature) is simply invalid.
    let mut edited = payload(&stolen);
    edited["jti"] = json!(uuid::Uuid::new_v4().to_string());
    let reply = unchanged(&app, "edited refresh", || async {
        app.post(
            "/api/v1/auth/refresh",
            Some(&swap_payload(&stolen, &edited)),
            json!({}),
        )
        .await
    })
    .await;
    reply.assert_error(401, "TOKEN_INVALID", "Invalid token");
    cases.hit();
    let _ = unb64; // shared helper, used by other modules
}
