//! OAuth 2.0 protocol rules as plain functions over plain values, so they are
//! tested without a server or a database.

pub mod authorize;
pub mod client_auth;
pub mod client_cache;
pub mod error;
pub mod issue;
pub mod pkce;
pub mod redirect_uri;
pub mod scope;
pub mod token;
