//! OpenID Connect: the published metadata documents.

pub mod discovery;
