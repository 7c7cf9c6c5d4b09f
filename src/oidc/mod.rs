//! OpenID Connect: the published metadata documents.

pub mod claims;
pub mod discovery;
