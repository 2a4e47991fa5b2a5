//! Who is calling: passwords, JWT access tokens, rotating refresh tokens, API keys, the
//! [`Caller`] extractor and the one [`policy`] every handler asks.

pub mod caller;
pub mod jwt;
pub mod password;
pub mod policy;
pub mod secret_token;

pub use caller::{Caller, Subject};
pub use policy::{Action, ClientRecord, Resource, SheetAccess, authorize};
