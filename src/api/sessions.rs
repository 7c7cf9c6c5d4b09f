//! /api/v1/users/{id}/sessions and /api/v1/users/{id}/sign-in-failures: where
//! a person is signed in (and ending a session), and their failed sign-ins
//! (and forgetting them). The rules are `crate::idm::sessions`' and
//! `crate::idm::throttle`'s, the same the admin pages and the CLI apply.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::{run, Admin};
use crate::app::state::AppState;
use crate::idm::{accounts, sessions::SessionView, throttle};
use crate::store::{self, users};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionOut {
    /// The session's public id (not its secret).
    pub id: String,
    /// "Firefox on Linux", read from the user agent.
    pub device: String,
    pub address: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// When it ends at the latest.
    pub expires_at: i64,
    /// Kept with "Keep me signed in".
    pub persistent: bool,
    /// How the person signed in (RFC 8176 `amr` values).
    pub methods: Vec<String>,
}

impl From<SessionView> for SessionOut {
    fn from(v: SessionView) -> Self {
        SessionOut {
            id: v.id,
            device: v.device,
            address: v.address,
            created_at: v.created_at,
            last_seen_at: v.last_seen_at,
            expires_at: v.expires_at,
            persistent: v.persistent,
            methods: v.methods,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionOut>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockedAddress {
    pub address: String,
    pub until: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignInFailures {
    /// Failures in the current 15-minute window, from anywhere.
    pub failures: i64,
    /// Set while the account is paused from every address (50 failures).
    pub blocked_until: Option<i64>,
    /// Addresses paused for this account (5 failures each).
    pub blocked_addresses: Vec<BlockedAddress>,
}

async fn person(state: &web::Data<AppState>, id: String) -> Result<users::User, ApiError> {
    run(state, move |c| {
        users::find(c, &id)?.ok_or_else(|| ApiError::not_found(format!("no user {id}")))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 200, body = SessionList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<SessionList>, ApiError> {
    let user = person(&state, path.into_inner()).await?;
    let views = run(&state, move |c| {
        Ok(crate::idm::sessions::list(c, &user.id, None, store::now())?)
    })
    .await?;
    Ok(web::Json(SessionList {
        items: views.into_iter().map(SessionOut::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions/{session}", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)"),
        ("session" = String, Path, description = "the session's id")),
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no such user, or no such session of theirs", body = ErrorBody)))]
pub async fn end(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, session) = path.into_inner();
    let user = person(&state, id).await?;
    run(&state, move |c| {
        if crate::idm::sessions::end(c, &user.id, &session, &admin.actor)? {
            Ok(())
        } else {
            Err(ApiError::not_found(format!(
                "no session {session} of this user"
            )))
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/users/{id}/sign-in-failures", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 200, body = SignInFailures), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn failures(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<SignInFailures>, ApiError> {
    let user = person(&state, path.into_inner()).await?;
    let s = run(&state, move |c| {
        Ok(throttle::status(c, user.id.as_str(), store::now())?)
    })
    .await?;
    Ok(web::Json(SignInFailures {
        failures: s.failures,
        blocked_until: s.blocked_until,
        blocked_addresses: s
            .blocked_addresses
            .into_iter()
            .map(|(address, until)| BlockedAddress { address, until })
            .collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/sign-in-failures", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 204, description = "forgotten: the person may sign in again from anywhere"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn unlock(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = person(&state, path.into_inner()).await?;
    run(&state, move |c| {
        Ok(accounts::unlock(c, &user, &admin.actor)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
