//! /api/v1/settings: read and change the server-wide settings (the
//! organisation name, default token lifetimes, session lifetimes, audit
//! retention). The rules are `crate::idm::site`'s, the same the Settings
//! page applies. The issuer is read here but changed only on the page or at
//! setup: every app must be reconfigured when it changes.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::schema::Body;
use super::{run, Admin};
use crate::app::state::AppState;
use crate::idm::site::{self, SiteSettings};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettingsOut {
    pub org_name: String,
    /// The issuer in force (from KEYWARD_ISSUER, else the one setup stored).
    pub issuer: Option<String>,
    /// Seconds, for apps whose policy names none.
    pub default_access_token_ttl: i64,
    pub default_refresh_token_ttl: i64,
    /// Seconds of inactivity that end a session.
    pub session_idle_timeout: i64,
    /// Seconds until a session that ends with the browser ends anyway.
    pub session_lifetime: i64,
    /// Seconds a "Keep me signed in" session lasts.
    pub session_remember_lifetime: i64,
    pub audit_retention_days: i64,
}

fn out(s: SiteSettings, issuer: Option<String>) -> SettingsOut {
    SettingsOut {
        org_name: s.org_name,
        issuer: issuer.or(s.issuer),
        default_access_token_ttl: s.default_access_token_ttl,
        default_refresh_token_ttl: s.default_refresh_token_ttl,
        session_idle_timeout: s.session_idle_timeout,
        session_lifetime: s.session_lifetime,
        session_remember_lifetime: s.session_remember_lifetime,
        audit_retention_days: s.audit_retention_days,
    }
}

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = SettingsOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<web::Json<SettingsOut>, ApiError> {
    let fixed = state.config.issuer.clone();
    let settings = run(&state, |c| Ok(site::load(c)?)).await?;
    Ok(web::Json(out(settings, fixed)))
}

/// The settings to change; what is left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub org_name: Option<String>,
    #[schema(minimum = 60, maximum = 86400)]
    #[serde(default, deserialize_with = "super::schema::integer")]
    pub default_access_token_ttl: Option<i64>,
    #[schema(minimum = 60, maximum = 31622400)]
    #[serde(default, deserialize_with = "super::schema::integer")]
    pub default_refresh_token_ttl: Option<i64>,
    #[schema(minimum = 300, maximum = 604800)]
    #[serde(default, deserialize_with = "super::schema::integer")]
    pub session_idle_timeout: Option<i64>,
    #[schema(minimum = 3600, maximum = 604800)]
    #[serde(default, deserialize_with = "super::schema::integer")]
    pub session_lifetime: Option<i64>,
    #[schema(minimum = 86400, maximum = 31622400)]
    #[serde(default, deserialize_with = "super::schema::integer")]
    pub session_remember_lifetime: Option<i64>,
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default, deserialize_with = "super::schema::integer")]
    pub audit_retention_days: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = SettingsUpdate,
    responses((status = 200, description = "the settings now in force", body = SettingsOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    body: Body<SettingsUpdate>,
) -> Result<web::Json<SettingsOut>, ApiError> {
    let b = body.into_inner();
    let fixed = state.config.issuer.clone();
    let st = state.clone();
    let saved = run(&state, move |c| {
        let now = site::load(c)?;
        let changes = site::Changes {
            org_name: b.org_name.as_deref().unwrap_or(&now.org_name),
            issuer: None,
            default_access_token_ttl: b
                .default_access_token_ttl
                .unwrap_or(now.default_access_token_ttl),
            default_refresh_token_ttl: b
                .default_refresh_token_ttl
                .unwrap_or(now.default_refresh_token_ttl),
            session_idle_timeout: b.session_idle_timeout,
            session_lifetime: b.session_lifetime,
            session_remember_lifetime: b.session_remember_lifetime,
            audit_retention_days: b.audit_retention_days,
        };
        let saved = site::save(c, &changes, &admin.actor)?;
        st.republish(c);
        Ok(saved)
    })
    .await?;
    Ok(web::Json(out(saved, fixed)))
}
