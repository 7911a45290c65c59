//! Password hashing: new hashes are Argon2id (v19, m=19456 KiB, t=2, p=1, 16-byte
//! salt, 32-byte tag, PHC string); stored hashes are verified by family, legacy Werkzeug ones
//! included, and flagged for rehashing when they are not current.
//!
//! Everything here is CPU-bound and blocking: callers run it on the blocking pool.

mod admission;
mod legacy;

pub use admission::{HashAdmission, QueueFull};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;
use thiserror::Error;

const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
const TAG_LEN: usize = 32;

/// Why a new hash could not be produced (only the OS RNG or a parameter bug can cause it).
#[derive(Debug, Error)]
pub enum PasswordError {
    #[error("argon2id hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("invalid argon2id parameters: {0}")]
    Params(argon2::Error),
}

/// The family of a stored hash; also the `from` label of `warden_password_rehashes_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFamily {
    Argon2id,
    Scrypt,
    Pbkdf2,
    Unknown,
}

impl HashFamily {
    /// Lower-case name for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Argon2id => "argon2id",
            Self::Scrypt => "scrypt",
            Self::Pbkdf2 => "pbkdf2",
            Self::Unknown => "unknown",
        }
    }

    /// Chooses the verifier by the stored hash's prefix (`$argon2id$`, `scrypt:`, `pbkdf2:`).
    pub fn of(stored: &str) -> Self {
        if stored.starts_with("$argon2id$") {
            Self::Argon2id
        } else if stored.starts_with("scrypt:") {
            Self::Scrypt
        } else if stored.starts_with("pbkdf2:") {
            Self::Pbkdf2
        } else {
            Self::Unknown
        }
    }
}

/// Outcome of a verification. `needs_rehash` is only ever true for a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matched: bool,
    pub needs_rehash: bool,
    pub family: HashFamily,
}

