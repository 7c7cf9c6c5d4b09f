//! Keyward: a self-hosted OAuth 2.0 and OpenID Connect provider.
//!
//! `startup` builds the actix application from an [`state::AppState`]; the
//! binary (`main.rs`) and the integration tests both go through it.

pub mod accounts;
pub mod api;
pub mod api_keys;
pub mod batch;
pub mod client_cache;
pub mod clients;
pub mod config;
pub mod crypto;
pub mod db;
pub mod integrate;
pub mod issuance;
pub mod keyring;
pub mod maintenance;
pub mod metrics;
pub mod oauth;
pub mod oidc;
pub mod probe;
pub mod scopes;
pub mod setup;
pub mod signing;
pub mod site;
pub mod startup;
pub mod state;
pub mod store;
pub mod throttle;
pub mod timefmt;
pub mod web;
