//! E-mail addresses: eleven ordered checks with fixed reasons, IDNA for the
//! domain, and a normalised form (local part unchanged, domain in lower-case Unicode) that is
//! what gets stored and looked up.

use super::rules::{FieldError, char_len};

const MAX_TOTAL: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_ASCII_DOMAIN: usize = 253;
const MAX_LABEL: usize = 63;
/// Column size of `users.email`; only registration enforces it.
pub const MAX_STORED: usize = 120;
const SPECIAL_USE_TLDS: [&str; 6] = ["arpa", "invalid", "local", "localhost", "onion", "test"];
const LOCAL_PUNCTUATION: &str = "!#$%&'*+-/=?^_`{}~.|";

/// A syntactically valid, normalised e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Trims, checks and normalises `raw`; the error carries the full client message.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        check(raw.trim()).map(Self).map_err(|reason| {
            FieldError::new(format!("value is not a valid email address: {reason}"))
        })
    }

    /// The registration-only column limit, checked on the normalised value.
    pub fn check_register_length(&self) -> Result<(), FieldError> {
        if char_len(&self.0) > MAX_STORED {
            return Err(FieldError::too_long(MAX_STORED));
        }
        Ok(())
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised address, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs checks 1–11 in order on the trimmed value, returning the normalised address or the
/// reason of the first failing check.
fn check(address: &str) -> Result<String, &'static str> {
    if char_len(address) > MAX_TOTAL {
        return Err("The email address is too long (at most 254 characters).");
    }
    let (local, domain) = match address.split_once('@') {
        Some((local, domain)) if !domain.contains('@') => (local, domain),
        _ => return Err("The email address is not valid. It must have exactly one @-sign."),
    };
    check_local_part(local, domain)?;
    let ascii =
        ascii_domain(domain).ok_or("The part after the @-sign is not a valid domain name.")?;
    check_top_level(&ascii)?;
    let (unicode, _) = idna::domain_to_unicode(&ascii);
    Ok(format!("{local}@{unicode}"))
}

/// Checks 3–7 (check 4, the empty domain, sits between them in the contract's order).
fn check_local_part(local: &str, domain: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("There must be something before the @-sign.");
    }
    if domain.is_empty() {
        return Err("There must be something after the @-sign.");
    }
    if char_len(local) > MAX_LOCAL {
        return Err("The part before the @-sign is too long (at most 64 characters).");
    }
    if !local.chars().all(is_local_char) {
        return Err("The part before the @-sign contains invalid characters.");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("The part before the @-sign has a misplaced period.");
    }
    Ok(())
}

fn is_local_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || LOCAL_PUNCTUATION.contains(c)
    } else {
        !c.is_whitespace() && !c.is_control()
    }
}

/// Check 8: UTS #46 ToASCII (as the WHATWG URL Standard uses it), then strict DNS label rules.
fn ascii_domain(domain: &str) -> Option<String> {
    let ascii = idna::domain_to_ascii(domain).ok()?;
    let valid = ascii.len() <= MAX_ASCII_DOMAIN && ascii.split('.').all(is_ascii_label);
    valid.then_some(ascii)
}

