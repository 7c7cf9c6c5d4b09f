//! What people see: sign-in, authorization and consent, the account page, the
//! portal and first-run setup.

pub mod account;
pub mod authorize;
pub mod login;
pub mod portal;
pub mod setup;
