//! `sumai-link audit verify`: seals what the servers have not sealed yet, then walks the
//! chain from its anchor to its head.

use crate::config::Settings;
use crate::db::audit_chain::{self, VerifyError};
use crate::startup::open_database;

/// Why verification did not say "intact".
#[derive(Debug, thiserror::Error)]
pub enum AuditCheckError {
    /// The chain is broken: a record was changed or deleted (exit status 1).
    #[error("{0}")]
    Broken(String),
    /// The check could not run (exit status 2).
    #[error("{0}")]
    Failed(String),
}

pub async fn verify(settings: &Settings) -> Result<String, AuditCheckError> {
    let db = open_database(settings)
        .await
        .map_err(|e| AuditCheckError::Failed(e.to_string()))?;
    let sealed = audit_chain::seal_all(&db)
        .await
        .map_err(|e| AuditCheckError::Failed(format!("sealing: {e}")))?;
    let report = tokio::task::spawn_blocking(move || {
        let mut conn = db
            .get()
            .map_err(|e| AuditCheckError::Failed(format!("database: {e}")))?;
        audit_chain::verify(&mut conn).map_err(|e| match e {
            VerifyError::Database(e) => AuditCheckError::Failed(format!("database: {e}")),
            broken => AuditCheckError::Broken(broken.to_string()),
        })
    })
    .await
    .map_err(|e| AuditCheckError::Failed(e.to_string()))??;
    Ok(format!(
        "audit log intact: {} records checked (seq {}..={}), head {}, {} sealed now, {} unsealed",
        report.checked,
        report.anchor_seq + 1,
        report.head_seq,
        report.head_hash,
        sealed,
        report.unsealed
    ))
}