fn current_params() -> Result<Params, PasswordError> {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(TAG_LEN)).map_err(PasswordError::Params)
}

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` (its UTF-8 bytes, no normalisation) with the current Argon2id parameters.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = hasher(current_params()?)
        .hash_password(password.as_bytes(), &salt)
        .map_err(PasswordError::Hash)?;
    Ok(hash.to_string())
}

/// Verifies `password` against any stored value; never errors, never panics.
pub fn verify_password(password: &str, stored: &str) -> Verification {
    let family = HashFamily::of(stored);
    let (matched, current) = match family {
        HashFamily::Argon2id => verify_argon2id(password, stored),
        HashFamily::Scrypt | HashFamily::Pbkdf2 => (legacy::verify(password, stored), false),
        HashFamily::Unknown => (false, false),
    };
    Verification {
        matched,
        needs_rehash: matched && !current,
        family,
    }
}

/// Upper bounds on stored Argon2id costs. The contract verifies "whatever its parameters", but a
/// planted hash with m = 2^32 KiB would abort the process on allocation; these bounds are far
/// above any sane setting (OWASP's strongest profile uses 46 MiB) and turn such a hash into a
/// non-match instead (refusing a login is safer than aborting the process).
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 64;

fn within_bounds(hash: &PasswordHash<'_>) -> bool {
    Params::try_from(hash).is_ok_and(|p| {
        p.m_cost() <= MAX_MEMORY_KIB
            && p.t_cost() <= MAX_ITERATIONS
            && p.p_cost() <= MAX_PARALLELISM
    })
}

/// Returns (matched, uses the current parameters).
fn verify_argon2id(password: &str, stored: &str) -> (bool, bool) {
    let Ok(hash) = PasswordHash::new(stored) else {
        return (false, false);
    };
    if !within_bounds(&hash) {
        return (false, false);
    }
    let matched = Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok();
    (matched, matched && is_current(&hash))
}

fn is_current(hash: &PasswordHash<'_>) -> bool {
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    hash.version == Some(Version::V0x13.into())
        && params.m_cost() == MEMORY_KIB
        && params.t_cost() == ITERATIONS
        && params.p_cost() == PARALLELISM
        && hash.hash.is_some_and(|tag| tag.len() == TAG_LEN)
}

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn an_absurd_stored_memory_cost_is_a_non_match_not_an_abort() {
        let planted = "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWY";
        assert_eq!(verify_argon2id("anything", planted), (false, false));
    }
}

/// Verified against when the login e-mail is unknown, so that failure costs one full Argon2id run
/// with the current parameters, exactly like a wrong password. A constant: salt and tag are
/// not secret here (no account has this hash and its result is never used), and computing one at
/// startup cost 19 MiB of memory and ~40 ms of CPU beside the first requests (docs/performance.md).
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZGF0YWRhdGFkYXRhZGF0YWRhdGFkYXRhZGF0YWRhdGE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_hashes_use_the_contract_parameters() {
        let hash = hash_password("Password123!").expect("hashing works");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let parsed = PasswordHash::new(&hash).expect("PHC string");
        assert_eq!(
            parsed.salt.map(|s| s.as_str().len()),
            Some(22),
            "16 bytes, b64 no padding"
        );
        assert_eq!(parsed.hash.map(|h| h.len()), Some(32));
        assert!(!hash.rsplitn(3, '$').take(2).any(|part| part.contains('=')));
    }

    #[test]
    fn new_hashes_verify_and_need_no_rehash() {
        let hash = hash_password("Pässwörd1!").expect("hashing works");
        let ok = verify_password("Pässwörd1!", &hash);
        assert_eq!(
            ok,
            Verification {
                matched: true,
                needs_rehash: false,
                family: HashFamily::Argon2id
            }
        );
        let wrong = verify_password("Passwörd1!", &hash);
        assert!(!wrong.matched && !wrong.needs_rehash);
    }

    #[test]
    fn salts_are_random() {
        let first = hash_password("same").expect("hashing works");
        let second = hash_password("same").expect("hashing works");
        assert_ne!(first, second);
    }

    #[test]
    fn argon2id_hashes_with_other_parameters_verify_and_need_a_rehash() {
        let params = Params::new(8, 1, 1, Some(32)).expect("params");
        let salt = SaltString::generate(&mut OsRng);
        let hash = hasher(params)
            .hash_password(b"Password123!", &salt)
            .expect("hash")
            .to_string();
        let result = verify_password("Password123!", &hash);
        assert!(result.matched && result.needs_rehash);
        let wrong = verify_password("password123!", &hash);
        assert!(!wrong.matched && !wrong.needs_rehash);
    }

    #[test]
    fn legacy_matches_always_need_a_rehash() {
        let stored = "pbkdf2:sha1:2$salt$ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957";
        let result = verify_password("password", stored);
        assert_eq!(
            result,
            Verification {
                matched: true,
                needs_rehash: true,
                family: HashFamily::Pbkdf2
            }
        );
        let miss = verify_password("Password", stored);
        assert!(!miss.matched && !miss.needs_rehash);
    }

    #[test]
    fn unknown_and_malformed_hashes_never_match() {
        for stored in [
            "",
            "Password123!",
            "md5$abc$def",
            "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$!!$??",
            "ARGON2ID",
            "bcrypt$x",
        ] {
            let result = verify_password("Password123!", stored);
            assert!(!result.matched && !result.needs_rehash, "{stored}");
        }
        assert_eq!(
            verify_password("x", "$2b$12$abc").family,
            HashFamily::Unknown
        );
        assert_eq!(verify_password("x", "scrypt:").family, HashFamily::Scrypt);
    }

    #[test]
    fn the_dummy_hash_is_current_argon2id_and_matches_nothing_common() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("valid PHC");
        assert!(is_current(&parsed));
        for guess in ["", "Password123!", "warden-dummy-password", "password"] {
            assert!(!verify_password(guess, DUMMY_HASH).matched, "{guess}");
        }
    }

    #[test]
    fn families_have_metric_labels() {
        let labels = [
            HashFamily::Argon2id,
            HashFamily::Scrypt,
            HashFamily::Pbkdf2,
            HashFamily::Unknown,
        ]
        .map(HashFamily::as_str);
        assert_eq!(labels, ["argon2id", "scrypt", "pbkdf2", "unknown"]);
    }
}
