//! Pagination: validated page numbers and the SQL values derived from them.

/// A validated page request: `page ≥ 1`, `1 ≤ per_page ≤ 100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
}

impl Page {
    /// `(page - 1) * per_page`, saturating and clamped to `i64` so any page number, however
    /// large, becomes a valid SQL `OFFSET` that simply returns no rows.
    pub fn offset(&self) -> i64 {
        let offset = self.page.saturating_sub(1).saturating_mul(self.per_page);
        i64::try_from(offset).unwrap_or(i64::MAX)
    }

    /// `per_page` as an SQL `LIMIT`.
    pub fn limit(&self) -> i64 {
        i64::try_from(self.per_page).unwrap_or(i64::MAX)
    }

    /// `ceil(total / per_page)`, 0 when there are no rows.
    pub fn total_pages(&self, total: u64) -> u64 {
        total.div_ceil(self.per_page.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(page: u64, per_page: u64) -> Page {
        Page { page, per_page }
    }

    #[test]
    fn offsets_saturate_and_total_pages_round_up() {
        assert_eq!(page(1, 20).offset(), 0);
        assert_eq!(page(3, 20).offset(), 40);
        assert_eq!(page(u64::MAX, 100).offset(), i64::MAX);
        assert_eq!(page(i64::MAX as u64, 100).offset(), i64::MAX);
        assert_eq!(page(1, 20).limit(), 20);
        assert_eq!(page(1, 2).total_pages(5), 3);
        assert_eq!(page(1, 2).total_pages(4), 2);
        assert_eq!(page(1, 20).total_pages(0), 0);
    }
}