fn is_ascii_label(label: &str) -> bool {
    (1..=MAX_LABEL).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// Checks 9–11 on the ASCII domain.
fn check_top_level(ascii: &str) -> Result<(), &'static str> {
    let Some((_, last)) = ascii.rsplit_once('.') else {
        return Err("The part after the @-sign is not valid. It should have a period.");
    };
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            "The part after the @-sign is not valid. It is not within a valid top-level domain.",
        );
    }
    if SPECIAL_USE_TLDS.contains(&last) {
        return Err(
            "The part after the @-sign is a special-use or reserved name that cannot be used with email.",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "value is not a valid email address: ";

    fn normalised(raw: &str) -> String {
        Email::parse(raw)
            .map(Email::into_inner)
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    fn reason(raw: &str) -> String {
        match Email::parse(raw) {
            Ok(email) => format!("OK {email}"),
            Err(error) => error.message().trim_start_matches(PREFIX).to_owned(),
        }
    }

    #[test]
    fn ascii_domains_are_lower_cased_and_the_local_part_kept() {
        assert_eq!(normalised(" John.Doe@Example.COM "), "John.Doe@example.com");
        assert_eq!(normalised("a@example.com"), "a@example.com");
    }

    #[test]
    fn internationalised_domains_are_stored_in_unicode_form() {
        assert_eq!(normalised("x@BÜCHER.de"), "x@bücher.de");
        assert_eq!(normalised("x@xn--bcher-kva.de"), "x@bücher.de");
    }

    #[test]
    fn errors_carry_the_common_prefix() {
        let message = Email::parse("invalid-email").map_err(FieldError::into_message);
        assert_eq!(
            message,
            Err(format!(
                "{PREFIX}The email address is not valid. It must have exactly one @-sign."
            ))
        );
    }

    #[test]
    fn check_1_rejects_more_than_254_characters() {
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
        assert_eq!(long.chars().count(), 255);
        assert_eq!(
            reason(&long),
            "The email address is too long (at most 254 characters)."
        );
    }

    #[test]
    fn check_2_needs_exactly_one_at_sign() {
        let expected = "The email address is not valid. It must have exactly one @-sign.";
        assert_eq!(reason("plain"), expected);
        assert_eq!(reason("a@b@c.com"), expected);
        assert_eq!(reason(""), expected);
    }

    #[test]
    fn checks_3_and_4_need_both_sides() {
        assert_eq!(
            reason("@x.com"),
            "There must be something before the @-sign."
        );
        assert_eq!(reason("a@"), "There must be something after the @-sign.");
        assert_eq!(reason("@"), "There must be something before the @-sign.");
    }

    #[test]
    fn check_5_limits_the_local_part_to_64_characters() {
        assert!(reason(&format!("{}@x.com", "a".repeat(64))).starts_with("OK"));
        assert_eq!(
            reason(&format!("{}@x.com", "a".repeat(65))),
            "The part before the @-sign is too long (at most 64 characters)."
        );
    }

    #[test]
    fn check_6_rejects_display_names_spaces_and_controls() {
        let expected = "The part before the @-sign contains invalid characters.";
        assert_eq!(reason("Jane <jane@example.com>"), expected);
        assert_eq!(reason("a b@x.com"), expected);
        assert_eq!(reason("a\u{7}b@x.com"), expected);
        assert_eq!(reason("a\u{A0}b@x.com"), expected);
        assert_eq!(reason("a\"b@x.com"), expected);
        assert_eq!(reason("a,b@x.com"), expected);
    }

    #[test]
    fn check_6_allows_the_listed_punctuation_and_non_ascii() {
        assert_eq!(
            reason("!#$%&'*+-/=?^_`{}~|.x@x.com"),
            "OK !#$%&'*+-/=?^_`{}~|.x@x.com"
        );
        assert_eq!(reason("jörg@x.com"), "OK jörg@x.com");
    }

    #[test]
    fn check_7_rejects_misplaced_periods() {
        let expected = "The part before the @-sign has a misplaced period.";
        assert_eq!(reason("a..b@x.com"), expected);
        assert_eq!(reason(".a@x.com"), expected);
        assert_eq!(reason("a.@x.com"), expected);
    }

    #[test]
    fn check_8_rejects_invalid_domain_names() {
        let expected = "The part after the @-sign is not a valid domain name.";
        for domain in [
            "x..com",
            ".x.com",
            "x.com.",
            "a_b.com",
            "[192.168.0.1]",
            "-x.com",
            "x-.com",
            "xn--zz.com",
            "a b.com",
        ] {
            assert_eq!(reason(&format!("a@{domain}")), expected, "{domain}");
        }
        let long_label = format!("a@{}.com", "b".repeat(64));
        assert_eq!(reason(&long_label), expected);
    }

    #[test]
    fn check_8_limits_the_ascii_domain_to_253_characters() {
        // Short in characters, long once punycoded: only IDNA can push a domain past 253.
        let labels: Vec<String> = (0..6u32)
            .map(|l| {
                (0..20u32)
                    .filter_map(|i| char::from_u32(0x4E00 + l * 1000 + i * 37))
                    .collect()
            })
            .collect();
        let domain = format!("{}.com", labels.join("."));
        let ascii_len = idna::domain_to_ascii(&domain).map(|a| a.len()).unwrap_or(0);
        assert!(ascii_len > 253, "{ascii_len}");
        assert_eq!(
            reason(&format!("a@{domain}")),
            "The part after the @-sign is not a valid domain name."
        );
        let fits = format!("{}.com", labels[..4].join("."));
        assert!(reason(&format!("a@{fits}")).starts_with("OK"));
    }

    #[test]
    fn check_9_needs_a_period_in_the_domain() {
        assert_eq!(
            reason("a@b"),
            "The part after the @-sign is not valid. It should have a period."
        );
    }

    #[test]
    fn check_10_rejects_numeric_top_level_domains() {
        assert_eq!(
            reason("a@example.123"),
            "The part after the @-sign is not valid. It is not within a valid top-level domain."
        );
    }

    #[test]
    fn check_11_rejects_special_use_names() {
        for tld in [
            "arpa",
            "invalid",
            "local",
            "localhost",
            "onion",
            "test",
            "TEST",
        ] {
            assert_eq!(
                reason(&format!("a@foo.{tld}")),
                "The part after the @-sign is a special-use or reserved name that cannot be used with email.",
                "{tld}"
            );
        }
    }

    #[test]
    fn registration_limits_the_normalised_address_to_120_characters() {
        let fits = Email::parse(&format!("{}@{}.com", "a".repeat(60), "b".repeat(55)));
        assert_eq!(fits.map(|e| e.check_register_length()), Ok(Ok(())));
        let too_long = Email::parse(&format!("{}@{}.com", "a".repeat(60), "b".repeat(56)));
        assert_eq!(
            too_long.map(|e| e.check_register_length().map_err(FieldError::into_message)),
            Ok(Err("String should have at most 120 characters".into()))
        );
    }
}
