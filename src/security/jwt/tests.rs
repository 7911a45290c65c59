//! End-to-end tests of issuing and verifying tokens, in the order the token checks run.

use super::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};

const NOW: i64 = 1_768_473_045;
const SECRET: &[u8] = b"dev-secret-key-change-in-production";

fn keys() -> JwtKeys {
    JwtKeys::new(SECRET)
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn decode_segment(segment: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(segment).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn encode_segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn access(keys: &JwtKeys) -> IssuedToken {
    keys.issue_access(5, Uuid::new_v4(), "john_doe", "john@example.com", NOW, 900)
        .expect("issue")
}

/// An access and a refresh token of user 5, each in its own session.
fn access_and_refresh(keys: &JwtKeys) -> (String, String) {
    let refresh = keys
        .issue_refresh(5, Uuid::new_v4(), NOW, 60)
        .expect("issue");
    (access(keys).token, refresh.token)
}

fn valid_claims(kind: TokenKind) -> Value {
    json!({"sub": "5", "type": kind.as_str(), "jti": Uuid::new_v4().to_string(),
           "sid": Uuid::new_v4().to_string(), "iat": NOW, "nbf": NOW, "exp": NOW + 60,
           "fresh": false})
}

#[test]
fn the_header_is_exactly_hs256_jwt() {
    let token = access(&keys()).token;
    let header = &segments(&token)[0];
    assert_eq!(header, HEADER_SEGMENT);
    let bytes = URL_SAFE_NO_PAD.decode(header).unwrap_or_default();
    assert_eq!(bytes, br#"{"alg":"HS256","typ":"JWT"}"#);
}

#[test]
fn access_tokens_carry_exactly_the_contract_claims() {
    let sid = Uuid::new_v4();
    let issued = keys()
        .issue_access(5, sid, "john_doe", "john@example.com", NOW, 900)
        .expect("issue");
    let payload = decode_segment(&segments(&issued.token)[1]);
    let expected = json!({"sub": "5", "type": "access", "jti": issued.jti.to_string(),
        "sid": sid.to_string(), "iat": NOW, "nbf": NOW, "exp": NOW + 900, "fresh": false,
        "username": "john_doe", "email": "john@example.com"});
    assert_eq!(payload, expected);
    assert_eq!(issued.exp, NOW + 900);
    assert_eq!(issued.jti.get_version_num(), 4);
}

#[test]
fn refresh_tokens_have_no_profile_claims() {
    let issued = keys()
        .issue_refresh(7, Uuid::new_v4(), NOW, 2_592_000)
        .expect("issue");
    let payload = decode_segment(&segments(&issued.token)[1]);
    assert_eq!(payload["type"], "refresh");
    assert_eq!(payload["exp"], NOW + 2_592_000);
    assert!(payload.get("username").is_none() && payload.get("email").is_none());
}

#[test]
fn issued_tokens_round_trip() {
    let keys = keys();
    let sid = Uuid::new_v4();
    let access = keys
        .issue_access(5, sid, "u", "e@x.com", NOW, 900)
        .expect("issue");
    let claims = keys
        .verify(&access.token, TokenKind::Access, NOW + 10)
        .expect("valid");
    assert_eq!(
        claims,
        Claims {
            user_id: 5,
            kind: TokenKind::Access,
            jti: access.jti,
            sid,
            iat: NOW,
            exp: NOW + 900
        }
    );
    let refresh = keys.issue_refresh(5, sid, NOW, 1000).expect("issue");
    let claims = keys
        .verify(&refresh.token, TokenKind::Refresh, NOW)
        .expect("valid");
    assert_eq!(
        (claims.kind, claims.jti, claims.sid),
        (TokenKind::Refresh, refresh.jti, sid)
    );
    assert_ne!(access.jti, refresh.jti);
}

#[test]
fn issuing_rejects_non_positive_subjects_and_lifetimes() {
    let keys = keys();
    assert!(matches!(
        keys.issue_refresh(0, Uuid::new_v4(), NOW, 10),
        Err(JwtError::InvalidSubject(0))
    ));
    assert!(matches!(
        keys.issue_refresh(1, Uuid::new_v4(), NOW, 0),
        Err(JwtError::InvalidLifetime)
    ));
    assert!(matches!(
        keys.issue_refresh(1, Uuid::new_v4(), i64::MAX, 1),
        Err(JwtError::InvalidLifetime)
    ));
}

#[test]
fn a_token_signed_with_another_secret_is_invalid() {
    let token = access(&JwtKeys::new(b"another-secret")).token;
    assert_eq!(
        keys().verify(&token, TokenKind::Access, NOW),
        Err(TokenError::Invalid)
    );
}

#[test]
fn a_tampered_payload_is_invalid() {
    let token = access(&keys()).token;
    let parts = segments(&token);
    let mut payload = decode_segment(&parts[1]);
    payload["sub"] = json!("1");
    let forged = format!("{}.{}.{}", parts[0], encode_segment(&payload), parts[2]);
    assert_eq!(
        keys().verify(&forged, TokenKind::Access, NOW),
        Err(TokenError::Invalid)
    );
}

#[test]
fn an_unsigned_alg_none_token_is_invalid() {
    let header = encode_segment(&json!({"alg": "none", "typ": "JWT"}));
    let payload = encode_segment(&valid_claims(TokenKind::Access));
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}.c2ln"),
    ] {
        assert_eq!(
            keys().verify(&token, TokenKind::Access, NOW),
            Err(TokenError::Invalid)
        );
    }
}

#[test]
fn a_token_signed_with_hs512_and_the_right_secret_is_invalid() {
    let header = jsonwebtoken::Header::new(Algorithm::HS512);
    let key = EncodingKey::from_secret(SECRET);
    let token =
        jsonwebtoken::encode(&header, &valid_claims(TokenKind::Access), &key).expect("encode");
    assert_eq!(
        keys().verify(&token, TokenKind::Access, NOW),
        Err(TokenError::Invalid)
    );
}

#[test]
fn a_token_past_its_exp_is_expired_but_the_exp_second_itself_is_accepted() {
    let keys = keys();
    let token = access(&keys).token;
    assert!(keys.verify(&token, TokenKind::Access, NOW + 900).is_ok());
    assert_eq!(
        keys.verify(&token, TokenKind::Access, NOW + 901),
        Err(TokenError::Expired)
    );
}

#[test]
fn a_token_used_before_its_nbf_is_invalid() {
    let keys = keys();
    let token = access(&keys).token;
    assert_eq!(
        keys.verify(&token, TokenKind::Access, NOW - 1),
        Err(TokenError::Invalid)
    );
}

#[test]
fn the_wrong_kind_is_refused_both_ways() {
    let keys = keys();
    let (access, refresh) = access_and_refresh(&keys);
    assert_eq!(
        keys.verify(&access, TokenKind::Refresh, NOW),
        Err(TokenError::WrongType)
    );
    assert_eq!(
        keys.verify(&refresh, TokenKind::Access, NOW),
        Err(TokenError::WrongType)
    );
}

#[test]
fn checks_run_in_contract_order() {
    let keys = keys();
    let refresh = keys
        .issue_refresh(5, Uuid::new_v4(), NOW, 60)
        .expect("issue")
        .token;
    // Expired beats wrong type (row 4 before row 5).
    assert_eq!(
        keys.verify(&refresh, TokenKind::Access, NOW + 61),
        Err(TokenError::Expired)
    );
    // A bad claim beats expiry (row 3 before row 4).
    let mut claims = valid_claims(TokenKind::Access);
    claims["sub"] = json!(5);
    let token = keys.sign(&claims).expect("sign");
    assert_eq!(
        keys.verify(&token, TokenKind::Access, NOW + 3600),
        Err(TokenError::Invalid)
    );
}

#[test]
fn tokens_from_the_original_service_are_invalid() {
    let keys = keys();
    let mut numeric_sub = valid_claims(TokenKind::Access);
    numeric_sub["sub"] = json!(5);
    let mut no_sid = valid_claims(TokenKind::Access);
    no_sid.as_object_mut().map(|c| c.remove("sid"));
    for claims in [numeric_sub, no_sid] {
        let token = keys.sign(&claims).expect("sign");
        assert_eq!(
            keys.verify(&token, TokenKind::Access, NOW),
            Err(TokenError::Invalid)
        );
    }
}

#[test]
fn out_of_range_subjects_and_bad_ids_are_invalid() {
    let keys = keys();
    for (claim, value) in [
        ("sub", json!("0")),
        ("sub", json!("2147483648")),
        ("jti", json!("abc")),
        ("sid", json!(12)),
    ] {
        let mut claims = valid_claims(TokenKind::Access);
        claims[claim] = value;
        let token = keys.sign(&claims).expect("sign");
        assert_eq!(
            keys.verify(&token, TokenKind::Access, NOW),
            Err(TokenError::Invalid),
            "{claim}"
        );
    }
}

#[test]
fn structurally_broken_tokens_are_invalid() {
    let keys = keys();
    let token = access(&keys).token;
    let parts = segments(&token);
    let payload_array = encode_segment(&json!([1, 2]));
    let array_token = keys.sign(&json!([1, 2])).expect("sign");
    for broken in [
        String::new(),
        "garbage".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{token}.{}", parts[2]),
        format!("{}.{}.{}.{}", parts[0], parts[1], parts[1], parts[2]),
        format!("{}.%%%%.{}", parts[0], parts[2]),
        format!("!!!.{}.{}", parts[1], parts[2]),
        format!("{}.{payload_array}.{}", parts[0], parts[2]),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!("{}.{}.", parts[0], parts[1]),
        array_token,
    ] {
        assert_eq!(
            keys.verify(&broken, TokenKind::Access, NOW),
            Err(TokenError::Invalid),
            "{broken}"
        );
    }
}

/// `jsonwebtoken`'s HS256 verification with its claim checks off: an independent oracle.
fn oracle_accepts(token: &str) -> bool {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(SECRET), &validation).is_ok()
}

