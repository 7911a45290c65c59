//! JWT verification (§2.1, §2.6 rows 3–5) on arbitrary strings: never a panic, and whatever
//! is accepted satisfies the claim rules.
//!
//! The first byte picks the mode: raw token text; a fuzzer-chosen payload under the genuine
//! header, correctly signed; or a fuzzer-chosen header and payload, correctly signed. The
//! signed modes reach the claim checks that run only after the signature is verified.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use warden::security::jwt::{JwtKeys, TokenKind};

const SECRET: &[u8] = b"fuzz-secret-key-at-least-32-characters";
const NOW: i64 = 1_768_473_045;
/// base64url of `{"alg":"HS256","typ":"JWT"}`, the header warden writes.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

fn sign(message: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).expect("any key length");
    mac.update(message.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{message}.{signature}")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 3 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => sign(&format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(rest))),
        _ => {
            let (header, payload) = match rest.iter().position(|b| *b == 0xff) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            sign(&format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(payload)
            ))
        }
    };
    let keys = JwtKeys::new(SECRET);
    for kind in [TokenKind::Access, TokenKind::Refresh] {
        for now in [NOW, 0, i64::MIN, i64::MAX] {
            if let Ok(claims) = keys.verify(&token, kind, now) {
                assert_eq!(claims.kind, kind);
                assert!(claims.user_id >= 1);
                assert!(claims.exp >= now);
            }
        }
    }
});
