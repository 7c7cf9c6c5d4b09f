//! /api/v1/keys: list, rotate (a new active key for an algorithm), retire and
//! revoke. The rules are `crate::keys::lifecycle`'s; each change is served at once on
//! this instance.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::{ApiError, ErrorBody};
use super::schema::Body;
use super::{run, Admin, PageQuery};
use crate::app::state::AppState;
use crate::crypto::keys::Algorithm;
use crate::keys::lifecycle;
use crate::store::keys::{self, SigningKey};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyOut {
    pub kid: String,
    /// RS256, ES256 or EdDSA.
    pub alg: String,
    /// `active`, `retired` (published, no longer signing) or `revoked`.
    pub status: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<&SigningKey> for KeyOut {
    fn from(k: &SigningKey) -> Self {
        KeyOut {
            kid: k.kid.to_string(),
            alg: k.alg.clone(),
            status: k.status.to_string(),
            created_at: k.created_at,
            retired_at: k.retired_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyOut>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", params(PageQuery),
    responses((status = 200, body = KeyList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<PageQuery>,
) -> Result<web::Json<KeyList>, ApiError> {
    query.validate()?;
    let all = run(&state, |c| Ok(keys::list(c)?)).await?;
    let (items, next_cursor) = query.page_all(all)?;
    Ok(web::Json(KeyList {
        items: items.iter().map(KeyOut::from).collect(),
        next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RotateIn {
    /// RS256, ES256 or EdDSA.
    pub alg: String,
}

/// The change, then the key set republished on this instance.
async fn change(
    state: &web::Data<AppState>,
    work: impl FnOnce(&mut crate::db::DbConn) -> Result<String, lifecycle::LifecycleError>
        + Send
        + 'static,
) -> Result<KeyOut, ApiError> {
    let st = state.clone();
    run(state, move |c| {
        let kid = work(c)?;
        st.republish(c);
        let key = keys::find(c, &kid)?
            .ok_or_else(|| ApiError::not_found(format!("no signing key {kid}")))?;
        Ok(KeyOut::from(&key))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/keys/rotate", tag = "keys", request_body = RotateIn,
    responses((status = 201, description = "the new active key", body = KeyOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate(
    state: web::Data<AppState>,
    admin: Admin,
    body: Body<RotateIn>,
) -> Result<HttpResponse, ApiError> {
    let alg: Algorithm = body
        .0
        .alg
        .parse()
        .map_err(|_| ApiError::invalid("alg", "alg is RS256, ES256 or EdDSA"))?;
    let kek = state.keys.encryption_key().cloned();
    let key = change(&state, move |c| {
        lifecycle::rotate(c, kek.as_ref(), alg, 2048, &admin.actor)
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(key))
}

/// Applies a lifecycle step to one key and answers with the key.
async fn step(
    state: web::Data<AppState>,
    admin: Admin,
    kid: String,
    apply: fn(
        &mut crate::db::DbConn,
        &str,
        &crate::store::audit::Actor,
    ) -> Result<(), lifecycle::LifecycleError>,
) -> Result<web::Json<KeyOut>, ApiError> {
    let key = change(&state, move |c| {
        apply(c, &kid, &admin.actor)?;
        Ok(kid)
    })
    .await?;
    Ok(web::Json(key))
}

#[utoipa::path(post, path = "/api/v1/keys/{kid}/retire", tag = "keys",
    params(("kid" = String, Path, description = "the key id")),
    responses((status = 200, body = KeyOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not active, or the last active key", body = ErrorBody)))]
pub async fn retire(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<KeyOut>, ApiError> {
    step(state, admin, path.into_inner(), lifecycle::retire).await
}

#[utoipa::path(post, path = "/api/v1/keys/{kid}/revoke", tag = "keys",
    params(("kid" = String, Path, description = "the key id")),
    responses((status = 200, body = KeyOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the last active key", body = ErrorBody)))]
pub async fn revoke(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<KeyOut>, ApiError> {
    step(state, admin, path.into_inner(), lifecycle::revoke).await
}
