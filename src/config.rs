//! Settings, loaded in layers — defaults, then an optional TOML file
//! (`SUMAI_CONFIG_FILE`), then `SUMAI_*` environment variables — and validated once at
//! start. Secrets are wrapped so they never print.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::Deserialize;

use crate::db::DatabaseUrl;
use crate::domain::rate_limit::Quota;
use crate::domain::user::{Email, NewPassword};
use crate::middleware::rate_limit::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug)]
pub struct Settings {
    pub bind: String,
    pub database_url: DatabaseUrl,
    pub db_pool_size: u32,
    pub jwt: JwtSettings,
    pub log_format: LogFormat,
    pub body_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub bootstrap_admin: Option<(Email, SecretString)>,
    pub demo_password: SecretString,
    pub login_max_failures: i32,
    pub login_lockout_secs: i64,
    /// GSI address-search URL; `None` switches geocoding off.
    pub geocoder_url: Option<String>,
    pub geocoder_timeout_ms: u64,
    /// How often the search index polls for changes made by other replicas.
    pub index_poll_ms: u64,
    /// The largest CSV body `POST /rentals/import` accepts (it is streamed to a temp
    /// file, not held in memory, and not bound by `body_limit_bytes`).
    pub import_max_bytes: u64,
    /// An open inquiry with no step for this many days is flagged as stalled.
    pub inquiry_stall_days: i64,
    /// An office whose month has this many days left or fewer without its meeting is
    /// warned (event `compliance.month_ending`, and a line in its dashboard).
    pub compliance_warn_days: u32,
    /// How often each replica's webhook worker looks for due deliveries.
    pub webhook_poll_ms: u64,
    /// How often each replica seals new audit records into the hash chain.
    pub audit_seal_ms: u64,
    /// Audit records older than this are dropped from the chain's start (5 years).
    pub audit_retention_days: i64,
    /// How long the answer to a request with an `Idempotency-Key` is replayed.
    pub idempotency_ttl_hours: i64,
    /// Rate limits on logins and the expensive endpoints.
    pub rate_limits: Limits,
    /// A request body that stops arriving for this long is cut off (408).
    pub body_idle_timeout_secs: u64,
}

#[derive(Debug)]
pub struct JwtSettings {
    pub secret: SecretBox<Vec<u8>>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

/// The file layer: every key optional, unknown keys rejected (a typo must not be
/// silently ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<String>,
    database_url: Option<String>,
    db_pool_size: Option<u32>,
    jwt_secret_file: Option<PathBuf>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    access_token_ttl_secs: Option<i64>,
    refresh_token_ttl_days: Option<i64>,
    log_format: Option<String>,
    body_limit_bytes: Option<usize>,
    shutdown_timeout_secs: Option<u64>,
    login_max_failures: Option<i32>,
    login_lockout_secs: Option<i64>,
    geocoder_url: Option<String>,
    geocoder_timeout_ms: Option<u64>,
    index_poll_ms: Option<u64>,
    import_max_bytes: Option<u64>,
    inquiry_stall_days: Option<i64>,
    compliance_warn_days: Option<i64>,
    webhook_poll_ms: Option<u64>,
    audit_seal_ms: Option<u64>,
    audit_retention_days: Option<i64>,
    idempotency_ttl_hours: Option<i64>,
    rate_limit_login: Option<String>,
    rate_limit_match: Option<String>,
    rate_limit_report: Option<String>,
    rate_limit_pdf: Option<String>,
    rate_limit_import: Option<String>,
    rate_limit_per_ip_factor: Option<u32>,
    trust_proxy: Option<bool>,
    body_idle_timeout_secs: Option<u64>,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/sumai.db";
pub const DEFAULT_DEMO_PASSWORD: &str = "demo-pass-2026";
/// 国土地理院 (GSI) address search.
pub const DEFAULT_GEOCODER_URL: &str = "https://msearch.gsi.go.jp/address-search/AddressSearch";
/// A CSV import of 1,000,000 rentals is about 400 MB.
pub const DEFAULT_IMPORT_MAX_BYTES: i64 = 512 * 1024 * 1024;
const MAX_IMPORT_MAX_BYTES: i64 = 8 * 1024 * 1024 * 1024;
/// Five years and the leap days in them: the records of a 障害福祉サービス are kept five
/// years, and the audit trail with them.
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 5 * 365 + 2;
/// Access tokens live at most 15 minutes; refresh tokens carry the session.
pub const MAX_ACCESS_TTL_SECS: i64 = 15 * 60;

impl Settings {
    /// Loads from the process environment.
    pub fn load() -> Result<Self, String> {
        Self::load_from(|k| std::env::var(k).ok())
    }

