//! From configuration to a running server: open (or create) the database, apply
//! migrations, build the pool, bind, and serve.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::config::Config;
use crate::db::{self, Db};
use crate::state::AppState;

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

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Prepares the database and binds `config.bind` (port 0 picks a free port).
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let db = prepare_database(&config)?;
        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let state = AppState {
            config: Arc::new(config),
            db,
            templates: crate::web::templates::tera(),
        };
        let server = run(listener, state)?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Configures every route on `cfg`; shared by [`run`] and by tests that build
/// the app in-process.
pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::web::configure(cfg);
}

pub fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(crate::web::security_headers())
            .wrap(middleware::from_fn(crate::web::log_request))
            .configure(configure)
            .default_service(web::to(crate::web::not_found))
    })
    .shutdown_timeout(10)
    .listen(listener)
    .context("starting the HTTP server")?
    .run();
    Ok(server)
}
