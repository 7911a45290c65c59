//! Stored-hash parsing and verification with arbitrary stored strings: never a panic,
//! and only the three known families can ever match.
//!
//! Input: `<password>\0<stored>` (no NUL: the whole input is the stored value, password "").
//! Work parameters are capped before the call so that one execution stays in milliseconds:
//! scrypt N ≤ 2^10, r ≤ 8, p ≤ 2; PBKDF2 ≤ 1,000 iterations; Argon2 m·t·p ≤ 2^12 KiB-passes.
//! The verifier's own bounds (N ≤ 2^20, iterations ≤ 10^7) are far above what a fuzzer can
//! afford per execution; values beyond them are still refused by the verifier, which the
//! fixed cases in `src/security/password/legacy.rs` test.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::security::password_hash::{HashFamily, verify_password};

/// Every `<key>=<digits>` or `:<digits>` number in the parameter part, or `None` if one does
/// not fit in u64 (such inputs are skipped: the filter must never under-estimate the cost).
fn numbers(params: &str) -> Option<Vec<u64>> {
    let mut found = Vec::new();
    for run in params.split(|c: char| !c.is_ascii_digit()) {
        if !run.is_empty() {
            found.push(run.parse::<u64>().ok()?);
        }
    }
    Some(found)
}

fn affordable(stored: &str) -> bool {
    match HashFamily::of(stored) {
        HashFamily::Scrypt | HashFamily::Pbkdf2 => {
            let method = stored.split('$').next().unwrap_or_default();
            let Some(values) = numbers(method) else {
                return false;
            };
            if stored.starts_with("scrypt:") {
                // N, r, p (and anything else the fuzzer adds) each small.
                values.iter().all(|v| *v <= 1024) && values.iter().skip(1).all(|v| *v <= 8)
            } else {
                values.iter().all(|v| *v <= 1_000)
            }
        }
        HashFamily::Argon2id => {
            // Parameters (m=..,t=..,p=..) may sit in any `$` segment the PHC parser accepts.
            let mut cost: u64 = 1;
            for pair in stored.split(['$', ',']) {
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                let Ok(value) = value.parse::<u64>() else {
                    // Non-decimal values are refused by the PHC parser before any work.
                    continue;
                };
                if matches!(key, "m" | "t" | "p") {
                    cost = cost.saturating_mul(value.max(1));
                }
            }
            cost <= 4_096
        }
        HashFamily::Unknown => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (password, stored) = text.split_once('\0').unwrap_or(("", &text));
    if !affordable(stored) {
        return;
    }
    let result = verify_password(password, stored);
    assert_eq!(result.family, HashFamily::of(stored));
    if result.matched {
        assert_ne!(result.family, HashFamily::Unknown);
    } else {
        assert!(!result.needs_rehash);
    }
});
