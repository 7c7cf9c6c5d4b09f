//! The documents apps integrate through, served from memory: the JWKS and the
//! two metadata documents. Before the issuer is known the metadata answers 503.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use bytes::Bytes;
use serde_json::json;

use crate::app::state::AppState;

/// Short, so a rotation reaches caching clients quickly.
const JWKS_CACHE: &str = "public, max-age=60";
const METADATA_CACHE: &str = "public, max-age=300";

fn json_document(body: Bytes, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, cache))
        // Public documents: any origin may read them.
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body)
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    json_document(state.keys.snapshot().jwks.clone(), JWKS_CACHE)
}

fn metadata(doc: Option<Bytes>) -> HttpResponse {
    match doc {
        Some(body) => json_document(body, METADATA_CACHE),
        None => HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::RETRY_AFTER, "30"))
            .json(json!({
                "error": "issuer_unknown",
                "message": "Keyward has no issuer yet: finish the first-run setup or set KEYWARD_ISSUER",
            })),
    }
}

pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    metadata(state.published.snapshot().openid_configuration.clone())
}

pub async fn oauth_metadata(state: web::Data<AppState>) -> HttpResponse {
    metadata(state.published.snapshot().oauth_metadata.clone())
}
