//! /api/v1/api-keys: list, create (the secret shown once) and revoke admin
//! API keys. The rules are `crate::idm::api_keys`' (the same the admin page
//! and the CLI apply). A key made here belongs to whoever owns the key that
//! made it, so it stops when they do; a client's admin token cannot make
//! one (a short-lived token must not mint a lasting credential).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::{ApiError, ErrorBody};
use super::schema::Body;
use super::{run, Admin, PageQuery};
use crate::app::state::AppState;
use crate::idm::api_keys::{self, KeyState, KeyView};
use crate::store;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: String,
    pub name: String,
    /// The owner's username; null for keys made with the CLI (they belong
    /// to no person) or whose owner was deleted.
    pub owner: Option<String>,
    /// Made with `keyward apikey create` on the server.
    pub made_with_cli: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Whether it works now, and if not, why.
    #[schema(value_type = String, pattern = "^(active|revoked|expired|owner_inactive)$")]
    pub state: KeyState,
}

impl From<&KeyView> for ApiKeyOut {
    fn from(v: &KeyView) -> Self {
        ApiKeyOut {
            id: v.key.id.clone(),
            name: v.key.name.clone(),
            owner: v.owner.clone(),
            made_with_cli: v.key.created_by.as_deref() == Some(api_keys::CLI_OWNER),
            created_at: v.key.created_at,
            last_used_at: v.key.last_used_at,
            expires_at: v.key.expires_at,
            revoked_at: v.key.revoked_at,
            state: v.state,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKeyOut>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(PageQuery),
    responses((status = 200, body = ApiKeyList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<PageQuery>,
) -> Result<web::Json<ApiKeyList>, ApiError> {
    query.validate()?;
    let all = run(&state, |c| Ok(api_keys::list(c, store::now())?)).await?;
    let (items, next_cursor) = query.page_all(all)?;
    Ok(web::Json(ApiKeyList {
        items: items.iter().map(ApiKeyOut::from).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApiKeyCreate {
    /// What uses it, e.g. "terraform".
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Days until it stops working by itself; omit it for never.
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default, deserialize_with = "super::schema::integer")]
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    pub key: ApiKeyOut,
    /// The key itself (`kw_ak_...`): shown this once, stored only as a digest.
    pub secret: String,
}

#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = ApiKeyCreate,
    responses((status = 201, body = ApiKeyCreated), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the caller is a client's token, which cannot make keys", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    body: Body<ApiKeyCreate>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let created = run(&state, move |c| {
        let owner = owner_for(c, &admin.actor.id)?;
        let (key, secret) =
            api_keys::create_owned(c, &body.name, body.expires_in_days, &owner, &admin.actor)?;
        let view = api_keys::list(c, store::now())?
            .into_iter()
            .find(|v| v.key.id == key.id)
            .ok_or_else(|| ApiError::internal("the new key is not in the list"))?;
        Ok(ApiKeyCreated {
            key: ApiKeyOut::from(&view),
            secret: secret.expose().to_owned(),
        })
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Who owns a key the caller makes: the owner of the caller's own key.
fn owner_for(c: &mut crate::db::DbConn, actor: &str) -> Result<String, ApiError> {
    let refused = || {
        ApiError::forbidden(
            "insufficient_scope",
            "API keys are made with another API key, on the admin page or with the CLI",
        )
    };
    let Some(id) = actor.strip_prefix("apikey:") else {
        return Err(refused());
    };
    store::api_keys::find(c, id)?
        .and_then(|k| k.created_by)
        .ok_or_else(refused)
}

#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "the key's id")),
    responses((status = 204, description = "revoked"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such key, or revoked already", body = ErrorBody)))]
pub async fn revoke(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    run(&state, move |c| Ok(api_keys::revoke(c, &id, &admin.actor)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}
