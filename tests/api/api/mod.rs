//! The admin JSON API, every response checked against its OpenAPI document.

mod admin_api;
