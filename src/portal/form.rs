//! A posted HTML form: `application/x-www-form-urlencoded` pairs, where a name may come
//! several times (a group of checkboxes), read as text so that a wrong number is the
//! form's field error, not a refused request.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::PortalError;
use crate::error::ApiError;

/// Larger form bodies are refused (the rental form is a few KB).
const LIMIT: usize = 64 * 1024;

#[derive(Debug, Default, Clone)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Self {
            pairs: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// The first value, untrimmed (passwords).
    pub fn raw(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// A non-empty value, or `None`.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|s| !s.is_empty())
    }

    /// Every non-empty value of `name` (a checkbox group).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// A checkbox: present means ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    pub fn csrf(&self) -> String {
        self.text("csrf_token")
    }

    /// The version of the object the page was drawn from (`version`; -1 when missing).
    pub fn version(&self) -> i32 {
        self.text("version").parse().unwrap_or(-1)
    }

    /// The posted version if it is still `current`'s, else 412: someone changed the
    /// object since this page was drawn.
    pub fn version_of(&self, current: i32) -> Result<i32, PortalError> {
        match self.version() {
            v if v == current => Ok(v),
            _ => Err(ApiError::PreconditionFailed.into()),
        }
    }
}

impl FromRequest for Form {
    type Error = PortalError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_form = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_form {
                return Err(ApiError::UnsupportedMediaType(
                    "a form is sent as application/x-www-form-urlencoded".into(),
                )
                .into());
            }
            let body = bytes.await.map_err(|_| ApiError::PayloadTooLarge(LIMIT))?;
            if body.len() > LIMIT {
                return Err(ApiError::PayloadTooLarge(LIMIT).into());
            }
            Ok(Form::parse(&body))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_a_group_and_values_are_decoded() {
        let f = Form::parse(
            "a=1&c=x&c=y&c=&name=%E5%B1%B1%E7%94%B0+%E4%B8%80%E9%83%8E&pw=+sp+".as_bytes(),
        );
        assert_eq!(f.text("a"), "1");
        assert_eq!(f.all("c"), vec!["x", "y"]);
        assert_eq!(f.text("name"), "山田 一郎");
        assert_eq!(f.raw("pw"), " sp ");
        assert!(f.ticked("c"));
        assert!(!f.ticked("missing"));
        assert_eq!(f.opt("missing"), None);
    }
}
