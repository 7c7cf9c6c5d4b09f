//! HTTP: routes, page rendering, static assets and the cross-cutting middleware.

pub mod admin;
pub mod assets;
pub mod client;
pub mod error;
pub mod ops;
pub mod page;
pub mod pages;
pub mod protocol;
pub mod session;
pub mod templates;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, HttpRequest, HttpResponse};

pub use error::PageError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(ops::health::healthz))
        .route("/readyz", web::get().to(ops::health::readyz))
        .route("/static/{name}", web::get().to(assets::serve))
        .route("/token", web::post().to(protocol::token::token))
        .route("/authorize", web::get().to(pages::authorize::get))
        .route("/authorize", web::post().to(pages::authorize::post))
        .route("/authorize/resume", web::get().to(pages::authorize::resume))
        .route(
            "/authorize/consent",
            web::post().to(pages::authorize::consent),
        )
        .route("/userinfo", web::get().to(protocol::userinfo::get))
        .route("/userinfo", web::post().to(protocol::userinfo::post))
        .route(
            "/introspect",
            web::post().to(protocol::introspect::introspect),
        )
        .route("/revoke", web::post().to(protocol::revoke::revoke))
        .route("/end_session", web::get().to(protocol::end_session::get))
        .route("/end_session", web::post().to(protocol::end_session::post))
        .route("/metrics", web::get().to(ops::metrics::scrape))
        .route("/admin", web::get().to(admin::dashboard::dashboard))
        .route("/admin/keys", web::get().to(admin::keys::list))
        .route("/admin/apikeys", web::get().to(admin::apikeys::list))
        .route("/admin/apikeys", web::post().to(admin::apikeys::create))
        .route(
            "/admin/apikeys/{id}/revoke",
            web::get().to(admin::apikeys::confirm_revoke),
        )
        .route(
            "/admin/apikeys/{id}/revoke",
            web::post().to(admin::apikeys::revoke),
        )
        .route("/admin/settings", web::get().to(admin::settings::show))
        .route("/admin/settings", web::post().to(admin::settings::save))
        .route("/admin/audit", web::get().to(admin::audit::list))
        .route("/admin/users", web::get().to(admin::users::list))
        .route("/admin/users", web::post().to(admin::users::create))
        .route("/admin/users/new", web::get().to(admin::users::new))
        .route("/admin/users/{id}", web::get().to(admin::users::show::show))
        .route(
            "/admin/users/{id}",
            web::post().to(admin::users::show::save),
        )
        .route(
            "/admin/users/{id}/consents/revoke",
            web::post().to(admin::users::show::revoke_consent),
        )
        .route(
            "/admin/users/{id}/sessions/{session}/end",
            web::post().to(admin::users::show::end_session),
        )
        .route(
            "/admin/users/{id}/{step}",
            web::post().to(admin::users::show::act),
        )
        .route("/admin/scopes", web::get().to(admin::scopes::list))
        .route("/admin/scopes", web::post().to(admin::scopes::create))
        .route("/admin/scopes/{name}", web::get().to(admin::scopes::edit))
        .route("/admin/scopes/{name}", web::post().to(admin::scopes::save))
        .route(
            "/admin/scopes/{name}/delete",
            web::get().to(admin::scopes::confirm_delete),
        )
        .route(
            "/admin/scopes/{name}/delete",
            web::post().to(admin::scopes::delete),
        )
        .route("/admin/keys/rotate", web::post().to(admin::keys::rotate))
        .route(
            "/admin/keys/{kid}/{step}",
            web::get().to(admin::keys::confirm),
        )
        .route(
            "/admin/keys/{kid}/{step}",
            web::post().to(admin::keys::apply),
        )
        .route("/admin/clients", web::get().to(admin::clients::list))
        .route("/admin/clients", web::post().to(admin::clients::create))
        .route("/admin/clients/new", web::get().to(admin::clients::new))
        .route("/admin/clients/{id}", web::get().to(admin::clients::show))
        .route(
            "/admin/clients/{id}/rotate-secret",
            web::post().to(admin::clients::rotate_secret),
        )
        .route(
            "/admin/clients/{id}/disable",
            web::post().to(admin::clients::disable),
        )
        .route(
            "/admin/clients/{id}/enable",
            web::post().to(admin::clients::enable),
        )
        .route(
            "/admin/clients/{id}/edit",
            web::get().to(admin::clients::edit),
        )
        .route(
            "/admin/clients/{id}/edit",
            web::post().to(admin::clients::save),
        )
        .route(
            "/admin/clients/{id}/delete",
            web::get().to(admin::clients::confirm_delete),
        )
        .route(
            "/admin/clients/{id}/delete",
            web::post().to(admin::clients::delete),
        )
        .route("/", web::get().to(pages::portal::show))
        .route("/setup", web::get().to(pages::setup::show))
        .route("/setup/org", web::post().to(pages::setup::save_org))
        .route("/setup/admin", web::post().to(pages::setup::save_admin))
        .route("/setup/finish", web::post().to(pages::setup::finish))
        .route("/login", web::get().to(pages::login::show))
        .route("/login", web::post().to(pages::login::submit))
        .route("/logout", web::post().to(pages::login::logout))
        .route("/account", web::get().to(pages::account::show))
        .route(
            "/account/profile",
            web::post().to(pages::account::save_profile),
        )
        .route(
            "/account/password",
            web::post().to(pages::account::change_password),
        )
        .route(
            "/account/sign-out-everywhere",
            web::post().to(pages::account::sign_out_everywhere),
        )
        .route(
            "/account/sessions/{id}/end",
            web::post().to(pages::account::end_session),
        )
        .route(
            "/account/consents/revoke",
            web::post().to(pages::account::revoke_consent),
        )
        .route(
            crate::oidc::discovery::JWKS_PATH,
            web::get().to(protocol::wellknown::jwks),
        )
        .route(
            crate::oidc::discovery::OPENID_CONFIGURATION_PATH,
            web::get().to(protocol::wellknown::openid_configuration),
        )
        .route(
            crate::oidc::discovery::OAUTH_METADATA_PATH,
            web::get().to(protocol::wellknown::oauth_metadata),
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
    let route = req.match_pattern();
    let state = req
        .app_data::<web::Data<crate::app::state::AppState>>()
        .cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        state.metrics.request(
            route.as_deref().unwrap_or("unmatched"),
            res.status().as_u16(),
            started.elapsed(),
        );
    }
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

