//! Werkzeug 3.x password hashes written by the original service:
//! `scrypt:<N>:<r>:<p>$<salt>$<hex>` and `pbkdf2:<hash>:<iterations>$<salt>$<hex>`.
//!
//! Only fully parameterised forms within the contract's bounds are accepted; anything else is
//! "no match", never an error, so a corrupt row cannot turn a login into a 500.

use std::num::NonZeroU32;

use ring::pbkdf2 as ring_pbkdf2;
use subtle::ConstantTimeEq;

const SCRYPT_KEY_LEN: usize = 64;
const SCRYPT_MAX_LOG_N: u32 = 20;
const SCRYPT_MAX_R: u32 = 32;
const SCRYPT_MAX_P: u32 = 16;
/// scrypt holds 128 × N × r bytes per verification; Werkzeug's own writer needs 32 MiB, and a
/// planted hash must not make one login allocate gigabytes (N = 2^20, r = 32 would be 4 GiB).
const SCRYPT_MAX_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
const PBKDF2_MAX_ITERATIONS: u32 = 10_000_000;

/// Verifies `password` against a `scrypt:`/`pbkdf2:` string; false for every malformed input.
pub(super) fn verify(password: &str, stored: &str) -> bool {
    let mut parts = stored.splitn(3, '$');
    let (Some(method), Some(salt), Some(expected_hex)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if salt.is_empty() || expected_hex.is_empty() {
        return false;
    }
    let derived = derive(method, password.as_bytes(), salt.as_bytes());
    derived.is_some_and(|key| {
        // Werkzeug compares lower-case hex text, so upper-case stored hex never matches.
        hex::encode(key)
            .as_bytes()
            .ct_eq(expected_hex.as_bytes())
            .into()
    })
}

fn derive(method: &str, password: &[u8], salt: &[u8]) -> Option<Vec<u8>> {
    let mut fields = method.split(':');
    let name = fields.next()?;
    let args: Vec<&str> = fields.collect();
    match (name, args.as_slice()) {
        ("scrypt", [n, r, p]) => scrypt_key(password, salt, n, r, p),
        ("pbkdf2", [digest, iterations]) => pbkdf2_key(password, salt, digest, iterations),
        _ => None,
    }
}

/// Strict decimal: Python's `int()` leniency (signs, spaces, `_`) is not needed for hashes
/// Werkzeug wrote, and the contract calls other spellings non-numeric.
fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn scrypt_key(password: &[u8], salt: &[u8], n: &str, r: &str, p: &str) -> Option<Vec<u8>> {
    let (n, r, p) = (number(n)?, number(r)?, number(p)?);
    let log_n = n.checked_ilog2()?;
    let in_bounds = n.is_power_of_two()
        && (1..=SCRYPT_MAX_LOG_N).contains(&log_n)
        && (1..=SCRYPT_MAX_R).contains(&r)
        && (1..=SCRYPT_MAX_P).contains(&p)
        && scrypt_memory_bytes(n, r) <= SCRYPT_MAX_MEMORY_BYTES;
    if !in_bounds {
        return None;
    }
    let params = scrypt::Params::new(u8::try_from(log_n).ok()?, r, p, SCRYPT_KEY_LEN).ok()?;
    let mut key = vec![0u8; SCRYPT_KEY_LEN];
    scrypt::scrypt(password, salt, &params, &mut key).ok()?;
    Some(key)
}

fn scrypt_memory_bytes(n: u32, r: u32) -> u64 {
    128 * u64::from(n) * u64::from(r)
}

/// PBKDF2 with dkLen = digest size (the `hashlib.pbkdf2_hmac` default).
///
/// `ring` does the work because its loop is not generic: it is compiled (and optimised) in
/// its own crate, whereas RustCrypto's generic `pbkdf2_hmac` would be monomorphised into this
/// crate and run ~10x slower in debug builds (seconds per legacy login). `ring` has no
/// SHA-224, so that one rare digest uses RustCrypto.
fn pbkdf2_key(password: &[u8], salt: &[u8], digest: &str, iterations: &str) -> Option<Vec<u8>> {
    let rounds = number(iterations)?;
    if rounds > PBKDF2_MAX_ITERATIONS {
        return None;
    }
    let rounds = NonZeroU32::new(rounds)?;
    let (algorithm, len) = match digest {
        "sha1" => (ring_pbkdf2::PBKDF2_HMAC_SHA1, 20),
        "sha256" => (ring_pbkdf2::PBKDF2_HMAC_SHA256, 32),
        "sha384" => (ring_pbkdf2::PBKDF2_HMAC_SHA384, 48),
        "sha512" => (ring_pbkdf2::PBKDF2_HMAC_SHA512, 64),
        "sha224" => return Some(pbkdf2_sha224(password, salt, rounds.get())),
        _ => return None,
    };
    let mut key = vec![0u8; len];
    ring_pbkdf2::derive(algorithm, rounds, salt, password, &mut key);
    Some(key)
}

fn pbkdf2_sha224(password: &[u8], salt: &[u8], rounds: u32) -> Vec<u8> {
    let mut key = vec![0u8; 28];
    pbkdf2::pbkdf2_hmac::<sha2::Sha224>(password, salt, rounds, &mut key);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const FIXTURE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/legacy-hashes.json"
    ));

    #[test]
    fn every_contract_vector_verifies_as_expected() {
        let vectors: Vec<Value> = serde_json::from_str(FIXTURE).expect("fixture is JSON");
        assert_eq!(vectors.len(), 26);
        for vector in &vectors {
            let password = vector["password"].as_str().expect("password");
            let hash = vector["hash"].as_str().expect("hash");
            let valid = vector["valid"].as_bool().expect("valid");
            assert_eq!(verify(password, hash), valid, "{password:?} vs {hash}");
        }
    }

    /// Computed independently with Python's `hashlib` (what Werkzeug uses):
    /// `hashlib.pbkdf2_hmac(d, "Pässwörd1!".encode(), "sälz".encode(), 3).hex()`.
    const PBKDF2_VECTORS: [(&str, &str); 5] = [
        ("sha1", "e78910223cf3bbbd9eb8517a4eaf7269b7c5cc38"),
        (
            "sha224",
            "76217205d51bbe7a4430b8432e2ee29847f71b69880f9bdac460c7ac",
        ),
        (
            "sha256",
            "d15169bdd68ee2271afe4fa98dcc43ca284d1facbd47e9ee704ac3df49cf5aa3",
        ),
        (
            "sha384",
            "0f950ddbd401456fb4226cf66669b2654d6f897cbb932c1850f04e59151fd075de62afa7617ee154431706633f9a6399",
        ),
        (
            "sha512",
            "893a3e277d4084838d253ea1c5427c70b45f5295bd816ce16124726689ca1d6da453558f4583f103e4463919385e8a5d8d9cacb5fb0e8e54d9c623dcd885bd34",
        ),
    ];

    #[test]
    fn every_pbkdf2_digest_matches_hashlib_with_utf8_salt_and_password() {
        for (digest, key) in PBKDF2_VECTORS {
            let stored = format!("pbkdf2:{digest}:3$sälz${key}");
            assert!(verify("Pässwörd1!", &stored), "{stored}");
            assert!(!verify("Passwörd1!", &stored), "{stored}");
            let wrong_rounds = format!("pbkdf2:{digest}:2$sälz${key}");
            assert!(!verify("Pässwörd1!", &wrong_rounds), "{wrong_rounds}");
        }
    }

    #[test]
    fn scrypt_matches_hashlib_with_other_parameters() {
        // hashlib.scrypt(b"pw", salt=b"abc", n=1024, r=2, p=3).hex()
        let key = "d3b0e815583a18150bba2663b070c956ce9c5015f89dd538996f256d083b501b7fff980bcffd96fd121e282e00ee9cef1b837ab8d32b4ef66c4bc5d8e5dde30c";
        assert!(verify("pw", &format!("scrypt:1024:2:3$abc${key}")));
        assert!(!verify("pw", &format!("scrypt:1024:2:2$abc${key}")));
    }

    #[test]
    fn scrypt_hashes_needing_more_than_64_mib_never_match_and_allocate_nothing() {
        // 128 × N × r: 2^16 × 8 = 64 MiB is the largest accepted; one more doubling is not.
        assert_eq!(scrypt_memory_bytes(1 << 16, 8), SCRYPT_MAX_MEMORY_BYTES);
        for method in [
            "scrypt:131072:8:1",
            "scrypt:65536:9:1",
            "scrypt:1048576:32:16",
            "scrypt:1048576:1:1",
        ] {
            let started = std::time::Instant::now();
            assert!(!verify("pw", &format!("{method}$salt$00")), "{method}");
            assert!(
                started.elapsed() < std::time::Duration::from_millis(50),
                "{method} was computed"
            );
        }
        // Werkzeug's writer (32 MiB) and the 64 MiB edge stay within the bound.
        assert!(scrypt_memory_bytes(32_768, 8) <= SCRYPT_MAX_MEMORY_BYTES);
        assert!(scrypt_memory_bytes(1 << 19, 1) <= SCRYPT_MAX_MEMORY_BYTES);
    }

    #[test]
    fn pbkdf2_sha1_matches_the_rfc_6070_vector() {
        let stored = "pbkdf2:sha1:2$salt$ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957";
        assert!(verify("password", stored));
    }

    #[test]
    fn scrypt_matches_the_rfc_7914_vector() {
        let key = "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640";
        assert!(verify("password", &format!("scrypt:1024:8:16$NaCl${key}")));
        assert!(!verify("password", &format!("scrypt:1024:8:16$NaCL${key}")));
        // Empty salts are refused by the contract even where the key itself would match.
        assert!(!verify("password", &format!("scrypt:1024:8:16$${key}")));
    }

    #[test]
    fn out_of_bounds_or_malformed_parameters_never_match() {
        let salt_hex = "$s$00";
        for method in [
            "scrypt:3:8:1",
            "scrypt:1:8:1",
            "scrypt:2097152:8:1",
            "scrypt:1024:0:1",
            "scrypt:1024:33:1",
            "scrypt:1024:8:0",
            "scrypt:1024:8:17",
            "scrypt:1024:8",
            "scrypt",
            "scrypt:x:8:1",
            "scrypt:+1024:8:1",
            "scrypt:1024:8:1:1",
            "pbkdf2:sha256:0",
            "pbkdf2:sha256:10000001",
            "pbkdf2:sha256",
            "pbkdf2",
            "pbkdf2:md5:1000",
            "pbkdf2:SHA256:1000",
            "pbkdf2:sha256: 1000",
            "pbkdf2:sha256:1:2",
            "argon2:1",
            "",
        ] {
            assert!(!verify("pw", &format!("{method}{salt_hex}")), "{method}");
        }
    }

    #[test]
    fn empty_salt_empty_hex_and_missing_fields_never_match() {
        let hex = "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b";
        // hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1).hex()
        assert!(verify("password", &format!("pbkdf2:sha256:1$salt${hex}")));
        assert!(!verify("password", &format!("pbkdf2:sha256:1$${hex}")));
        assert!(!verify("password", "pbkdf2:sha256:1$salt$"));
        assert!(!verify("password", "pbkdf2:sha256:1$salt"));
        assert!(!verify(
            "password",
            &format!("pbkdf2:sha256:1$salt${hex}$extra")
        ));
        assert!(!verify(
            "password",
            &format!("pbkdf2:sha256:1$salt${}", hex.to_uppercase())
        ));
    }
}
