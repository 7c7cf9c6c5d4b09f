//! OpenID Connect rules: the claims a user releases, the ID token's claim
//! set, and the metadata documents (rendering only; app::published serves
//! them).

pub mod claims;
pub mod discovery;
pub mod id_token;
