//! The admin area's pages: dashboard, clients, keys, audit, scopes, users, settings.

mod area;
mod people;
mod settings;
