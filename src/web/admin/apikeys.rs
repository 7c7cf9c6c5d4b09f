//! `/admin/apikeys`: admin API keys. Create one (shown once), list them with
//! when each was last used, revoke one after a confirmation. The rules are
//! `crate::idm::api_keys`', the same the CLI applies.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::api_keys::{self, ApiKeyError};
use crate::store;
use crate::util::time;
use crate::web::admin::{actor, confirm_page, AdminUser, Confirm};
use crate::web::page::{self, see_other};
use crate::web::pages::login::CsrfForm;
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

/// The session key under which a new key waits to be shown once.
const NEW_KEY: &str = "admin_new_api_key";

async fn keys_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &SignedIn,
    status: StatusCode,
    name: &str,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let all = state
        .db
        .run(|c| api_keys::list(c, store::now()).map_err(DbError::from))
        .await?;
    let rows: Vec<_> = all
        .iter()
        .map(|v| {
            let k = &v.key;
            json!({
                "id": k.id, "name": k.name,
                "created": time::rfc3339(k.created_at),
                "last_used": k.last_used_at.map(time::rfc3339),
                "expires": k.expires_at.map(time::rfc3339),
                "owner": v.owner.clone().unwrap_or_else(|| {
                    if k.created_by.as_deref() == Some(api_keys::CLI_OWNER) {
                        "no person (made with the CLI)".into()
                    } else {
                        "a deleted person".into()
                    }
                }),
                "revoked": k.revoked_at.is_some(),
                "state": v.state.describe(),
            })
        })
        .collect();
    let new_key = match session.remove_as::<String>(NEW_KEY) {
        Some(Ok(k)) => Some(k),
        _ => None,
    };
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert("keys", &rows);
    ctx.insert("new_key", &new_key);
    ctx.insert("name", name);
    ctx.insert("error", &error);
    ctx.insert(
        "openapi_url",
        &state
            .published
            .snapshot()
            .issuer
            .as_deref()
            .map(|i| crate::oidc::discovery::endpoint(i, "/api/v1/openapi.json")),
    );
    page::render_status(state, status, "admin/apikeys/list.html", &ctx)
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    keys_page(&state, &session, &admin, StatusCode::OK, "", None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    /// Days until the key stops working; empty for never.
    #[serde(default)]
    expires_in_days: String,
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<CreateForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let (name, actor) = (form.name.clone(), actor(&admin, &req));
    let expires = match form.expires_in_days.trim() {
        "" => Ok(None),
        d => d
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiKeyError::Invalid {
                message: "Give the expiry as a whole number of days, or leave it empty.".into(),
            }),
    };
    let created = match expires {
        Ok(days) => {
            state
                .db
                .run(move |c| Ok::<_, DbError>(api_keys::create(c, &name, days, &actor)))
                .await?
        }
        Err(e) => Err(e),
    };
    match created {
        Ok((row, key)) => {
            let _ = session.insert(NEW_KEY, key.expose().to_owned());
            session::set_flash(&session, &format!("The key {} is created.", row.name));
            Ok(see_other("/admin/apikeys"))
        }
        Err(ApiKeyError::Invalid { message }) => {
            keys_page(
                &state,
                &session,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.name,
                Some(message),
            )
            .await
        }
        Err(ApiKeyError::NotFound(_)) => Err(PageError::NotFound),
        Err(ApiKeyError::Db(e)) => Err(DbError::from(e).into()),
    }
}

/// GET: confirm revoking a key.
pub async fn confirm_revoke(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let lookup = id.clone();
    let key = state
        .db
        .run(move |c| store::api_keys::list(c).map_err(DbError::from))
        .await?
        .into_iter()
        .find(|k| k.id == lookup && k.revoked_at.is_none())
        .ok_or(PageError::NotFound)?;
    confirm_page(
        &state,
        &session,
        &admin,
        &Confirm {
            heading: format!("Revoke the API key {}?", key.name),
            message: "Whatever uses it is refused from the next call on. This cannot be undone: make a new key instead.",
            action: format!("/admin/apikeys/{id}/revoke"),
            button: "Revoke the key",
            back: "/admin/apikeys",
        },
    )
}

pub async fn revoke(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let (id, actor) = (path.into_inner(), actor(&admin, &req));
    let done = state
        .db
        .run(move |c| Ok::<_, DbError>(api_keys::revoke(c, &id, &actor)))
        .await?;
    match done {
        Ok(()) => {
            session::set_flash(&session, "The key is revoked.");
            Ok(see_other("/admin/apikeys"))
        }
        Err(ApiKeyError::NotFound(_)) => Err(PageError::NotFound),
        Err(ApiKeyError::Invalid { message }) => Err(PageError::BadRequest(message)),
        Err(ApiKeyError::Db(e)) => Err(DbError::from(e).into()),
    }
}
