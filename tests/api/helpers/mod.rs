//! What the tests are written with: `TestApp::set_up()` and friends (app),
//! a database per test (db), the pages as a browser drives them (pages),
//! registered clients and the code flow (clients), the CLI runner (cli), and
//! the OpenAPI check (openapi).

pub mod app;
pub mod cli;
pub mod clients;
pub mod db;
pub mod openapi;
pub mod pages;

pub use app::*;
pub use cli::{json_of, keyward};
pub use clients::*;
pub use db::*;
pub use pages::*;