    /// Loads from any environment, so tests need not touch the process's.
    pub fn load_from(env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let file = match env("SUMAI_CONFIG_FILE") {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("SUMAI_CONFIG_FILE {path}: {e}"))?;
                toml::from_str::<FileSettings>(&text)
                    .map_err(|e| format!("SUMAI_CONFIG_FILE {path}: {e}"))?
            }
            None => FileSettings::default(),
        };
        let mut errors = Vec::new();
        let mut num = |key: &str, file_value: Option<i64>, default: i64| -> i64 {
            match env(key) {
                Some(v) => v.trim().parse().unwrap_or_else(|_| {
                    errors.push(format!("{key} must be a whole number, not {v:?}"));
                    default
                }),
                None => file_value.unwrap_or(default),
            }
        };
        let db_pool_size = num("SUMAI_DB_POOL_SIZE", file.db_pool_size.map(i64::from), 10);
        let access_ttl_secs = num(
            "SUMAI_ACCESS_TOKEN_TTL_SECS",
            file.access_token_ttl_secs,
            900,
        );
        let refresh_days = num(
            "SUMAI_REFRESH_TOKEN_TTL_DAYS",
            file.refresh_token_ttl_days,
            14,
        );
        let body_limit = num(
            "SUMAI_BODY_LIMIT_BYTES",
            file.body_limit_bytes.and_then(|b| i64::try_from(b).ok()),
            256 * 1024,
        );
        let shutdown = num(
            "SUMAI_SHUTDOWN_TIMEOUT_SECS",
            file.shutdown_timeout_secs
                .and_then(|b| i64::try_from(b).ok()),
            30,
        );
        let login_max_failures = num(
            "SUMAI_LOGIN_MAX_FAILURES",
            file.login_max_failures.map(i64::from),
            5,
        );
        let login_lockout_secs = num("SUMAI_LOGIN_LOCKOUT_SECS", file.login_lockout_secs, 60);
        let geocoder_timeout_ms = num(
            "SUMAI_GEOCODER_TIMEOUT_MS",
            file.geocoder_timeout_ms.and_then(|v| i64::try_from(v).ok()),
            3000,
        );
        let index_poll_ms = num(
            "SUMAI_INDEX_POLL_MS",
            file.index_poll_ms.and_then(|v| i64::try_from(v).ok()),
            500,
        );
        let import_max_bytes = num(
            "SUMAI_IMPORT_MAX_BYTES",
            file.import_max_bytes.and_then(|v| i64::try_from(v).ok()),
            DEFAULT_IMPORT_MAX_BYTES,
        );
        let inquiry_stall_days = num("SUMAI_INQUIRY_STALL_DAYS", file.inquiry_stall_days, 14);
        let compliance_warn_days = num("SUMAI_COMPLIANCE_WARN_DAYS", file.compliance_warn_days, 7);
        let webhook_poll_ms = num(
            "SUMAI_WEBHOOK_POLL_MS",
            file.webhook_poll_ms.and_then(|v| i64::try_from(v).ok()),
            2000,
        );
        let audit_seal_ms = num(
            "SUMAI_AUDIT_SEAL_MS",
            file.audit_seal_ms.and_then(|v| i64::try_from(v).ok()),
            1000,
        );
        let audit_retention_days = num(
            "SUMAI_AUDIT_RETENTION_DAYS",
            file.audit_retention_days,
            DEFAULT_AUDIT_RETENTION_DAYS,
        );
        let idempotency_ttl_hours = num(
            "SUMAI_IDEMPOTENCY_TTL_HOURS",
            file.idempotency_ttl_hours,
            24,
        );
        let per_ip_factor = num(
            "SUMAI_RATE_LIMIT_PER_IP_FACTOR",
            file.rate_limit_per_ip_factor.map(i64::from),
            4,
        );
        let body_idle_timeout_secs = num(
            "SUMAI_BODY_IDLE_TIMEOUT_SECS",
            file.body_idle_timeout_secs
                .and_then(|v| i64::try_from(v).ok()),
            15,
        );
        if !(50..=60_000).contains(&audit_seal_ms) {
            errors.push("SUMAI_AUDIT_SEAL_MS must be between 50 and 60000".into());
        }
        if !(30..=36_500).contains(&audit_retention_days) {
            errors.push("SUMAI_AUDIT_RETENTION_DAYS must be between 30 and 36500".into());
        }
        if !(1..=720).contains(&idempotency_ttl_hours) {
            errors.push("SUMAI_IDEMPOTENCY_TTL_HOURS must be between 1 and 720".into());
        }
        if !(1..=1000).contains(&per_ip_factor) {
            errors.push("SUMAI_RATE_LIMIT_PER_IP_FACTOR must be between 1 and 1000".into());
        }
        if !(1..=600).contains(&body_idle_timeout_secs) {
            errors.push("SUMAI_BODY_IDLE_TIMEOUT_SECS must be between 1 and 600".into());
        }
        let trust_proxy = match env("SUMAI_TRUST_PROXY").as_deref().map(str::trim) {
            None => file.trust_proxy.unwrap_or(false),
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => {
                errors.push(format!(
                    "SUMAI_TRUST_PROXY must be true or false, not {other:?}"
                ));
                false
            }
        };
        let mut quota = |key: &str, file_value: Option<String>, default: &str| {
            let raw = env(key)
                .or(file_value)
                .unwrap_or_else(|| default.to_owned());
            match raw.trim() {
                "off" => None,
                q => Quota::parse(q)
                    .map_err(|e| errors.push(format!("{key}: {e}, or off")))
                    .ok(),
            }
        };
        let rate_limits = Limits {
            login: quota("SUMAI_RATE_LIMIT_LOGIN", file.rate_limit_login, "30/min"),
            matches: quota("SUMAI_RATE_LIMIT_MATCH", file.rate_limit_match, "120/min"),
            report: quota("SUMAI_RATE_LIMIT_REPORT", file.rate_limit_report, "30/min"),
            pdf: quota("SUMAI_RATE_LIMIT_PDF", file.rate_limit_pdf, "60/min"),
            import: quota("SUMAI_RATE_LIMIT_IMPORT", file.rate_limit_import, "10/hour"),
            per_ip_factor: per_ip_factor.clamp(1, 1000) as u32,
            trust_proxy,
        };
        if !(50..=60_000).contains(&webhook_poll_ms) {
            errors.push("SUMAI_WEBHOOK_POLL_MS must be between 50 and 60000".into());
        }
        if !(1..=31).contains(&compliance_warn_days) {
            errors.push("SUMAI_COMPLIANCE_WARN_DAYS must be between 1 and 31".into());
        }
        if !(1..=365).contains(&inquiry_stall_days) {
            errors.push("SUMAI_INQUIRY_STALL_DAYS must be between 1 and 365".into());
        }
        if !(100..=30_000).contains(&geocoder_timeout_ms) {
            errors.push("SUMAI_GEOCODER_TIMEOUT_MS must be between 100 and 30000".into());
        }
        if !(50..=1000).contains(&index_poll_ms) {
            errors.push("SUMAI_INDEX_POLL_MS must be between 50 and 1000 (changes must reach every replica within 1 s)".into());
        }
        let geocoder_url = match env("SUMAI_GEOCODER_URL")
            .or(file.geocoder_url)
            .unwrap_or_else(|| DEFAULT_GEOCODER_URL.to_owned())
            .trim()
        {
            "" | "off" => None,
            u if u.starts_with("http://") || u.starts_with("https://") => Some(u.to_owned()),
            other => {
                errors.push(format!(
                    "SUMAI_GEOCODER_URL must be an http(s) URL or off, not {other:?}"
                ));
                None
            }
        };