/// Pages that need a finished setup; until then they send the visitor to
/// /setup. Protocol, health and static endpoints are not gated.
fn gated(path: &str) -> bool {
    path == "/"
        || [
            "/login",
            "/logout",
            "/account",
            "/authorize",
            "/consent",
            "/admin",
            "/end_session",
        ]
        .iter()
        .any(|p| {
            path.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

pub async fn setup_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use std::sync::atomic::Ordering;
    if gated(req.path()) {
        if let Some(state) = req
            .app_data::<web::Data<crate::app::state::AppState>>()
            .cloned()
        {
            if !state.setup_complete.load(Ordering::Relaxed) {
                let done = state
                    .db
                    .run(|c| crate::idm::setup::is_complete(c).map_err(crate::db::DbError::from))
                    .await
                    .map_err(PageError::from)?;
                if done {
                    state.setup_complete.store(true, Ordering::Relaxed);
                } else {
                    let res = page::see_other("/setup");
                    return Ok(req.into_response(res));
                }
            }
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The session cookie's finishing touches, and HSTS: `Secure` (and
/// `Strict-Transport-Security`) when the issuer is https, or a trusted proxy
/// says the request was; `Max-Age` for a session kept with "Keep me signed
/// in" (its id ends in `.r`), so the cookie outlives the browser. A session
/// store that cannot be reached answers 503, as any database outage does.
pub async fn session_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<crate::app::state::AppState>>()
        .cloned();
    let issuer_https = state
        .as_ref()
        .and_then(|s| s.published.snapshot().issuer.clone())
        .is_some_and(|i| i.starts_with("https://"));
    let https = page::is_https(req.request(), issuer_https);
    let mut res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            tracing::error!(error = %e, "the session store failed");
            return Err(PageError::Unavailable(
                "Keyward cannot reach its database just now. Try again in a moment.".into(),
            )
            .into());
        }
    };
    if issuer_https {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000"),
        );
    }
    let cookies: Vec<_> = res.headers().get_all(header::SET_COOKIE).cloned().collect();
    let ours = |c: &header::HeaderValue| {
        c.to_str()
            .is_ok_and(|s| s.starts_with(session::COOKIE_NAME))
    };
    if !cookies.iter().any(ours) {
        return Ok(res);
    }
    let remembered = cookies.iter().filter(|c| ours(c)).any(|c| {
        c.to_str()
            .ok()
            .and_then(|s| s.split(';').next())
            .is_some_and(|v| v.ends_with(session::store::REMEMBER_SUFFIX))
    });
    let max_age = match (remembered, &state) {
        (true, Some(st)) => st
            .db
            .run(|c| crate::idm::site::session_policy(c).map_err(crate::db::DbError::from))
            .await
            .map(|p| p.remember_lifetime)
            .unwrap_or(crate::idm::site::SessionPolicy::default().remember_lifetime),
        _ => 0,
    };
    let headers = res.headers_mut();
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        let value = match c.to_str() {
            Ok(s) if s.starts_with(session::COOKIE_NAME) => {
                let mut v = s.to_owned();
                if max_age > 0 && !v.contains("Max-Age") {
                    v.push_str(&format!("; Max-Age={max_age}"));
                }
                if https && !v.contains("; Secure") {
                    v.push_str("; Secure");
                }
                header::HeaderValue::from_str(&v).unwrap_or(c)
            }
            _ => c,
        };
        headers.append(header::SET_COOKIE, value);
    }
    Ok(res)
}

/// CORS (RFC 9700 §2.6): the metadata documents and JWKS for any origin; the
/// token, userinfo and revocation endpoints for the origins of registered
/// redirect URIs; nothing else, and never /authorize.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let path = req.path();
    let public = path.starts_with("/.well-known/");
    let per_client = matches!(path, "/token" | "/userinfo" | "/revoke");
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let (Some(origin), true) = (origin, public || per_client) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let allowed = if public {
        Some("*".to_owned())
    } else {
        req.app_data::<web::Data<crate::app::state::AppState>>()
            .filter(|s| s.published.snapshot().cors_origins.contains(&origin))
            .map(|_| origin.clone())
    };
    if req.method() == actix_web::http::Method::OPTIONS {
        let mut res = HttpResponse::NoContent();
        if let Some(a) = &allowed {
            res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, a.as_str()))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "Authorization, Content-Type",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        res.insert_header((header::VARY, "Origin"));
        return Ok(req.into_response(res.finish()));
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Some(a) = allowed {
        let headers = res.headers_mut();
        if let Ok(v) = header::HeaderValue::from_str(&a) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        headers.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
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
