//! HTTP: routes, page rendering, static assets and the cross-cutting middleware.

pub mod assets;
pub mod error;
pub mod health;
pub mod templates;
pub mod wellknown;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, HttpRequest, HttpResponse};

pub use error::PageError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{name}", web::get().to(assets::serve))
        .route(
            crate::oidc::discovery::JWKS_PATH,
            web::get().to(wellknown::jwks),
        )
        .route(
            crate::oidc::discovery::OPENID_CONFIGURATION_PATH,
            web::get().to(wellknown::openid_configuration),
        )
        .route(
            crate::oidc::discovery::OAUTH_METADATA_PATH,
            web::get().to(wellknown::oauth_metadata),
        );
}

/// Headers every response carries. Pages load only local scripts and styles
/// and may never be framed (RFC 9700 §4.16); no referrer leaves a page
/// (RFC 9700 §4.2). No `form-action`: browsers apply it to the redirect that
/// follows a form post, which would block the redirect back to a client.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
}

/// Logs each request with its method, path (never the query, which can carry
/// codes and tokens), status and duration.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let res = next.call(req).await?;
    tracing::info!(
        target: "keyward::http",
        %method,
        path = %path,
        status = res.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    Ok(res)
}

/// The fallback for unknown paths: a page for browsers, JSON for everyone else.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    if wants_html(&req) {
        PageError::NotFound.error_response()
    } else {
        HttpResponse::NotFound().json(serde_json::json!({
            "error": "not_found",
            "message": "no such endpoint",
        }))
    }
}

/// Whether the client prefers an HTML page (a browser) over JSON.
pub fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(|accept| accept.contains("text/html"))
        .unwrap_or(false)
}