        let bind = env("SUMAI_BIND")
            .or(file.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let url = env("DATABASE_URL")
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database_url = DatabaseUrl::parse(&url).inspect_err(|e| errors.push(e.clone()));
        if !(1..=200).contains(&db_pool_size) {
            errors.push("SUMAI_DB_POOL_SIZE must be between 1 and 200".into());
        }
        if !(30..=MAX_ACCESS_TTL_SECS).contains(&access_ttl_secs) {
            errors.push(format!(
                "SUMAI_ACCESS_TOKEN_TTL_SECS must be between 30 and {MAX_ACCESS_TTL_SECS}"
            ));
        }
        if !(1..=90).contains(&refresh_days) {
            errors.push("SUMAI_REFRESH_TOKEN_TTL_DAYS must be between 1 and 90".into());
        }
        if !(1024..=64 * 1024 * 1024).contains(&body_limit) {
            errors.push("SUMAI_BODY_LIMIT_BYTES must be between 1 KiB and 64 MiB".into());
        }
        if !(1024..=MAX_IMPORT_MAX_BYTES).contains(&import_max_bytes) {
            errors.push("SUMAI_IMPORT_MAX_BYTES must be between 1 KiB and 8 GiB".into());
        }
        if !(1..=20).contains(&login_max_failures) {
            errors.push("SUMAI_LOGIN_MAX_FAILURES must be between 1 and 20".into());
        }
        if !(1..=86_400).contains(&login_lockout_secs) {
            errors.push("SUMAI_LOGIN_LOCKOUT_SECS must be between 1 and 86400".into());
        }
        let log_format = match env("SUMAI_LOG_FORMAT")
            .or(file.log_format)
            .as_deref()
            .unwrap_or("text")
        {
            "json" => LogFormat::Json,
            "text" | "pretty" => LogFormat::Text,
            other => {
                errors.push(format!(
                    "SUMAI_LOG_FORMAT must be json or text, not {other:?}"
                ));
                LogFormat::Text
            }
        };
        let bootstrap_admin = match (
            env("SUMAI_BOOTSTRAP_ADMIN_EMAIL"),
            env("SUMAI_BOOTSTRAP_ADMIN_PASSWORD"),
        ) {
            (Some(e), Some(p)) => {
                let email = Email::parse(&e)
                    .map_err(|m| errors.push(format!("SUMAI_BOOTSTRAP_ADMIN_EMAIL {m}")));
                let pw = NewPassword::parse(&p)
                    .map_err(|m| errors.push(format!("SUMAI_BOOTSTRAP_ADMIN_PASSWORD {m}")));
                match (email, pw) {
                    (Ok(e), Ok(_)) => Some((e, SecretString::from(p))),
                    _ => None,
                }
            }
            (None, None) => None,
            _ => {
                errors.push(
                    "set both SUMAI_BOOTSTRAP_ADMIN_EMAIL and SUMAI_BOOTSTRAP_ADMIN_PASSWORD, or neither"
                        .into(),
                );
                None
            }
        };
        let demo_password = SecretString::from(
            env("SUMAI_DEMO_PASSWORD").unwrap_or_else(|| DEFAULT_DEMO_PASSWORD.to_owned()),
        );

        let secret = match (&database_url, load_jwt_secret(&env, file.jwt_secret_file)) {
            (_, Ok(s)) => Some(s),
            (_, Err(e)) => {
                errors.push(e);
                None
            }
        };
        let issuer = env("SUMAI_JWT_ISSUER")
            .or(file.jwt_issuer)
            .unwrap_or_else(|| "sumai-link".to_owned());
        let audience = env("SUMAI_JWT_AUDIENCE")
            .or(file.jwt_audience)
            .unwrap_or_else(|| "sumai-link-api".to_owned());

        match (errors.is_empty(), database_url, secret) {
            (true, Ok(database_url), Some(secret)) => Ok(Settings {
                bind,
                database_url,
                db_pool_size: db_pool_size as u32,
                jwt: JwtSettings {
                    secret,
                    issuer,
                    audience,
                    access_ttl_secs,
                    refresh_ttl_secs: refresh_days * 86_400,
                },
                log_format,
                body_limit_bytes: body_limit as usize,
                shutdown_timeout_secs: shutdown as u64,
                bootstrap_admin,
                demo_password,
                login_max_failures: login_max_failures as i32,
                login_lockout_secs,
                geocoder_url,
                geocoder_timeout_ms: geocoder_timeout_ms as u64,
                index_poll_ms: index_poll_ms as u64,
                import_max_bytes: import_max_bytes as u64,
                inquiry_stall_days,
                compliance_warn_days: compliance_warn_days as u32,
                webhook_poll_ms: webhook_poll_ms as u64,
                audit_seal_ms: audit_seal_ms as u64,
                audit_retention_days,
                idempotency_ttl_hours,
                rate_limits,
                body_idle_timeout_secs: body_idle_timeout_secs as u64,
            }),
            _ => Err(format!("invalid settings:\n  {}", errors.join("\n  "))),
        }
    }

