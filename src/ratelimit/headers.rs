//! Response headers of a rate-limited route.

use http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};

use super::decision::Decision;

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, plus `Retry-After`
/// (= reset, at least 1) when the request is rejected. Only call it when the store
/// answered: on store failure the response carries no rate-limit headers.
pub fn headers_for(decision: &Decision) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = Vec::with_capacity(4);
    headers.push((RATELIMIT_LIMIT, HeaderValue::from(decision.limit)));
    headers.push((RATELIMIT_REMAINING, HeaderValue::from(decision.remaining)));
    headers.push((RATELIMIT_RESET, HeaderValue::from(decision.reset_secs)));
    if !decision.allowed {
        headers.push((RETRY_AFTER, HeaderValue::from(decision.reset_secs.max(1))));
    }
    headers
}

/// Inserts [`headers_for`] into a response's headers, replacing earlier values.
pub fn apply_headers(decision: &Decision, headers: &mut HeaderMap) {
    for (name, value) in headers_for(decision) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_text(headers: &[(HeaderName, HeaderValue)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn allowed_has_three_headers() {
        let d = Decision {
            allowed: true,
            limit: 50,
            remaining: 49,
            reset_secs: 3600,
        };
        assert_eq!(
            as_text(&headers_for(&d)),
            [
                ("ratelimit-limit".into(), "50".into()),
                ("ratelimit-remaining".into(), "49".into()),
                ("ratelimit-reset".into(), "3600".into()),
            ]
        );
    }

    #[test]
    fn rejected_adds_retry_after() {
        let d = Decision {
            allowed: false,
            limit: 5,
            remaining: 0,
            reset_secs: 42,
        };
        let mut map = HeaderMap::new();
        apply_headers(&d, &mut map);
        assert_eq!(map.len(), 4);
        assert_eq!(map["RateLimit-Limit"], "5");
        assert_eq!(map["RateLimit-Remaining"], "0");
        assert_eq!(map["RateLimit-Reset"], "42");
        assert_eq!(map["Retry-After"], "42");
    }

    #[test]
    fn retry_after_is_at_least_one() {
        let d = Decision {
            allowed: false,
            limit: 5,
            remaining: 0,
            reset_secs: 0,
        };
        let headers = headers_for(&d);
        assert_eq!(headers[3].1, "1");
    }
}
