//! The state every handler shares, injected as `web::Data<AppState>`.

use std::sync::Arc;

use crate::config::Config;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// The page templates, compiled into the binary and parsed once.
    pub templates: &'static tera::Tera,
}
