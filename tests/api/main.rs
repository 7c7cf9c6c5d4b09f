//! The integration suite: one test binary (each file under tests/ would link a
//! separate one, which is slow), grouped like the routes it tests. Every test
//! gets its own database: a temporary SQLite file by default, or a fresh
//! PostgreSQL database when KEYWARD_TEST_DATABASE_URL=postgres://... is set.

#![allow(clippy::unwrap_used)]

mod admin;
mod api;
mod cli;
mod helpers;
mod layout;
mod ops;
mod pages;
mod protocol;
mod store;
