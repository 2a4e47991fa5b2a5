//! Cursor pagination: `?limit=&cursor=`. The cursor is the last id of the previous page;
//! ids are UUID v7, so id order is creation order and pages stay stable under inserts.

use serde::Serialize;
use utoipa::ToSchema;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, crate::error::ApiError> {
        use crate::error::ApiError;
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest {
                slug: "invalid-parameter",
                detail: format!("limit must be between 1 and {MAX_LIMIT}"),
                field: Some("limit".into()),
            });
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(
                uuid::Uuid::parse_str(c)
                    .map_err(|_| ApiError::BadRequest {
                        slug: "invalid-parameter",
                        detail: "cursor is not one this API returned".into(),
                        field: Some("cursor".into()),
                    })?
                    .to_string(),
            ),
        };
        Ok(Self { limit, after })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says whether
    /// there is a next page.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id_of: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&id_of)
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_an_extra_row_has_a_cursor() {
        let p = Page::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next_cursor.as_deref(), Some("2"));
        let last = Page::from_rows(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn limits_outside_one_to_two_hundred_are_rejected() {
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(201), None).is_err());
        assert!(PageRequest::parse(Some(200), None).is_ok());
        assert!(PageRequest::parse(None, Some("nope")).is_err());
    }
}
