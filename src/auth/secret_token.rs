//! Opaque secrets handed to clients: refresh tokens and API keys. They are random, so a
//! fast SHA-256 is enough to store refresh tokens; API keys also get Argon2 because they
//! live long.

use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    Ok(hex::encode(buf))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// API keys look like `slk_<prefix>_<secret>`: the prefix finds the row, the secret is
/// checked against its Argon2 hash, and the `slk_` marker lets secret scanners spot a
/// leaked key.
pub struct ApiKeyParts<'a> {
    pub prefix: &'a str,
    pub secret: &'a str,
}

pub const API_KEY_MARKER: &str = "slk_";

pub fn new_api_key() -> Result<(String, String, String), ApiError> {
    let prefix = random_hex(6)?;
    let secret = random_hex(24)?;
    Ok((format!("{API_KEY_MARKER}{prefix}_{secret}"), prefix, secret))
}

pub fn split_api_key(key: &str) -> Option<ApiKeyParts<'_>> {
    let rest = key.trim().strip_prefix(API_KEY_MARKER)?;
    let (prefix, secret) = rest.split_once('_')?;
    let hex_of = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of(prefix, 12) && hex_of(secret, 48)).then_some(ApiKeyParts { prefix, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_api_key_splits_back_into_its_parts() {
        let (key, prefix, secret) = new_api_key().unwrap();
        let parts = split_api_key(&key).unwrap();
        assert_eq!(parts.prefix, prefix);
        assert_eq!(parts.secret, secret);
    }

    #[test]
    fn malformed_api_keys_are_refused() {
        for bad in [
            "",
            "slk_",
            "slk_abc_def",
            "xyz_0123456789ab_00",
            "slk_0123456789ab",
        ] {
            assert!(split_api_key(bad).is_none(), "{bad}");
        }
    }
}
