//! Identity rules shared by the pages, the admin API and the CLI: accounts,
//! sign-in throttling, first-run setup, clients, scopes, site settings and
//! admin API keys.

pub mod accounts;
pub mod api_keys;
pub mod clients;
pub mod patterns;
pub mod scopes;
pub mod sessions;
pub mod setup;
pub mod sign_in;
pub mod site;
pub mod throttle;
