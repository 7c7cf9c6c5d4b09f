//! From configuration to a running server: open (or create) the database, apply
//! migrations, build the pool, bind, and serve.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::app::config::Config;
use crate::app::published::{self, Publisher};
use crate::app::state::AppState;
use crate::crypto::keys::KeyEncryptionKey;
use crate::db::{self, Db};
use crate::idm::setup;
use crate::keys::ring::{self, KeyRing};
use crate::store::settings;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};

/// Opens the database the configuration names (creating a missing PostgreSQL
/// database), applies pending migrations and returns the pool. Every failure is
/// one line that names its real cause.
pub fn prepare_database(config: &Config) -> Result<Db, db::ConnectError> {
    let mut conn = db::connect_or_create(&config.database_url)?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }
    drop(conn);
    Ok(Db::new(db::build_pool(
        &config.database_url,
        config.db_pool_size,
    )))
}

/// Loads the key ring and renders the metadata documents. A key that cannot
/// be opened (missing or wrong KEYWARD_KEY_ENCRYPTION_KEY, a corrupt row)
/// stops the start; nothing is written.
pub fn load_published(db: &Db, config: &Config) -> anyhow::Result<(Arc<KeyRing>, Arc<Publisher>)> {
    let mut conn = db.pool().get().context("opening a database connection")?;
    let kek = config.key_encryption_key.clone();
    let set = ring::load(&mut conn, kek.as_ref()).context("loading the signing keys")?;
    let ring = Arc::new(KeyRing::new(set, kek));
    let published = Arc::new(Publisher::default());
    expire_retired_keys(&mut conn);
    published::sync(&mut conn, &ring, &published, config.issuer.as_deref())
        .context("rendering the discovery documents")?;
    Ok((ring, published))
}

/// Revokes retired keys whose retention has ended (they leave the JWKS).
fn expire_retired_keys(conn: &mut crate::db::DbConn) {
    if let Err(e) = crate::keys::lifecycle::expire_retired(conn, crate::store::now()) {
        tracing::warn!(error = %e, "ending the retention of retired keys failed");
    }
}

/// Every `sync_interval_secs`, picks up key rotations and metadata changes
/// made by another instance or the CLI.
fn spawn_sync(state: AppState) {
    let every = std::time::Duration::from_secs(u64::from(state.config.sync_interval_secs));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let (keys, published) = (state.keys.clone(), state.published.clone());
            let issuer = state.config.issuer.clone();
            let result = state
                .db
                .run(move |conn| {
                    expire_retired_keys(conn);
                    published::sync(conn, &keys, &published, issuer.as_deref())
                        .map_err(|e| anyhow::anyhow!(e))
                })
                .await;
            match result {
                Ok(true) => tracing::info!("reloaded signing keys and metadata"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "syncing keys and metadata failed"),
            }
        }
    });
}

/// Where the stored cookie key says it is sealed with the key-encryption key.
const SEALED_PREFIX: &str = "aes256gcm:";
const SESSION_KEY_AAD: &[u8] = b"settings.session_key";

/// The key that signs session cookies: 64 random bytes made once and kept in
/// the settings table, so every instance reads every instance's cookies.
/// With `KEYWARD_KEY_ENCRYPTION_KEY` set it is kept sealed with that key
/// (a plain one from before is sealed on this start, once everything else has
/// opened); a sealed one without that key, or with the wrong one, stops the
/// start before anything is written. Returns the key and, when it must be
/// sealed, the value to store.
pub fn load_session_key(
    db: &Db,
    kek: Option<&KeyEncryptionKey>,
) -> anyhow::Result<(Key, Option<String>)> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut conn = db.pool().get().context("opening a database connection")?;
    let fresh = Key::generate();
    let fresh_value = match kek {
        Some(k) => format!(
            "{SEALED_PREFIX}{}",
            k.seal(SESSION_KEY_AAD, fresh.master())
                .context("sealing the session key")?
        ),
        None => engine.encode(fresh.master()),
    };
    settings::insert_if_absent(&mut conn, settings::SESSION_KEY, &fresh_value)
        .context("storing the session key")?;
    let stored = settings::get(&mut conn, settings::SESSION_KEY)
        .context("reading the session key")?
        .unwrap_or_default();
    let (bytes, reseal) = match (stored.strip_prefix(SEALED_PREFIX), kek) {
        (Some(sealed), Some(k)) => (
            k.open(SESSION_KEY_AAD, sealed).map_err(|_| {
                anyhow::anyhow!("the stored session key cannot be opened: KEYWARD_KEY_ENCRYPTION_KEY is not the key it was sealed with")
            })?,
            None,
        ),
        (Some(_), None) => anyhow::bail!(
            "the stored session key is sealed, but KEYWARD_KEY_ENCRYPTION_KEY is not set"
        ),
        (None, kek) => {
            let bytes = engine
                .decode(&stored)
                .context("the stored session key is not base64")?;
            let reseal = match kek {
                Some(k) => Some(format!(
                    "{SEALED_PREFIX}{}",
                    k.seal(SESSION_KEY_AAD, &bytes).context("sealing the session key")?
                )),
                None => None,
            };
            (bytes, reseal)
        }
    };
    let key = Key::try_from(bytes.as_slice())
        .map_err(|e| anyhow::anyhow!("the stored session key is unusable: {e}"))?;
    Ok((key, reseal))
}

