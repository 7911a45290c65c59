//! The payload check: the required claims with their exact types and ranges.
//! Runs only after the signature has been verified.

use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::{Claims, TokenKind};

/// The payload as sent, typed straight from the JSON (no intermediate map): a claim of the wrong
/// JSON type, a duplicated claim or a `null` fails deserialisation, so the token is invalid.
/// Unknown claims (such as `fresh`) are ignored.
#[derive(Debug, Deserialize)]
pub(super) struct RawClaims {
    sub: String,
    #[serde(rename = "type")]
    kind: String,
    jti: String,
    sid: String,
    iat: i64,
    exp: i64,
    #[serde(default, deserialize_with = "present_integer")]
    nbf: Option<i64>,
}

/// `nbf` may be absent, but when present it must be an integer (`null` included in the refusal).
fn present_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    i64::deserialize(deserializer).map(Some)
}

/// Row 3 claim checks; `None` when any required claim is out of range, or when `nbf` is later
/// than `now`.
pub(super) fn parse_claims(raw: RawClaims, now: i64) -> Option<Claims> {
    if raw.nbf.is_some_and(|nbf| nbf > now) {
        return None;
    }
    Some(Claims {
        user_id: subject(&raw.sub)?,
        kind: TokenKind::from_claim(&raw.kind)?,
        jti: uuid(&raw.jti)?,
        sid: uuid(&raw.sid)?,
        iat: raw.iat,
        exp: raw.exp,
    })
}

/// `sub` is a string of 1–10 ASCII digits with value 1‥2147483647.
fn subject(sub: &str) -> Option<i32> {
    if sub.is_empty() || sub.len() > 10 || !sub.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    sub.parse::<i32>().ok().filter(|id| *id >= 1)
}

/// A UUID in the canonical hyphenated form this service writes.
fn uuid(text: &str) -> Option<Uuid> {
    if text.len() != 36 {
        return None;
    }
    Uuid::parse_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    const NOW: i64 = 1_768_473_045;
    const JTI: &str = "0f8b6c1e-3d2a-4c6b-9a0e-2b7f1c9d4e21";
    const SID: &str = "5b1f8a02-7c4e-4d7a-8f3b-91c2e6a0d5b7";

    fn base() -> Value {
        json!({"sub": "5", "type": "access", "jti": JTI, "sid": SID,
               "iat": NOW, "nbf": NOW, "exp": NOW + 900, "fresh": false})
    }

    fn parse_with(change: impl FnOnce(&mut Map<String, Value>)) -> Option<Claims> {
        let mut claims = match base() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        change(&mut claims);
        serde_json::from_value::<RawClaims>(Value::Object(claims))
            .ok()
            .and_then(|raw| parse_claims(raw, NOW))
    }

    #[test]
    fn the_contract_example_payload_parses() {
        let claims = parse_with(|_| {}).expect("valid claims");
        assert_eq!(claims.user_id, 5);
        assert_eq!(claims.kind, TokenKind::Access);
        assert_eq!(claims.jti.to_string(), JTI);
        assert_eq!(claims.sid.to_string(), SID);
        assert_eq!((claims.iat, claims.exp), (NOW, NOW + 900));
    }

    #[test]
    fn sub_must_be_a_digit_string_between_1_and_2147483647() {
        for sub in [
            json!("1"),
            json!("2147483647"),
            json!("0005"),
            json!("0000000001"),
        ] {
            assert!(
                parse_with(|c| {
                    c.insert("sub".into(), sub.clone());
                })
                .is_some(),
                "{sub}"
            );
        }
        for sub in [
            json!(5),
            json!("0"),
            json!("2147483648"),
            json!("9999999999"),
            json!("00000000001"),
            json!(""),
            json!("-1"),
            json!("+5"),
            json!(" 5"),
            json!("5a"),
            json!("５"),
            Value::Null,
        ] {
            assert!(
                parse_with(|c| {
                    c.insert("sub".into(), sub.clone());
                })
                .is_none(),
                "{sub}"
            );
        }
    }

    #[test]
    fn every_required_claim_must_be_present() {
        for claim in ["sub", "type", "jti", "sid", "iat", "exp"] {
            assert!(
                parse_with(|c| {
                    c.remove(claim);
                })
                .is_none(),
                "{claim}"
            );
        }
        assert!(
            parse_with(|c| {
                c.remove("nbf");
                c.remove("fresh");
            })
            .is_some()
        );
    }

    #[test]
    fn ids_must_be_canonical_uuid_strings() {
        for claim in ["jti", "sid"] {
            for bad in [
                json!("not-a-uuid"),
                json!(7),
                json!("0f8b6c1e3d2a4c6b9a0e2b7f1c9d4e21"),
                json!("{0f8b6c1e-3d2a-4c6b-9a0e-2b7f1c9d4e21}"),
            ] {
                assert!(
                    parse_with(|c| {
                        c.insert(claim.into(), bad.clone());
                    })
                    .is_none(),
                    "{claim} {bad}"
                );
            }
        }
    }

    #[test]
    fn times_must_be_integers() {
        for claim in ["iat", "exp"] {
            for bad in [json!(1.5), json!("1768473045"), json!(1e20), Value::Null] {
                assert!(
                    parse_with(|c| {
                        c.insert(claim.into(), bad.clone());
                    })
                    .is_none(),
                    "{claim} {bad}"
                );
            }
        }
    }

    #[test]
    fn nbf_when_present_must_be_an_integer_not_in_the_future() {
        assert!(
            parse_with(|c| {
                c.insert("nbf".into(), json!(NOW));
            })
            .is_some()
        );
        assert!(
            parse_with(|c| {
                c.insert("nbf".into(), json!(NOW - 1));
            })
            .is_some()
        );
        assert!(
            parse_with(|c| {
                c.insert("nbf".into(), json!(NOW + 1));
            })
            .is_none()
        );
        assert!(
            parse_with(|c| {
                c.insert("nbf".into(), json!("0"));
            })
            .is_none()
        );
        assert!(
            parse_with(|c| {
                c.insert("nbf".into(), Value::Null);
            })
            .is_none()
        );
    }

    #[test]
    fn a_claim_sent_twice_makes_the_payload_invalid() {
        let twice = format!(
            r#"{{"sub":"5","sub":"6","type":"access","jti":"{JTI}","sid":"{SID}","iat":{NOW},"exp":{NOW}}}"#
        );
        assert!(serde_json::from_str::<RawClaims>(&twice).is_err());
        let once = twice.replace(r#""sub":"6","#, "");
        assert!(serde_json::from_str::<RawClaims>(&once).is_ok());
    }

    #[test]
    fn type_must_name_a_known_kind() {
        let refresh = parse_with(|c| {
            c.insert("type".into(), json!("refresh"));
        });
        assert_eq!(refresh.map(|c| c.kind), Some(TokenKind::Refresh));
        for bad in [json!("Access"), json!("id"), json!(1)] {
            assert!(
                parse_with(|c| {
                    c.insert("type".into(), bad.clone());
                })
                .is_none(),
                "{bad}"
            );
        }
    }
}
