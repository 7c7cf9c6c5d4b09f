//! `/admin/settings`: the organisation name, the issuer (with a warning: a
//! change breaks every client configured with the old one) and the default
//! token lifetimes. The rules are `crate::idm::site`'s.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::site::{self, SettingsError};
use crate::web::admin::{actor, AdminUser};
use crate::web::page::{self, see_other};
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

/// The form as posted (and shown again, typed values kept, after an error).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub default_access_token_ttl: String,
    #[serde(default)]
    pub default_refresh_token_ttl: String,
    #[serde(default)]
    pub session_idle_timeout: String,
    #[serde(default)]
    pub session_lifetime: String,
    #[serde(default)]
    pub session_remember_lifetime: String,
    #[serde(default)]
    pub audit_retention_days: String,
    #[serde(default, skip_serializing)]
    pub csrf_token: String,
}

impl SettingsForm {
    fn of(s: &site::SiteSettings) -> Self {
        SettingsForm {
            org_name: s.org_name.clone(),
            issuer: s.issuer.clone().unwrap_or_default(),
            default_access_token_ttl: s.default_access_token_ttl.to_string(),
            default_refresh_token_ttl: s.default_refresh_token_ttl.to_string(),
            session_idle_timeout: s.session_idle_timeout.to_string(),
            session_lifetime: s.session_lifetime.to_string(),
            session_remember_lifetime: s.session_remember_lifetime.to_string(),
            audit_retention_days: s.audit_retention_days.to_string(),
            csrf_token: String::new(),
        }
    }
}

fn settings_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &SignedIn,
    status: StatusCode,
    form: &SettingsForm,
    errors: &HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    // KEYWARD_ISSUER wins over the stored issuer: say so rather than offer a
    // field that changes nothing.
    ctx.insert("issuer_from_env", &state.config.issuer);
    page::render_status(state, status, "admin/settings/edit.html", &ctx)
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let current = state
        .db
        .run(|c| site::load(c).map_err(DbError::from))
        .await?;
    settings_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        &SettingsForm::of(&current),
        &HashMap::new(),
    )
}

/// A whole number of seconds, or the field's message.
fn seconds(field: &str, value: &str) -> Result<i64, (String, String)> {
    value.trim().parse::<i64>().map_err(|_| {
        (
            field.to_owned(),
            "Give a whole number of seconds.".to_owned(),
        )
    })
}

/// A whole number, or nothing (left as it is) when the field is empty.
fn optional(field: &str, value: &str) -> Result<Option<i64>, (String, String)> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    value
        .trim()
        .parse::<i64>()
        .map(Some)
        .map_err(|_| (field.to_owned(), "Give a whole number.".to_owned()))
}

pub async fn save(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<SettingsForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    let refuse = |field: String, message: String| {
        settings_page(
            &state,
            &session,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &HashMap::from([(field, message)]),
        )
    };
    let access = match seconds("default_access_token_ttl", &form.default_access_token_ttl) {
        Ok(v) => v,
        Err((f, m)) => return refuse(f, m),
    };
    let refresh = match seconds("default_refresh_token_ttl", &form.default_refresh_token_ttl) {
        Ok(v) => v,
        Err((f, m)) => return refuse(f, m),
    };
    let mut numbers = [None; 4];
    for (slot, (field, value)) in numbers.iter_mut().zip([
        ("session_idle_timeout", &form.session_idle_timeout),
        ("session_lifetime", &form.session_lifetime),
        ("session_remember_lifetime", &form.session_remember_lifetime),
        ("audit_retention_days", &form.audit_retention_days),
    ]) {
        match optional(field, value) {
            Ok(v) => *slot = v,
            Err((f, m)) => return refuse(f, m),
        }
    }
    let [idle, lifetime, remember, retention] = numbers;
    let fixed_issuer = state.config.issuer.is_some();
    let (f, actor, st) = (form.clone(), actor(&admin, &req), state.clone());
    let saved = state
        .db
        .run(move |c| {
            let changes = site::Changes {
                org_name: &f.org_name,
                issuer: (!fixed_issuer).then_some(f.issuer.as_str()),
                default_access_token_ttl: access,
                default_refresh_token_ttl: refresh,
                session_idle_timeout: idle,
                session_lifetime: lifetime,
                session_remember_lifetime: remember,
                audit_retention_days: retention,
            };
            let saved = site::save(c, &changes, &actor);
            if saved.is_ok() {
                st.republish(c);
            }
            Ok::<_, DbError>(saved)
        })
        .await?;
    match saved {
        Ok(_) => {
            session::set_flash(&session, "The settings are saved and in force.");
            Ok(see_other("/admin/settings"))
        }
        Err(SettingsError::Invalid { field, message }) => refuse(field.to_owned(), message),
        Err(SettingsError::Db(e)) => Err(DbError::from(e).into()),
    }
}
