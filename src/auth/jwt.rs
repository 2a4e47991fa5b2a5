//! Short-lived access tokens: HS256 only (pinned), with exp, nbf, iat, iss, aud and sub
//! all required and checked.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::config::JwtSettings;
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;
use crate::error::ApiError;

const ALGORITHM: Algorithm = Algorithm::HS256;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// `user:<id>` or `api_key:<id>`
    pub sub: String,
    pub org: String,
    pub kind: OrgKind,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
}

pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl TokenIssuer {
    pub fn new(s: &JwtSettings) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&s.issuer]);
        validation.set_audience(&[&s.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(s.secret_bytes()),
            decoding: DecodingKey::from_secret(s.secret_bytes()),
            validation,
            issuer: s.issuer.clone(),
            audience: s.audience.clone(),
            access_ttl_secs: s.access_ttl_secs,
            refresh_ttl_secs: s.refresh_ttl_secs,
        }
    }

    pub fn issue(
        &self,
        sub: String,
        org: String,
        kind: OrgKind,
        role: Role,
    ) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub,
            org,
            kind,
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl_secs,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        encode(&Header::new(ALGORITHM), claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("jwt encode: {e}")))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    ErrorKind::ImmatureSignature => "the access token is not valid yet",
                    ErrorKind::InvalidAudience => "the access token is for another audience",
                    ErrorKind::InvalidIssuer => "the access token is from another issuer",
                    ErrorKind::MissingRequiredClaim(_) => "the access token lacks a required claim",
                    _ => "the access token is invalid",
                };
                ApiError::Unauthorized(why.into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretBox;

    fn issuer(secret: &str, ttl: i64) -> TokenIssuer {
        TokenIssuer::new(&JwtSettings {
            secret: SecretBox::new(Box::new(secret.as_bytes().to_vec())),
            issuer: "sumai-link".into(),
            audience: "sumai-link-api".into(),
            access_ttl_secs: ttl,
            refresh_ttl_secs: 86_400,
        })
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_verifies_with_its_own_key_only() {
        let t = issuer(SECRET, 900)
            .issue("user:x".into(), "o".into(), OrgKind::Landlord, Role::Admin)
            .unwrap();
        let claims = issuer(SECRET, 900).verify(&t).unwrap();
        assert_eq!(claims.kind, OrgKind::Landlord);
        assert!(
            issuer("another-secret-another-secret-12345", 900)
                .verify(&t)
                .is_err()
        );
    }

    #[test]
    fn expired_future_and_foreign_tokens_are_refused() {
        let i = issuer(SECRET, 900);
        let now = chrono::Utc::now().timestamp();
        let base = Claims {
            sub: "user:x".into(),
            org: "o".into(),
            kind: OrgKind::Council,
            role: Role::Viewer,
            iss: "sumai-link".into(),
            aud: "sumai-link-api".into(),
            exp: now + 600,
            nbf: now,
            iat: now,
            jti: "j".into(),
        };
        let cases = [
            Claims {
                exp: now - 60,
                ..base.clone()
            },
            Claims {
                nbf: now + 600,
                ..base.clone()
            },
            Claims {
                aud: "other".into(),
                ..base.clone()
            },
            Claims {
                iss: "other".into(),
                ..base.clone()
            },
        ];
        for c in cases {
            let t = i.sign(&c).unwrap();
            assert!(i.verify(&t).is_err(), "{c:?}");
        }
        assert!(i.verify(&i.sign(&base).unwrap()).is_ok());
    }

    #[test]
    fn a_token_signed_with_another_algorithm_is_refused() {
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({"sub":"user:x","org":"o","kind":"operator","role":"admin",
            "iss":"sumai-link","aud":"sumai-link-api","exp":now+600,"nbf":now,"iat":now,"jti":"j"});
        let t = encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(issuer(SECRET, 900).verify(&t).is_err());
    }
}
