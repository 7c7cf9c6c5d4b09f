//! Who calls the admin API: an admin API key (`Authorization: Bearer kw_ak_...`
//! or `X-Admin-Token: kw_ak_...`), or an OAuth access token from the client
//! credentials grant that carries the built-in `admin` scope, held by a client
//! an administrator marked admin-capable. Every call, refused ones included,
//! goes to the audit log ([`audit_calls`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::error::ApiError;
use crate::app::state::AppState;
use crate::db::{DbConn, DbError};
use crate::idm::clients::ADMIN_SCOPE;
use crate::oauth::resource;
use crate::store::{self, audit::Actor};

/// An authenticated admin caller, as the audit log names it.
#[derive(Debug, Clone)]
pub struct Admin {
    pub actor: Actor,
}

/// The credential the request presents, from either header.
fn presented(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let bearer =
        crate::web::protocol::bearer::bearer_token(req, None).map_err(ApiError::bad_request)?;
    let admin_token = req
        .headers()
        .get("x-admin-token")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.trim().to_owned());
    match (bearer, admin_token) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "send the credential in one header only",
        )),
        (b, a) => Ok(b.or(a).filter(|t| !t.is_empty())),
    }
}

enum Decision {
    Admin(String),
    Unknown,
    NotAdmin(&'static str),
}

/// Decides who `credential` is. Blocking.
fn decide(conn: &mut DbConn, credential: &str) -> diesel::QueryResult<Decision> {
    if let Some(key) = crate::idm::api_keys::authenticate(conn, credential)? {
        return Ok(Decision::Admin(crate::idm::api_keys::actor_id(&key)));
    }
    let live = match resource::check(conn, credential, &[], store::now())? {
        Ok(live) => live,
        Err(_) => return Ok(Decision::Unknown),
    };
    if live.user.is_some() {
        return Ok(Decision::NotAdmin(
            "the admin API takes client-credentials tokens, not a person's token",
        ));
    }
    if !live.scopes().iter().any(|s| s == ADMIN_SCOPE) {
        return Ok(Decision::NotAdmin("the token lacks the admin scope"));
    }
    let token = live.token;
    match store::clients::find(conn, &token.client_id)? {
        Some(c) if c.admin_capable && !c.disabled => {
            Ok(Decision::Admin(format!("client:{}", c.id)))
        }
        _ => Ok(Decision::NotAdmin(
            "the token's client is not admin-capable",
        )),
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::internal("no application state"))?;
            let Some(credential) = presented(&req)? else {
                return Err(ApiError::unauthorized(
                    "authenticate with an admin API key or a token with the admin scope",
                ));
            };
            let decision = state
                .db
                .run(move |c| decide(c, &credential).map_err(DbError::from))
                .await?;
            match decision {
                Decision::Admin(id) => {
                    let actor = Actor::new(id, crate::web::page::client_ip(&req));
                    req.extensions_mut().insert(actor.clone());
                    Ok(Admin { actor })
                }
                Decision::Unknown => Err(ApiError::unauthorized(
                    "the credential is unknown, expired or revoked",
                )),
                Decision::NotAdmin(why) => Err(ApiError::forbidden("insufficient_scope", why)),
            }
        })
    }
}

/// Writes every admin API call to the audit log: who (when known), the route,
/// the status and the address.
pub async fn audit_calls(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let route = format!(
        "{} {}",
        req.method(),
        req.match_pattern().unwrap_or_else(|| req.path().to_owned())
    );
    let path = req.path().to_owned();
    let ip = crate::web::page::client_ip(req.request());
    let res = next.call(req).await?;
    let Some(state) = state else { return Ok(res) };
    if path.ends_with("/openapi.json") {
        return Ok(res);
    }
    let actor = res.request().extensions().get::<Actor>().cloned();
    let status = res.status().as_u16();
    let anonymous_refusal = actor.is_none() && status >= 400;
    let mut event = store::audit::NewAuditEvent::new(
        if anonymous_refusal {
            "api.refused"
        } else {
            "api.call"
        },
        status < 400,
    )
    .target(route)
    .ip(ip)
    .detail(serde_json::json!({ "status": status, "path": path }));
    if let Some(a) = actor {
        event = event.actor(a.id);
    }
    if anonymous_refusal {
        state.metrics.api_refused();
    }
    // Calls nobody authenticated are noise anyone can make: they reach the
    // log at most once a minute per address (metrics count every one).
    let write = move |c: &mut crate::db::DbConn| {
        if anonymous_refusal {
            store::audit::record_noise(c, event).map(|_| ())
        } else {
            store::audit::record(c, &event)
        }
    };
    if let Err(e) = state.db.run(move |c| write(c).map_err(DbError::from)).await {
        tracing::error!(error = %e, "recording an admin API call in the audit log failed");
    }
    Ok(res)
}