#[test]
fn issued_tokens_verify_under_an_independent_implementation() {
    let keys = keys();
    let (access, refresh) = access_and_refresh(&keys);
    assert!(oracle_accepts(&access) && oracle_accepts(&refresh));
    let other = JwtKeys::new(b"another-secret").issue_refresh(5, Uuid::new_v4(), NOW, 60);
    assert!(!oracle_accepts(&other.expect("issue").token));
}

#[test]
fn tokens_signed_by_an_independent_implementation_are_accepted() {
    let claims = valid_claims(TokenKind::Access);
    let key = EncodingKey::from_secret(SECRET);
    let mut with_key_id = jsonwebtoken::Header::new(Algorithm::HS256);
    with_key_id.kid = Some("k1".to_owned());
    let mut without_type = jsonwebtoken::Header::new(Algorithm::HS256);
    without_type.typ = None;
    for header in [
        jsonwebtoken::Header::new(Algorithm::HS256),
        with_key_id,
        without_type,
    ] {
        let token = jsonwebtoken::encode(&header, &claims, &key).expect("encode");
        let verified = keys()
            .verify(&token, TokenKind::Access, NOW)
            .expect("valid");
        assert_eq!(verified.jti.to_string(), claims["jti"]);
    }
}

#[test]
fn only_the_canonical_spelling_of_the_signature_is_accepted() {
    let token = access(&keys()).token;
    let (message, signature) = token.rsplit_once('.').expect("three segments");
    // 32 bytes take 43 base64url characters; the last one carries 2 unused bits. Setting one
    // decodes to the same MAC under a lenient decoder.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = signature.as_bytes()[signature.len() - 1];
    let index = alphabet.iter().position(|c| *c == last).expect("base64url");
    let stray_bits = char::from(alphabet[index | 1]);
    let respelled = format!(
        "{message}.{}{stray_bits}",
        &signature[..signature.len() - 1]
    );
    let padded = format!("{token}=");
    for variant in [respelled, padded] {
        assert_ne!(variant, token);
        assert_eq!(
            keys().verify(&variant, TokenKind::Access, NOW),
            Err(TokenError::Invalid),
            "{variant}"
        );
        assert!(!oracle_accepts(&variant), "{variant}");
    }
}

#[test]
fn debug_output_hides_the_secret() {
    let debug = format!("{:?}", JwtKeys::new(b"super-secret-value"));
    assert!(!debug.contains("super-secret-value"));
    assert!(!debug.contains(&format!("{:?}", b"super-secret-value")));
}
