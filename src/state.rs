//! The state every handler shares, injected as `web::Data<AppState>`.

use std::sync::Arc;

use crate::config::Config;
use crate::db::Db;
use crate::keyring::KeyRing;
use crate::oidc::discovery::Publisher;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    /// The page templates, compiled into the binary and parsed once.
    pub templates: &'static tera::Tera,
    /// Signing keys, parsed once; swapped on rotation.
    pub keys: Arc<KeyRing>,
    /// The discovery documents, rendered once per change.
    pub published: Arc<Publisher>,
    /// Set once setup is known to be complete (it never becomes incomplete).
    pub setup_complete: Arc<std::sync::atomic::AtomicBool>,
    /// Encrypts the session cookies (shared by all instances).
    pub session_key: actix_web::cookie::Key,
}
