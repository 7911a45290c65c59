//! The pagination `meta` of the page-numbered list routes.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Page;
use crate::http::views::schema::{Count, Positive};

// One page of a numbered listing.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    #[schema(value_type = Count, inline)]
    pub total: u64,
    #[schema(value_type = Positive, inline)]
    pub page: u64,
    #[schema(value_type = Positive, inline)]
    pub per_page: u64,
    #[schema(value_type = Count, inline)]
    pub total_pages: u64,
}

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
    pub count: usize,
    #[serde(flatten)]
    pub page: PageMeta,
    pub api_version: &'static str,
}
