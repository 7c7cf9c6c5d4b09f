//! /api/v1/audit: the audit log, newest first, filtered by action prefix and
//! actor, paged by cursor.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::error::{ApiError, ErrorBody};
use super::{run, Admin};
use crate::app::state::AppState;
use crate::store::audit::{self, AuditEvent};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventOut {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// A user id, `cli`, `client:ID` or `apikey:ID`.
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    pub ip: Option<String>,
    /// Further detail (never secrets).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

impl From<&AuditEvent> for EventOut {
    fn from(e: &AuditEvent) -> Self {
        EventOut {
            id: e.id,
            at: e.at,
            actor: e.actor.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            outcome: e.outcome.clone(),
            ip: e.ip.clone(),
            detail: e
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventList {
    pub items: Vec<EventOut>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 1 to 200 (default 50).
    #[validate(range(min = 1, max = 200, message = "limit must be 1 to 200"))]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Events whose action starts with this (e.g. `client.`).
    pub action: Option<String>,
    /// Events by this actor.
    pub actor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = EventList), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<EventList>, ApiError> {
    query.validate()?;
    let before = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(super::schema::audit_cursor(c).and_then(|()| {
            c.strip_prefix("b")
                .and_then(|n| n.parse::<i64>().ok())
                .ok_or_else(|| ApiError::bad_request("the cursor is not one this API gave"))
        })?),
    };
    let limit = query.limit.unwrap_or(50);
    let filter = audit::Filter {
        action_prefix: query.action.clone(),
        actor: query.actor.clone(),
        before,
        limit: limit + 1,
    };
    let mut found = run(&state, move |c| Ok(audit::list(c, &filter)?)).await?;
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let next_cursor = more
        .then(|| found.last().map(|e| format!("b{}", e.id)))
        .flatten();
    Ok(web::Json(EventList {
        items: found.iter().map(EventOut::from).collect(),
        next_cursor,
    }))
}
