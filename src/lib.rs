//! Keyward: a self-hosted OAuth 2.0 and OpenID Connect provider.
//!
//! The folders are layers, and imports point down only:
//! - `cli` and `app` wire: the subcommands, configuration, the shared state,
//!   start-up and the background tasks;
//! - `web` and `api` speak HTTP: protocol endpoints, people's pages, the admin
//!   area, operations, and the admin JSON API;
//! - `oauth`, `oidc`, `idm` and `keys` decide: protocol rules, identity rules
//!   and the signing keys, over plain values;
//! - `store` and `db` persist;
//! - `crypto` and `util` are leaves.

pub mod api;
pub mod app;
pub mod cli;
pub mod crypto;
pub mod db;
pub mod idm;
pub mod keys;
pub mod oauth;
pub mod oidc;
pub mod store;
pub mod util;
pub mod web;
