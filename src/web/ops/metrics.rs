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
    let counted = state
        .db
        .run(|c| -> Result<_, DbError> {
            Ok((
                store::keys::count_by_status(c)?,
                store::sessions::count_live(c, store::now())?,
            ))
        })
        .await;
    let (signing_keys, sessions) = match counted {
        Ok(k) => k,
        Err(e) => {
            // The rest is still worth scraping; these gauges read zero.
            tracing::warn!(error = %e, "metrics: counting signing keys and sessions failed");
            (Vec::new(), (0, 0))
        }
    };
    let pool = state.db.pool().state();
    let gauges = Gauges {
        signing_keys,
        sessions_signed_in: sessions.0,
        sessions_anonymous: sessions.1,
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
