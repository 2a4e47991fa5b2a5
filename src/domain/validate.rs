//! Collects field errors across a whole request so the caller learns every problem at
//! once, not one per round trip.

use crate::error::{ApiError, FieldError};

#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of a parse under `field` and returns the value if it parsed.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// Like [`Fields::check`] for an optional input: absent stays absent.
    pub fn check_opt<T, I>(
        &mut self,
        field: &str,
        input: Option<I>,
        parse: impl FnOnce(I) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match input {
            None => Some(None),
            Some(i) => self.check(field, parse(i)).map(Some),
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Unwraps the values a [`Fields`] collected after `finish` succeeded. `finish` has
/// already turned every `None` into a field error, so `None` here would be a bug.
pub fn collected<T>(v: Option<T>) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::internal("a checked field had no value"))
}

/// A trimmed, non-empty text of at most `max` characters without control characters.
pub fn text(input: &str, max: usize) -> Result<String, String> {
    let t = input.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_field_errors_are_reported_together() {
        let mut f = Fields::new();
        f.check::<()>("a", Err("bad".into()));
        f.check::<()>("b", Err("worse".into()));
        match f.finish() {
            Err(ApiError::Validation(errors)) => assert_eq!(errors.len(), 2),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  ひだまり ", 10).unwrap(), "ひだまり");
        assert!(text("   ", 10).is_err());
        assert!(text("あいうえおか", 5).is_err());
        assert!(text("a\u{0007}b", 5).is_err());
    }
}
