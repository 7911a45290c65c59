//! The pagination `meta` of the page-numbered list routes.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Page;

/// One page of a numbered listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
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