/// The link that opens first-run setup, while setup is pending: a fresh
/// setup code (or KEYWARD_SETUP_CODE) on the issuer, or on the bound address.
pub fn setup_link(db: &Db, config: &Config, port: u16) -> anyhow::Result<Option<String>> {
    let mut conn = db.pool().get().context("opening a database connection")?;
    if setup::is_complete(&mut conn)? {
        return Ok(None);
    }
    let Some(code) = setup::issue_code(&mut conn, config.setup_code.as_deref())
        .context("storing the setup code")?
    else {
        tracing::warn!("KEYWARD_SETUP_CODE has been used once already; run `keyward setup-code` for a new setup link");
        return Ok(None);
    };
    let base = match &config.issuer {
        Some(issuer) => issuer.clone(),
        None => {
            let target =
                crate::util::probe::local_target(std::net::SocketAddr::new(config.bind.ip(), port));
            format!("http://{target}")
        }
    };
    Ok(Some(format!(
        "{}?code={}",
        crate::oidc::discovery::endpoint(&base, "/setup"),
        code.expose()
    )))
}

/// Every ten minutes, deletes expired codes and tokens.
fn spawn_cleanup(state: AppState) {
    let every = std::time::Duration::from_secs(crate::app::tasks::INTERVAL_SECS);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let result = state
                .db
                .run(|c| {
                    crate::app::tasks::purge_expired(c, crate::store::now())
                        .map_err(crate::db::DbError::from)
                })
                .await;
            match result {
                Ok(p) if p.is_empty() => {}
                Ok(p) => tracing::info!(
                    codes = p.codes,
                    tokens = p.tokens,
                    sessions = p.sessions,
                    counters = p.counters,
                    audit_events = p.audit_events,
                    "cleanup deleted expired rows"
                ),
                Err(e) => tracing::warn!(error = %e, "cleanup failed"),
            }
        }
    });
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    setup_link: Option<String>,
    state: AppState,
}

impl Application {
    /// Prepares the database and binds `config.bind` (port 0 picks a free port).
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let db = prepare_database(&config)?;
        let (session_key, reseal) = load_session_key(&db, config.key_encryption_key.as_ref())?;
        let (keys, published) = load_published(&db, &config)?;
        if let Some(sealed) = reseal {
            let mut conn = db.pool().get().context("opening a database connection")?;
            settings::set(&mut conn, settings::SESSION_KEY, &sealed)
                .context("sealing the session key")?;
            tracing::info!("the session key is now stored sealed with KEYWARD_KEY_ENCRYPTION_KEY");
        }
        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let setup_link = setup_link(&db, &config, port)?;
        let state = AppState::new(crate::app::state::Parts {
            config,
            db,
            keys,
            published,
            setup_complete: setup_link.is_none(),
            session_key,
            templates: crate::web::templates::tera(),
        });
        spawn_sync(state.clone());
        spawn_cleanup(state.clone());
        let server = run(listener, state.clone())?;
        Ok(Application {
            port,
            server,
            setup_link,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The state the server shares with its handlers (the pool, the key ring,
    /// the published documents).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The one-time setup link, while setup is pending.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Configures every route on `cfg`; shared by [`run`] and by tests that build
/// the app in-process.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::api::configure(cfg);
    crate::web::configure(cfg);
}

pub fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(
            crate::web::session::store::DbSessionStore::new(data.db.clone()),
            data.session_key.clone(),
        )
        // A browser-session cookie; "Keep me signed in" adds `Max-Age`
        // (web::session_cookie). Lifetimes are the rows' own.
        .session_lifecycle(BrowserSession::default())
        .cookie_name(crate::web::session::COOKIE_NAME.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        // `Secure` is added per response once the issuer is https.
        .cookie_secure(false)
        .cookie_content_security(CookieContentSecurity::Signed)
        .build();
        // The last `wrap` is the outermost.
        App::new()
            .app_data(data.clone())
            .app_data(web::FormConfig::default().error_handler(|err, _req| {
                crate::web::PageError::BadRequest(format!("The form could not be read: {err}."))
                    .into()
            }))
            .wrap(middleware::from_fn(crate::web::setup_gate))
            .wrap(sessions)
            .wrap(middleware::from_fn(crate::web::session_cookie))
            .wrap(middleware::from_fn(crate::web::cors))
            .wrap(middleware::from_fn(crate::web::log_request))
            .wrap(crate::web::security_headers())
            .configure(configure)
            .default_service(web::to(crate::web::not_found))
    })
    .shutdown_timeout(10)
    .listen(listener)
    .context("starting the HTTP server")?
    .run();
    Ok(server)
}
