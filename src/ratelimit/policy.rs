//! Rate-limit policy: the limit syntax and the classes of limits a route can have (the route
//! table in `http::routes::table` gives each endpoint its class).

/// Longest accepted period (10 years). Keeps `Instant + period` and Redis PEXPIRE
/// milliseconds far away from overflow, so the stores never need to panic.
pub const MAX_PERIOD_SECS: u64 = 10 * 366 * 86_400;

/// Which limits apply to an endpoint. Each limited class has its own variable
/// (docs/configuration.md); the two e-mail verification routes share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateClass {
    /// Not rate limited: probes, metrics and the documentation.
    Exempt,
    /// `RATE_LIMIT_DEFAULT`.
    Default,
    /// `RATE_LIMIT_LOGIN`.
    Login,
    /// `RATE_LIMIT_REGISTER`.
    Register,
    /// `RATE_LIMIT_PASSWORD_CHANGE`.
    PasswordChange,
    /// `RATE_LIMIT_PASSWORD_FORGOT`.
    PasswordForgot,
    /// `RATE_LIMIT_PASSWORD_RESET`.
    PasswordReset,
    /// `RATE_LIMIT_EMAIL_VERIFY`.
    EmailVerify,
}

/// At most `count` requests per fixed window of `period_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    pub count: u64,
    pub period_secs: u64,
}

impl Limit {
    pub const fn new(count: u64, period_secs: u64) -> Self {
        Self { count, period_secs }
    }

    /// Window length in milliseconds, clamped to [`MAX_PERIOD_SECS`] so that hand-built
    /// limits cannot overflow a store's arithmetic.
    pub(crate) fn period_ms(&self) -> u64 {
        self.period_secs.min(MAX_PERIOD_SECS).saturating_mul(1000)
    }
}

/// Parses the limit syntax: items separated by `;` or `,`; each `<n> per <period>` or
/// `<n>/<period>`; period `[<k> ]second|minute|hour|day` (plural allowed, case-insensitive).
///
/// The error is a human-readable reason; the config layer prefixes the variable name.
/// Empty items (`"5/minute;"`) are rejected like the original's `limits` library does,
/// and so are `0` counts or periods, which could only be configuration mistakes.
pub fn parse_limits(text: &str) -> Result<Vec<Limit>, String> {
    if text.trim().is_empty() {
        return Err("must contain at least one limit such as \"5 per minute\"".to_owned());
    }
    text.split([';', ',']).map(parse_item).collect()
}

fn parse_item(item: &str) -> Result<Limit, String> {
    let item = item.trim();
    if item.is_empty() {
        return Err("empty limit item (stray ';' or ',')".to_owned());
    }
    let invalid = |why: &str| format!("invalid limit \"{item}\": {why}");
    let (count_text, period_text) = split_item(item)
        .ok_or_else(|| invalid("expected \"<n> per <period>\" or \"<n>/<period>\""))?;
    let count = parse_number(count_text).map_err(|why| invalid(&why))?;
    if count == 0 {
        return Err(invalid("the count must be at least 1"));
    }
    let period_secs = parse_period(period_text).map_err(|why| invalid(&why))?;
    Ok(Limit::new(count, period_secs))
}

/// Splits an item into its count and period text, at `/` or at the word `per`.
fn split_item(item: &str) -> Option<(&str, &str)> {
    if let Some((count, period)) = item.split_once('/') {
        return Some((count.trim(), period.trim()));
    }
    let (count, rest) = item.split_once(char::is_whitespace)?;
    let (per, period) = rest.trim_start().split_once(char::is_whitespace)?;
    per.eq_ignore_ascii_case("per")
        .then(|| (count.trim(), period.trim()))
}

fn parse_number(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("\"{text}\" is not a whole number"));
    }
    text.parse::<u64>()
        .map_err(|_| format!("\"{text}\" is too large"))
}

/// `[<k> ]<unit>` → seconds.
fn parse_period(text: &str) -> Result<u64, String> {
    let mut words = text.split_whitespace();
    let (multiplier, unit) = match (words.next(), words.next(), words.next()) {
        (Some(unit), None, None) => (1, unit),
        (Some(k), Some(unit), None) => (parse_number(k)?, unit),
        _ => {
            return Err(format!(
                "period \"{text}\" must be \"[<k> ]second|minute|hour|day\""
            ));
        }
    };
    if multiplier == 0 {
        return Err("the period must be at least 1".to_owned());
    }
    let secs = unit_seconds(unit)
        .ok_or_else(|| format!("unknown period unit \"{unit}\" (second, minute, hour or day)"))?;
    multiplier
        .checked_mul(secs)
        .filter(|total| *total <= MAX_PERIOD_SECS)
        .ok_or_else(|| "the period must not exceed 10 years".to_owned())
}

fn unit_seconds(unit: &str) -> Option<u64> {
    let singular = unit.strip_suffix(['s', 'S']).unwrap_or(unit);
    [
        ("second", 1),
        ("minute", 60),
        ("hour", 3_600),
        ("day", 86_400),
    ]
    .into_iter()
    .find(|(name, _)| singular.eq_ignore_ascii_case(name))
    .map(|(_, secs)| secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Limit {
        let limits = parse_limits(text).unwrap();
        assert_eq!(limits.len(), 1, "{text}");
        limits[0]
    }

    #[test]
    fn parses_per_and_slash_forms() {
        assert_eq!(one("5 per minute"), Limit::new(5, 60));
        assert_eq!(one("100/hour"), Limit::new(100, 3_600));
        assert_eq!(one("1 per second"), Limit::new(1, 1));
        assert_eq!(one("7/day"), Limit::new(7, 86_400));
        assert_eq!(one("  3  PER   Hour "), Limit::new(3, 3_600));
        assert_eq!(one("3 / minute"), Limit::new(3, 60));
    }

    #[test]
    fn parses_plural_and_multiplier() {
        assert_eq!(one("10 per 5 minutes"), Limit::new(10, 300));
        assert_eq!(one("2 per seconds"), Limit::new(2, 1));
        assert_eq!(one("10/2 hours"), Limit::new(10, 7_200));
        assert_eq!(one("4 per 1 day"), Limit::new(4, 86_400));
        assert_eq!(one("4 per 3 DAYS"), Limit::new(4, 259_200));
    }

    #[test]
    fn parses_several_items() {
        let expected = vec![Limit::new(50, 3_600), Limit::new(200, 86_400)];
        assert_eq!(parse_limits("50 per hour;200 per day").unwrap(), expected);
        assert_eq!(parse_limits("50/hour, 200/day").unwrap(), expected);
        assert_eq!(parse_limits("1/second;2/minute,3/hour").unwrap().len(), 3);
    }

    #[test]
    fn rejects_invalid_syntax() {
        for bad in [
            "",
            "   ",
            "5",
            "per minute",
            "5 per",
            "5 minute",
            "five per minute",
            "-5 per minute",
            "+5 per minute",
            "5.5 per minute",
            "5 per week",
            "5 per month",
            "5 per 0 minutes",
            "0 per minute",
            "5 per 2 3 minutes",
            "5 per minute;",
            ";5 per minute",
            "5 per minute;;6 per hour",
            "99999999999999999999999 per minute",
            "5 per 99999999999 days",
            "5 every minute",
            "5/",
            "/minute",
        ] {
            assert!(parse_limits(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn errors_name_the_item() {
        let err = parse_limits("5 per minute;5 per fortnight").unwrap_err();
        assert!(err.contains("5 per fortnight"), "{err}");
        assert!(err.contains("fortnight"), "{err}");
    }
}
