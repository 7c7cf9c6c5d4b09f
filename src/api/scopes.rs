//! /api/v1/scopes: list, get, create or update (PUT), delete. The rules are
//! `crate::idm::scopes`' (built-in scopes keep their claims and cannot be deleted;
//! a scope a client allows cannot be deleted).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::{ApiError, ErrorBody};
use super::schema;
use super::schema::Body;
use super::{run, Admin, PageQuery};
use crate::app::state::AppState;
use crate::idm::scopes;
use crate::store::{self, scopes::Scope};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScopeOut {
    pub name: String,
    /// What the consent page says the app may do.
    pub description: String,
    /// The claims the scope releases in ID tokens and at /userinfo.
    pub claims: Vec<String>,
    pub builtin: bool,
}

impl From<&Scope> for ScopeOut {
    fn from(s: &Scope) -> Self {
        ScopeOut {
            name: s.name.clone(),
            description: s.description.clone(),
            claims: s.claim_names(),
            builtin: s.builtin,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScopeList {
    pub items: Vec<ScopeOut>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/scopes", tag = "scopes", params(PageQuery),
    responses((status = 200, body = ScopeList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<PageQuery>,
) -> Result<web::Json<ScopeList>, ApiError> {
    query.validate()?;
    let all = run(&state, |c| Ok(store::scopes::list(c)?)).await?;
    let (items, next_cursor) = query.page_all(all)?;
    Ok(web::Json(ScopeList {
        items: items.iter().map(ScopeOut::from).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/scopes/{name}", tag = "scopes",
    params(("name" = String, Path, description = "the scope's name")),
    responses((status = 200, body = ScopeOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<ScopeOut>, ApiError> {
    let name = path.into_inner();
    let found = run(&state, move |c| {
        store::scopes::find(c, &name)?
            .ok_or_else(|| ApiError::not_found(format!("no scope {name}")))
    })
    .await?;
    Ok(web::Json(ScopeOut::from(&found)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ScopeIn {
    /// What people read on the consent page.
    pub description: String,
    /// The claims it releases; a built-in scope's are fixed.
    #[serde(default)]
    pub claims: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/scopes/{name}", tag = "scopes", request_body = ScopeIn,
    params(("name" = String, Path, description = "the scope's name")),
    responses((status = 200, description = "updated", body = ScopeOut),
        (status = 201, description = "created", body = ScopeOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "different claims for a built-in scope", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: Body<ScopeIn>,
) -> Result<HttpResponse, ApiError> {
    let (name, b) = (path.into_inner(), body.into_inner());
    schema::scope_name(&name)?;
    schema::text("description", &b.description, schema::DESCRIPTION_MAX)?;
    schema::claims(&b.claims)?;
    let (scope, created) = run(&state, move |c| {
        let claims = b.claims.join(" ");
        if let Some(existing) = store::scopes::find(c, &name)? {
            if existing.builtin && scopes::parse_claims(&claims)? != existing.claim_names() {
                return Err(ApiError::conflict(
                    "the claims of a built-in scope are fixed by the standard",
                )
                .field("claims"));
            }
            Ok((
                scopes::update(c, &name, &b.description, &claims, &admin.actor)?,
                false,
            ))
        } else {
            Ok((
                scopes::create(c, &name, &b.description, &claims, &admin.actor)?,
                true,
            ))
        }
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(ScopeOut::from(&scope)))
}

#[utoipa::path(delete, path = "/api/v1/scopes/{name}", tag = "scopes",
    params(("name" = String, Path, description = "the scope's name")),
    responses((status = 204, description = "deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "built in, or still allowed for a client", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    run(&state, move |c| Ok(scopes::delete(c, &name, &admin.actor)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}
