//! The operator's maintenance commands behind the CLI: checking the audit chain,
//! backing up and restoring the database. Each returns what to print, or why it failed.

pub mod audit;
pub mod backup;
pub mod sqlite_backup;
