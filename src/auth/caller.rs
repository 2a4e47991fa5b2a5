//! The authenticated caller, taken from the `Authorization: Bearer` access token.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use crate::auth::jwt::TokenIssuer;
use crate::domain::ids::{ApiKeyId, OrganizationId, UserId};
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    User(UserId),
    ApiKey(ApiKeyId),
}

impl Subject {
    pub fn to_claim(self) -> String {
        match self {
            Subject::User(id) => format!("user:{id}"),
            Subject::ApiKey(id) => format!("api_key:{id}"),
        }
    }

    pub fn from_claim(s: &str) -> Option<Self> {
        if let Some(id) = s.strip_prefix("user:") {
            return id.parse().ok().map(Subject::User);
        }
        s.strip_prefix("api_key:")
            .and_then(|id| id.parse().ok())
            .map(Subject::ApiKey)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub subject: Subject,
    pub organization_id: OrganizationId,
    pub org_kind: OrgKind,
    pub role: Role,
}

impl Caller {
    pub fn user_id(&self) -> Option<UserId> {
        match self.subject {
            Subject::User(id) => Some(id),
            Subject::ApiKey(_) => None,
        }
    }

    pub fn api_key_id(&self) -> Option<ApiKeyId> {
        match self.subject {
            Subject::ApiKey(id) => Some(id),
            Subject::User(_) => None,
        }
    }

    pub fn is_operator(&self) -> bool {
        self.org_kind == OrgKind::Operator
    }

    pub fn from_request_sync(req: &HttpRequest) -> Result<Self, ApiError> {
        let issuer = req
            .app_data::<web::Data<TokenIssuer>>()
            .ok_or_else(|| ApiError::internal("token issuer not configured"))?;
        let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized("an Authorization: Bearer token is required".into())
        })?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        let claims = issuer.verify(token)?;
        let subject = Subject::from_claim(&claims.sub).ok_or_else(|| {
            ApiError::Unauthorized("the access token has an unknown subject".into())
        })?;
        let organization_id = claims.org.parse().map_err(|_| {
            ApiError::Unauthorized("the access token has an unknown organisation".into())
        })?;
        Ok(Caller {
            subject,
            organization_id,
            org_kind: claims.kind,
            role: claims.role,
        })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::from_request_sync(req))
    }
}
