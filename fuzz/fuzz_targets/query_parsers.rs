//! Arbitrary query strings into the list-query parsers and arbitrary path text into the
//! `{user_id}` parser (§1.6.2, §1.12): never a panic; accepted pages are in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::domain;

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(data).into_owned().collect();
    if let Ok(query) = domain::parse_user_list_query(&pairs) {
        assert!(query.page.page >= 1 && (1..=100).contains(&query.page.per_page));
        assert!(query.page.offset() >= 0 && query.page.limit() >= 1);
    }
    if let Ok(query) = domain::parse_role_list_query(&pairs) {
        assert!(query.page.page >= 1 && (1..=100).contains(&query.page.per_page));
    }
    if let Ok(query) = domain::parse_permission_list_query(&pairs) {
        assert!(query.page.page >= 1 && (1..=100).contains(&query.page.per_page));
        let _ = query.page.total_pages(u64::MAX);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = domain::parse_user_id(text);
    }
});
