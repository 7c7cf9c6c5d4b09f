//! GET /metrics: the Prometheus text format, behind the bearer guard with the
//! `metrics` scope (a client-credentials token, as Prometheus's `oauth2:`
//! scrape setting fetches), or open when KEYWARD_METRICS_PUBLIC=true.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::metrics::Gauges;
use crate::app::state::AppState;
use crate::db::DbError;
use crate::store;
use crate::web::protocol::bearer;

pub const SCOPE: &str = "metrics";

pub async fn scrape(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if !state.config.metrics_public {
        if let Err(refused) = bearer::require(&state, &req, &[SCOPE]).await {
            return refused;
        }
    }
    let keys = state
        .db
        .run(|c| store::keys::count_by_status(c).map_err(DbError::from))
        .await;
    let signing_keys = match keys {
        Ok(k) => k,
        Err(e) => {
            // The rest is still worth scraping; the key gauges read zero.
            tracing::warn!(error = %e, "metrics: counting signing keys failed");
            Vec::new()
        }
    };
    let pool = state.db.pool().state();
    let gauges = Gauges {
        signing_keys,
        pool_connections: pool.connections,
        pool_idle: pool.idle_connections,
        pool_max: state.db.pool().max_size(),
    };
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render(&gauges))
}
