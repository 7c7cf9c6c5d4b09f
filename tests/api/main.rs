//! The integration suite: one test binary (each file under tests/ would link a
//! separate one, which is slow). Every test gets its own database: a temporary
//! SQLite file by default, or a fresh PostgreSQL database when
//! KEYWARD_TEST_DATABASE_URL=postgres://... is set.

mod admin;
mod admin_api;
mod admin_people;
mod admin_settings;
mod cli;
mod clients;
mod flows;
mod health;
mod helpers;
mod interop;
mod keys;
mod openapi_check;
mod pages;
mod resource;
mod store;
mod token;
