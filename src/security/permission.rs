//! The permission check, with the wildcards `<resource>:*` and `*:*`.

/// `has(P)`: P itself, `*:*`, or `<resource>:*` for the text before P's first `:`.
pub fn has<S: AsRef<str>>(effective: &[S], permission: &str) -> bool {
    effective.iter().any(|held| {
        let held = held.as_ref();
        held == permission
            || held == "*:*"
            || permission
                .split_once(':')
                .is_some_and(|(resource, _)| held.strip_suffix(":*") == Some(resource))
    })
}

/// Any one of `required` (route permission lists are ANY).
pub fn has_any<S: AsRef<str>>(effective: &[S], required: &[&str]) -> bool {
    required.iter().any(|p| has(effective, p))
}

/// The members of `wanted` the holder of `effective` does not satisfy, sorted.
pub fn missing<S: AsRef<str>, W: AsRef<str>>(effective: &[S], wanted: &[W]) -> Vec<String> {
    let mut missing: Vec<String> = wanted
        .iter()
        .map(|w| w.as_ref())
        .filter(|w| !has(effective, w))
        .map(str::to_string)
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_follow_the_contract() {
        assert!(has(&["users:*"], "users:read"));
        assert!(has(&["*:*"], "users:*"));
        assert!(has(&["*:*"], "anything"));
        assert!(!has(&["users:read", "users:list"], "users:*"));
        assert!(!has(&["roles:*"], "users:read"));
        assert!(!has(&["users:*"], "users"));
    }

    #[test]
    fn missing_lists_unsatisfied_permissions_sorted() {
        assert_eq!(
            missing(&["users:read"], &["users:read", "roles:read", "*:*"]),
            vec!["*:*", "roles:read"]
        );
    }
}