    /// Where the service keeps local files (the SQLite database, a generated key).
    pub fn data_dir(&self) -> PathBuf {
        data_dir_of(&self.database_url)
    }
}

fn data_dir_of(url: &DatabaseUrl) -> PathBuf {
    match url {
        DatabaseUrl::Sqlite(path) => Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        DatabaseUrl::Postgres(_) => PathBuf::from("./data"),
    }
}

const MIN_SECRET_BYTES: usize = 32;

/// The JWT signing secret: `SUMAI_JWT_SECRET`, else the file named by
/// `SUMAI_JWT_SECRET_FILE`, else `./data/jwt.key`, made with 64 random bytes on first
/// start so that `serve` works on a fresh machine. Replicas must share one secret.
fn load_jwt_secret(
    env: &impl Fn(&str) -> Option<String>,
    file_setting: Option<PathBuf>,
) -> Result<SecretBox<Vec<u8>>, String> {
    if let Some(s) = env("SUMAI_JWT_SECRET") {
        if s.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "SUMAI_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        return Ok(SecretBox::new(Box::new(s.into_bytes())));
    }
    let explicit = env("SUMAI_JWT_SECRET_FILE")
        .map(PathBuf::from)
        .or(file_setting);
    let path = explicit.clone().unwrap_or_else(|| {
        let url = env("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        DatabaseUrl::parse(&url)
            .map(|u| data_dir_of(&u))
            .unwrap_or_else(|_| PathBuf::from("./data"))
            .join("jwt.key")
    });
    match std::fs::read(&path) {
        Ok(bytes) => {
            let trimmed: Vec<u8> = bytes.trim_ascii().to_vec();
            if trimmed.len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "{} must hold at least {MIN_SECRET_BYTES} bytes",
                    path.display()
                ));
            }
            Ok(SecretBox::new(Box::new(trimmed)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            let mut raw = [0u8; 64];
            getrandom::fill(&mut raw).map_err(|e| format!("no randomness: {e}"))?;
            let key = hex::encode(raw);
            write_private_file(&path, key.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(SecretBox::new(Box::new(key.into_bytes())))
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(contents)
}

impl JwtSettings {
    pub fn secret_bytes(&self) -> &[u8] {
        self.secret.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_follow_the_fixed_contract() {
        let s = Settings::load_from(env(&[("SUMAI_JWT_SECRET", SECRET)])).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite("./data/sumai.db".into())
        );
        assert_eq!(s.demo_password.expose_secret(), "demo-pass-2026");
        assert!(s.jwt.access_ttl_secs <= 900);
        assert_eq!(s.import_max_bytes, 512 * 1024 * 1024);
        assert_eq!(s.inquiry_stall_days, 14);
        assert_eq!(s.compliance_warn_days, 7);
        assert_eq!(s.webhook_poll_ms, 2000);
        assert_eq!(s.audit_seal_ms, 1000);
        assert_eq!(s.audit_retention_days, 1827);
        assert_eq!(s.idempotency_ttl_hours, 24);
        assert_eq!(s.rate_limits.login, Quota::parse("30/min").ok());
        assert_eq!(s.rate_limits.import, Quota::parse("10/hour").ok());
        assert!(!s.rate_limits.trust_proxy);
    }

    #[test]
    fn rate_limits_are_read_switched_off_or_refused() {
        let s = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_RATE_LIMIT_MATCH", "5/s"),
            ("SUMAI_RATE_LIMIT_PDF", "off"),
            ("SUMAI_TRUST_PROXY", "true"),
        ]))
        .unwrap();
        assert_eq!(s.rate_limits.matches, Quota::parse("5/s").ok());
        assert_eq!(s.rate_limits.pdf, None);
        assert!(s.rate_limits.trust_proxy);
        let err = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_RATE_LIMIT_LOGIN", "lots"),
        ]))
        .unwrap_err();
        assert!(err.contains("SUMAI_RATE_LIMIT_LOGIN"), "{err}");
    }

    #[test]
    fn the_import_limit_is_read_and_bounded() {
        let s = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_IMPORT_MAX_BYTES", "2048"),
        ]))
        .unwrap();
        assert_eq!(s.import_max_bytes, 2048);
        let err = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_IMPORT_MAX_BYTES", "10"),
        ]))
        .unwrap_err();
        assert!(err.contains("SUMAI_IMPORT_MAX_BYTES"), "{err}");
    }

    #[test]
    fn the_inquiry_stall_days_are_read_and_bounded() {
        let s = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_INQUIRY_STALL_DAYS", "30"),
        ]))
        .unwrap();
        assert_eq!(s.inquiry_stall_days, 30);
        let err = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_INQUIRY_STALL_DAYS", "0"),
        ]))
        .unwrap_err();
        assert!(err.contains("SUMAI_INQUIRY_STALL_DAYS"), "{err}");
    }

    #[test]
    fn the_compliance_warning_days_are_read_and_bounded() {
        let s = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_COMPLIANCE_WARN_DAYS", "31"),
        ]))
        .unwrap();
        assert_eq!(s.compliance_warn_days, 31);
        let err = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", SECRET),
            ("SUMAI_COMPLIANCE_WARN_DAYS", "32"),
        ]))
        .unwrap_err();
        assert!(err.contains("SUMAI_COMPLIANCE_WARN_DAYS"), "{err}");
    }

    #[test]
    fn every_bad_setting_is_reported_at_once() {
        let err = Settings::load_from(env(&[
            ("SUMAI_JWT_SECRET", "short"),
            ("SUMAI_DB_POOL_SIZE", "lots"),
            ("SUMAI_ACCESS_TOKEN_TTL_SECS", "3600"),
            ("SUMAI_LOG_FORMAT", "xml"),
            ("DATABASE_URL", "mysql://x"),
        ]))
        .unwrap_err();
        for needle in [
            "SUMAI_JWT_SECRET",
            "SUMAI_DB_POOL_SIZE",
            "TTL",
            "SUMAI_LOG_FORMAT",
            "mysql",
        ] {
            assert!(err.contains(needle), "{needle} missing from {err}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::load_from(env(&[("SUMAI_JWT_SECRET", SECRET)])).unwrap();
        assert!(!format!("{s:?}").contains(SECRET));
    }

    #[test]
    fn a_missing_key_file_is_created_once_and_then_reused() {
        let dir = std::env::temp_dir().join(format!("sumai-cfg-{}", uuid::Uuid::now_v7()));
        let url = format!("sqlite://{}/x.db", dir.display());
        let a = Settings::load_from(env(&[("DATABASE_URL", &url)])).unwrap();
        let b = Settings::load_from(env(&[("DATABASE_URL", &url)])).unwrap();
        assert_eq!(a.jwt.secret_bytes(), b.jwt.secret_bytes());
        assert!(a.jwt.secret_bytes().len() >= MIN_SECRET_BYTES);
        let _ = std::fs::remove_dir_all(dir);
    }
}
