//! The pagination `meta` of the page-numbered list routes.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::views::SortedKeys;

use crate::domain::Page;
use crate::http::views::schema::{Count, Positive};

// One page of a numbered listing.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    #[schema(value_type = Positive, inline)]
    pub page: u64,
    #[schema(value_type = Positive, inline)]
    pub per_page: u64,
    #[schema(value_type = Count, inline)]
    pub total: u64,
    #[schema(value_type = Count, inline)]
    pub total_pages: u64,
}

impl SortedKeys for PageMeta {}

impl PageMeta {
    pub fn new(page: Page, total: u64) -> Self {
        Self {
            total,
            page: page.page,
            per_page: page.per_page,
            total_pages: page.total_pages(total),
        }
    }
}

/// The user list's `meta`: the page plus the item count and the API version, as the original
/// service answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserListMeta {
    pub api_version: &'static str,
    pub count: usize,
    // Flattened last: its keys (`page` …) all sort after `count`.
    #[serde(flatten)]
    pub page: PageMeta,
}

impl SortedKeys for UserListMeta {}
