//! OAuth 2.0 protocol rules. The decisions are plain functions over plain
//! values, unit-tested without a server or a database; the grants' `apply`
//! functions do the queries those decisions need, in one transaction.

pub mod authorize;
pub mod client_auth;
pub mod client_cache;
pub mod error;
pub mod grant;
pub mod introspect;
pub mod issue;
pub mod pkce;
pub mod redirect_uri;
pub mod request;
pub mod resource;
pub mod scope;
