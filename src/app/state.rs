//! The state every handler shares, injected as `web::Data<AppState>`.

use std::sync::Arc;

use crate::app::config::Config;
use crate::app::published::Publisher;
use crate::db::batch::Batcher;
use crate::db::Db;
use crate::keys::ring::KeyRing;
use crate::oauth::client_cache::ClientCache;
use crate::store::tokens::{self, Lookup, Token};

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
    /// Clients for the token endpoint's hot path (checked by revision on use).
    pub clients: Arc<ClientCache>,
    /// Stores client-credentials tokens in batches: (token, the client
    /// revision it was decided on) in, whether it was stored out.
    pub token_writer: Batcher<(Token, i64), bool>,
    /// Looks tokens up for introspection in batches: (digest, asking client) in.
    pub token_reader: Batcher<(String, String), Lookup>,
    /// What /metrics reports.
    pub metrics: Arc<crate::app::metrics::Metrics>,
    /// Runs password checks, bounded, off the pool and the async workers.
    pub hashes: crate::crypto::hash_pool::HashPool,
}

/// What an [`AppState`] is built from; the rest it makes itself.
pub struct Parts {
    pub config: Config,
    pub db: Db,
    pub keys: Arc<KeyRing>,
    pub published: Arc<Publisher>,
    pub setup_complete: bool,
    pub session_key: actix_web::cookie::Key,
    /// The page templates, parsed once.
    pub templates: &'static tera::Tera,
}

impl AppState {
    /// Builds the state and starts its background writer (call it inside the
    /// runtime that serves).
    pub fn new(parts: Parts) -> Self {
        AppState {
            config: Arc::new(parts.config),
            token_writer: Batcher::start(
                parts.db.clone(),
                3,
                "store tokens",
                tokens::insert_machine_tokens,
            ),
            token_reader: Batcher::start(
                parts.db.clone(),
                3,
                "look up tokens",
                tokens::lookup_many,
            ),
            db: parts.db,
            templates: parts.templates,
            keys: parts.keys,
            published: parts.published,
            setup_complete: Arc::new(std::sync::atomic::AtomicBool::new(parts.setup_complete)),
            session_key: parts.session_key,
            clients: Arc::new(ClientCache::default()),
            metrics: Arc::default(),
            hashes: crate::crypto::hash_pool::HashPool::for_this_machine(),
        }
    }
}

impl AppState {
    /// Reloads the key ring and republishes the metadata on this instance at
    /// once after a change (the other instances follow within their sync
    /// interval). Blocking: call it inside a database unit of work.
    pub fn republish(&self, conn: &mut crate::db::DbConn) {
        if let Err(e) = crate::app::published::sync(
            conn,
            &self.keys,
            &self.published,
            self.config.issuer.as_deref(),
        ) {
            tracing::warn!(error = %e, "republishing after a change failed; the sync task will");
        }
    }
}
