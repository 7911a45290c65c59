//! The JOSE header check: the token must name HS256, the only algorithm this service accepts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::HEADER_SEGMENT;

/// The header fields that decide acceptance; other registered fields are ignored, as they
/// carry nothing this service uses. serde refuses a duplicated `alg`, so a header cannot
/// name two algorithms and have one of them picked.
#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    /// Typed (and then unused) so that a non-string `typ` is refused.
    #[serde(rename = "typ")]
    _typ: Option<String>,
}

/// Whether the base64url `segment` is a JSON object with `"alg": "HS256"`. The header this
/// service writes is recognised without decoding it.
pub(super) fn header_is_hs256(segment: &str) -> bool {
    if segment == HEADER_SEGMENT {
        return true;
    }
    URL_SAFE_NO_PAD
        .decode(segment)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<JoseHeader>(&bytes).ok())
        .is_some_and(|header| header.alg == "HS256")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn the_issued_header_and_other_hs256_spellings_are_accepted() {
        assert!(header_is_hs256(HEADER_SEGMENT));
        assert!(header_is_hs256(&encoded(r#"{"alg":"HS256"}"#)));
        assert!(header_is_hs256(&encoded(
            r#"{"typ":"JWT","kid":"k1","alg":"HS256"}"#
        )));
    }

    #[test]
    fn other_algorithms_and_malformed_headers_are_refused() {
        for json in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
            r#"{"alg":"hs256"}"#,
            r#"{"alg":"HS256","alg":"none"}"#,
            r#"{"alg":"none","alg":"HS256"}"#,
            r#"{"alg":null}"#,
            r#"{"alg":["HS256"]}"#,
            r#"{"typ":"JWT"}"#,
            r#"{"alg":"HS256","typ":5}"#,
            r#"["HS256"]"#,
            r#""HS256""#,
            "",
        ] {
            assert!(!header_is_hs256(&encoded(json)), "{json}");
        }
        for segment in ["", "!!!!", "eyJhbGciOiJIUzI1NiJ9=", "e"] {
            assert!(!header_is_hs256(segment), "{segment}");
        }
    }
}
