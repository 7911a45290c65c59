//! Rate-limit policy (§6.1): the limit syntax and which limits apply to which route.

use http::Method;

/// Longest accepted period (10 years). Keeps `Instant + period` and Redis PEXPIRE
/// milliseconds far away from overflow, so the stores never need to panic.
pub const MAX_PERIOD_SECS: u64 = 10 * 366 * 86_400;

/// Route key of the login route; it has its own limit (`RATE_LIMIT_LOGIN`).
pub const LOGIN_ROUTE: &str = "POST /api/v1/auth/login";
/// Route key of the registration route; it has its own limit (`RATE_LIMIT_REGISTER`).
pub const REGISTER_ROUTE: &str = "POST /api/v1/auth/register";

/// Default of `RATE_LIMIT_DEFAULT`.
pub const DEFAULT_LIMITS: &str = "50 per hour;200 per day";
/// Default of `RATE_LIMIT_LOGIN`.
pub const DEFAULT_LOGIN_LIMITS: &str = "5 per minute";
/// Default of `RATE_LIMIT_REGISTER`.
pub const DEFAULT_REGISTER_LIMITS: &str = "60 per minute";

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

/// Parses the §6.1 syntax: items separated by `;` or `,`; each `<n> per <period>` or
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

/// The limits of every route (§6.1): login and register have their own, every other
/// rate-limited route uses the defaults. Per-route limits replace the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePolicy {
    pub default: Vec<Limit>,
    pub login: Vec<Limit>,
    pub register: Vec<Limit>,
}

impl Default for RoutePolicy {
    /// The §9.2 defaults, built directly so that no parsing (and no unwrap) is needed.
    fn default() -> Self {
        Self {
            default: vec![Limit::new(50, 3_600), Limit::new(200, 86_400)],
            login: vec![Limit::new(5, 60)],
            register: vec![Limit::new(60, 60)],
        }
    }
}

impl RoutePolicy {
    /// Limits for a route key as built by [`route_key`].
    pub fn limits_for(&self, route_key: &str) -> &[Limit] {
        match route_key {
            LOGIN_ROUTE => &self.login,
            REGISTER_ROUTE => &self.register,
            _ => &self.default,
        }
    }
}

/// `<METHOD> <route template>` (§6.2). HEAD shares GET's bucket because it is the same
/// resource; the caller passes the canonical (slashed-collection) template.
pub fn route_key(method: &Method, template: &str) -> String {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    format!("{method} {template}")
}

/// Whether a matched route is rate limited (§6.1). Only call it for requests that matched
/// a route and method: 404/405 are exempt, and so is every `OPTIONS`.
pub fn is_rate_limited(method: &Method, template: &str) -> bool {
    if method == Method::OPTIONS {
        return false;
    }
    template == "/"
        || template == "/reset-password"
        || template == "/verify-email"
        || template == "/api/v1/"
        || template.starts_with("/api/v1/auth/")
        || template.starts_with("/api/v1/users")
        || template.starts_with("/api/v1/admin/")
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

    #[test]
    fn defaults_match_their_text() {
        let policy = RoutePolicy::default();
        assert_eq!(policy.default, parse_limits(DEFAULT_LIMITS).unwrap());
        assert_eq!(policy.login, parse_limits(DEFAULT_LOGIN_LIMITS).unwrap());
        assert_eq!(
            policy.register,
            parse_limits(DEFAULT_REGISTER_LIMITS).unwrap()
        );
    }

    #[test]
    fn per_route_limits_replace_defaults() {
        let policy = RoutePolicy::default();
        assert_eq!(policy.limits_for(LOGIN_ROUTE), [Limit::new(5, 60)]);
        assert_eq!(policy.limits_for(REGISTER_ROUTE), [Limit::new(60, 60)]);
        assert_eq!(policy.limits_for("GET /api/v1/users/{user_id}").len(), 2);
        assert_eq!(policy.limits_for("GET /api/v1/auth/login").len(), 2);
    }

    #[test]
    fn route_key_counts_head_as_get() {
        let template = "/api/v1/users/{user_id}";
        assert_eq!(
            route_key(&Method::HEAD, template),
            "GET /api/v1/users/{user_id}"
        );
        assert_eq!(
            route_key(&Method::PUT, template),
            "PUT /api/v1/users/{user_id}"
        );
        assert_eq!(route_key(&Method::POST, "/api/v1/auth/login"), LOGIN_ROUTE);
    }

    #[test]
    fn exemptions() {
        for template in [
            "/",
            "/api/v1/",
            "/api/v1/auth/me",
            "/api/v1/users/",
            "/api/v1/admin/roles/",
        ] {
            assert!(is_rate_limited(&Method::GET, template), "{template}");
            assert!(!is_rate_limited(&Method::OPTIONS, template), "{template}");
        }
        for template in [
            "/health",
            "/api/v1/health",
            "/livez",
            "/readyz",
            "/metrics",
            "/openapi.json",
            "/docs",
            "/redoc",
        ] {
            assert!(!is_rate_limited(&Method::GET, template), "{template}");
        }
    }
}
