//! Password and API-key secret hashing with Argon2id (the crate's defaults: 19 MiB, two
//! passes), stored as PHC strings so parameters can change without a migration.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::ApiError;

// Each hash or check takes Argon2's 19 MiB working memory on the blocking thread that
// runs it; glibc would keep it in that thread's arena, so it is handed back at once.

pub fn hash(secret: &str) -> Result<String, ApiError> {
    let out = Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")));
    crate::memory::release_free_memory();
    out
}

pub fn verify(secret: &str, phc: &str) -> bool {
    let ok = match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    };
    crate::memory::release_free_memory();
    ok
}

/// Verifying against this when the account does not exist keeps the answer time the
/// same, so response times do not reveal which e-mail addresses have accounts.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-at-all").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("demo-pass-2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("demo-pass-2026", &h));
        assert!(!verify("demo-pass-2027", &h));
        assert!(!verify("demo-pass-2026", "garbage"));
    }

    #[test]
    fn two_hashes_of_one_password_differ() {
        assert_ne!(
            hash("same-password").unwrap(),
            hash("same-password").unwrap()
        );
    }
}
