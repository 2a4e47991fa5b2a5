//! Users: roles, e-mail addresses, display names and the password policy.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's role inside its organisation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// reads only
    Viewer,
    /// does the organisation's work
    Staff,
    /// also manages the organisation's users and API keys
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Staff, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| "must be one of admin, staff, viewer".to_owned())
    }
}

/// An e-mail address used as a login name; compared case-insensitively, so stored in
/// lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        let bad = || Err("must be an e-mail address such as name@example.jp".to_owned());
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad();
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad();
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return bad();
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(s: &str) -> Result<Self, String> {
        let n = s.chars().count();
        if n < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if n > 128 {
            return Err("must be at most 128 characters".into());
        }
        let mut chars = s.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err("must not repeat one character".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Office@Demo.Example ").unwrap().as_str(),
            "office@demo.example"
        );
        for bad in [
            "", "a", "a@", "@b.jp", "a@b", "a@.jp", "a b@c.jp", "a@b..jp", "a@b@c.jp",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(NewPassword::parse("demo-pass-2026").is_ok());
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa").is_err());
        assert!(!format!("{:?}", NewPassword::parse("demo-pass-2026").unwrap()).contains("demo"));
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Admin > Role::Staff && Role::Staff > Role::Viewer);
    }
}

/// The lock after `failures` failed logins in a row: none below `max_failures`, then
/// `base_secs`, doubling with each further failure, capped at one hour.
pub fn lockout_until(
    failures: i32,
    max_failures: i32,
    base_secs: i64,
    now: chrono::NaiveDateTime,
) -> Option<chrono::NaiveDateTime> {
    if failures < max_failures {
        return None;
    }
    let doublings = u32::try_from(failures - max_failures).unwrap_or(0).min(12);
    let secs = base_secs.saturating_mul(1i64 << doublings).min(3600);
    Some(now + chrono::Duration::seconds(secs))
}

#[cfg(test)]
mod lockout_tests {
    use super::lockout_until;

    #[test]
    fn the_lock_starts_at_the_limit_and_doubles_up_to_an_hour() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let secs = |f| lockout_until(f, 5, 60, now).map(|t| (t - now).num_seconds());
        assert_eq!(secs(4), None);
        assert_eq!(secs(5), Some(60));
        assert_eq!(secs(6), Some(120));
        assert_eq!(secs(7), Some(240));
        assert_eq!(secs(30), Some(3600));
    }
}
