//! Rendering pages: the shared context (organisation name, CSRF token, the
//! signed-in user, a flash message) and the response shapes pages use.

use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::json;

pub use super::client::{client_ip, is_https};
use super::session::{self, SignedIn};
use super::PageError;
use crate::app::state::AppState;

/// The context every page template gets.
pub fn context(
    state: &web::Data<AppState>,
    session: &Session,
    user: Option<&SignedIn>,
) -> tera::Context {
    let mut ctx = tera::Context::new();
    if let Some(org) = state.published.snapshot().org_name.as_deref() {
        ctx.insert("org_name", org);
    }
    ctx.insert("csrf_token", &session::csrf_token(session));
    if let Some(u) = user {
        ctx.insert(
            "user",
            &json!({ "username": u.user.username, "is_admin": u.user.is_admin, "id": u.user.id }),
        );
    }
    if let Some(flash) = session::take_flash(session) {
        ctx.insert("flash", &flash);
    }
    ctx
}

pub fn render(
    state: &web::Data<AppState>,
    template: &str,
    ctx: &tera::Context,
) -> Result<HttpResponse, PageError> {
    render_status(state, StatusCode::OK, template, ctx)
}

pub fn render_status(
    state: &web::Data<AppState>,
    status: StatusCode,
    template: &str,
    ctx: &tera::Context,
) -> Result<HttpResponse, PageError> {
    let body = state
        .templates
        .render(template, ctx)
        .map_err(|e| PageError::Internal(format!("rendering {template}: {e:?}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// 303 See Other: the answer to a form POST (never 307, RFC 9700 §4.12).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The validator's messages, one per field (the first, when several fail).
pub fn field_errors(e: &validator::ValidationErrors) -> std::collections::HashMap<String, String> {
    e.field_errors()
        .iter()
        .filter_map(|(field, errs)| {
            errs.first().map(|err| {
                let message = err
                    .message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("Check the {field} field."));
                (field.to_string(), message)
            })
        })
        .collect()
}
