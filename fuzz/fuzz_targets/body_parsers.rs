//! Arbitrary bytes as a JSON request body into every body schema's parser (§1.6, §5):
//! never a panic, and every accepted value satisfies the rules it was checked against.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use warden::domain;

fn is_stripped(text: &str) -> bool {
    text.trim() == text
}

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(user) = domain::parse_user_create(&body) {
        let name = user.username.as_str();
        let len = name.chars().count();
        assert!((3..=80).contains(&len), "username length {len}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "username {name:?}"
        );
        let email = user.email.as_str();
        assert_eq!(email.matches('@').count(), 1, "email {email:?}");
        assert!(email.chars().count() <= 120, "email {email:?}");
        let password = user.password.as_str();
        assert!((8..=128).contains(&password.chars().count()));
        assert!(is_stripped(password));
        let first = user.first_name.as_str();
        assert!(
            !first.is_empty() && is_stripped(first),
            "first_name {first:?}"
        );
    }
    if let Ok(login) = domain::parse_login(&body) {
        assert!(!login.password.is_empty());
        assert_eq!(login.email.as_str().matches('@').count(), 1);
    }
    if let Ok(update) = domain::parse_user_update(&body) {
        let any = update.first_name.is_some()
            || update.middle_name.is_some()
            || update.last_name.is_some()
            || update.bio.is_some()
            || update.is_active.is_some();
        assert!(any, "an accepted update changes at least one field");
    }
    if let Ok(role) = domain::parse_role_create(&body) {
        let name = role.name.as_str();
        assert!(
            (2..=50).contains(&name.chars().count()),
            "role name {name:?}"
        );
        assert!(name.chars().all(|c| c == '_' || c.is_alphanumeric()));
        assert!((2..=100).contains(&role.display_name.chars().count()));
    }
    let _ = domain::parse_role_update(&body);
    if let Ok(assign) = domain::parse_role_assign(&body) {
        assert!((2..=50).contains(&assign.role_name.chars().count()));
    }
    if let Ok(grant) = domain::parse_permission_grant(&body) {
        assert!(grant.permission.contains(':'), "{:?}", grant.permission);
        assert!(is_stripped(&grant.permission));
    }
});
