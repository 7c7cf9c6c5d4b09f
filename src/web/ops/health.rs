//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::state::AppState;

/// How long readiness waits for the database before it says no.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// The process is up and serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "status": "ok" }))
}

/// The database answers: 200; otherwise 503 within [`READY_TIMEOUT`]. The cause
/// goes to the log, not to the caller.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping(READY_TIMEOUT).await {
        Ok(()) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(json!({ "status": "ready", "database": state.config.database_url.backend() })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Cache-Control", "no-store"))
                .json(json!({
                    "status": "unavailable",
                    "error": "database_unavailable",
                    "message": "the database does not answer",
                }))
        }
    }
}
