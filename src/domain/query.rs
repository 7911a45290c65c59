//! Query strings of the list routes. Query pairs arrive in request order; the first occurrence of a key wins and unknown
//! keys are ignored.

use super::ValidationErrors;
use super::coerce::{check_at_least_one, check_at_most_hundred, query_bool, query_int};
use super::page::Page;
use super::rules::{FieldError, without_nul};

/// `GET /api/v1/users/` query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserListQuery {
    pub page: Page,
    pub include_deleted: bool,
}

/// `GET /api/v1/admin/roles/` query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleListQuery {
    pub include_permissions: bool,
    pub include_system: bool,
    pub page: Page,
}

/// `GET /api/v1/admin/permissions/` query; an empty `resource` means no filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionListQuery {
    pub resource: Option<String>,
    pub page: Page,
}

/// Reads query parameters, recording one error per failing key.
struct QueryReader<'a> {
    pairs: &'a [(String, String)],
    errors: ValidationErrors,
}

impl<'a> QueryReader<'a> {
    fn new(pairs: &'a [(String, String)]) -> Self {
        Self {
            pairs,
            errors: ValidationErrors::new(),
        }
    }

    fn first(&self, key: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    fn parse<T>(
        &mut self,
        key: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        let Some(raw) = self.first(key) else {
            return Some(default);
        };
        parse(raw)
            .map_err(|error| self.errors.insert(key.to_owned(), error.into_message()))
            .ok()
    }

    fn page(&mut self, default_per_page: u64) -> Option<Page> {
        let page = self.parse("page", 1, |raw| {
            query_int(raw).and_then(check_at_least_one).map(to_u64)
        });
        let per_page = self.parse("per_page", default_per_page, |raw| {
            query_int(raw)
                .and_then(check_at_least_one)
                .and_then(check_at_most_hundred)
                .map(to_u64)
        });
        Some(Page {
            page: page?,
            per_page: per_page?,
        })
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, ValidationErrors> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.errors),
        }
    }
}

/// Bounds checks ran first, so the value is positive; `unsigned_abs` avoids a fallible cast.
fn to_u64(value: i64) -> u64 {
    value.unsigned_abs()
}

/// Parses `page`, `per_page` (default 20) and `include_deleted` (default false).
pub fn parse_user_list_query(
    pairs: &[(String, String)],
) -> Result<UserListQuery, ValidationErrors> {
    let mut reader = QueryReader::new(pairs);
    let page = reader.page(20);
    let include_deleted = reader.parse("include_deleted", false, query_bool);
    let query = page
        .zip(include_deleted)
        .map(|(page, include_deleted)| UserListQuery {
            page,
            include_deleted,
        });
    reader.finish(query)
}

/// Parses `include_permissions` (false), `include_system` (true), `page`, `per_page` (20).
pub fn parse_role_list_query(
    pairs: &[(String, String)],
) -> Result<RoleListQuery, ValidationErrors> {
    let mut reader = QueryReader::new(pairs);
    let include_permissions = reader.parse("include_permissions", false, query_bool);
    let include_system = reader.parse("include_system", true, query_bool);
    let page = reader.page(20);
    let query = match (include_permissions, include_system, page) {
        (Some(include_permissions), Some(include_system), Some(page)) => Some(RoleListQuery {
            include_permissions,
            include_system,
            page,
        }),
        _ => None,
    };
    reader.finish(query)
}

/// Parses `resource` (empty = no filter), `page` and `per_page` (default 50).
pub fn parse_permission_list_query(
    pairs: &[(String, String)],
) -> Result<PermissionListQuery, ValidationErrors> {
    let mut reader = QueryReader::new(pairs);
    let resource = reader.parse("resource", None, |raw| {
        without_nul(raw).map(|text| (!text.is_empty()).then(|| text.to_owned()))
    });
    let page = reader.page(50);
    let query = resource
        .zip(page)
        .map(|(resource, page)| PermissionListQuery { resource, page });
    reader.finish(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn page(page: u64, per_page: u64) -> Page {
        Page { page, per_page }
    }

    #[test]
    fn user_lists_default_to_the_first_page_of_twenty() {
        let query = parse_user_list_query(&[]);
        assert_eq!(
            query,
            Ok(UserListQuery {
                page: page(1, 20),
                include_deleted: false
            })
        );
    }

    #[test]
    fn the_first_occurrence_of_a_parameter_wins_and_unknown_ones_are_ignored() {
        let query = parse_user_list_query(&pairs(&[
            ("per_page", "5"),
            ("per_page", "500"),
            ("include_deleted", "YES"),
            ("x", "y"),
        ]));
        assert_eq!(
            query,
            Ok(UserListQuery {
                page: page(1, 5),
                include_deleted: true
            })
        );
    }

    #[test]
    fn every_failing_parameter_is_reported() {
        let found = parse_user_list_query(&pairs(&[
            ("page", "0"),
            ("per_page", "101"),
            ("include_deleted", "maybe"),
        ]));
        assert_eq!(
            found,
            Err(ValidationErrors::from([
                (
                    "page".into(),
                    "Input should be greater than or equal to 1".into()
                ),
                (
                    "per_page".into(),
                    "Input should be less than or equal to 100".into()
                ),
                (
                    "include_deleted".into(),
                    "Input should be a valid boolean, unable to interpret input".into()
                ),
            ]))
        );
    }

    #[test]
    fn unparsable_integers_fail_before_their_bounds() {
        let found = parse_user_list_query(&pairs(&[("page", "abc"), ("per_page", "0")]));
        assert_eq!(
            found,
            Err(ValidationErrors::from([
                (
                    "page".into(),
                    "Input should be a valid integer, unable to parse string as an integer".into()
                ),
                (
                    "per_page".into(),
                    "Input should be greater than or equal to 1".into()
                ),
            ]))
        );
        let huge = parse_user_list_query(&pairs(&[("page", " 9223372036854775807 ")]));
        assert_eq!(huge.map(|q| q.page.page), Ok(i64::MAX as u64));
    }

    #[test]
    fn role_lists_include_system_roles_by_default() {
        let query = parse_role_list_query(&pairs(&[("include_permissions", "1")]));
        assert_eq!(
            query,
            Ok(RoleListQuery {
                include_permissions: true,
                include_system: true,
                page: page(1, 20),
            })
        );
        let found = parse_role_list_query(&pairs(&[("include_system", " no")]));
        assert_eq!(
            found.err().unwrap_or_default()["include_system"],
            "Input should be a valid boolean, unable to interpret input"
        );
    }

    #[test]
    fn permission_lists_default_to_fifty_and_treat_an_empty_resource_as_no_filter() {
        let query = parse_permission_list_query(&pairs(&[("resource", "")]));
        assert_eq!(
            query,
            Ok(PermissionListQuery {
                resource: None,
                page: page(1, 50)
            })
        );
        let query = parse_permission_list_query(&pairs(&[("resource", "users"), ("page", "2")]));
        assert_eq!(
            query,
            Ok(PermissionListQuery {
                resource: Some("users".into()),
                page: page(2, 50)
            })
        );
        let found = parse_permission_list_query(&pairs(&[("per_page", "-1")]));
        assert_eq!(
            found.err().unwrap_or_default()["per_page"],
            "Input should be greater than or equal to 1"
        );
    }
}
