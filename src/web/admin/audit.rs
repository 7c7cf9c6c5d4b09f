//! `/admin/audit`: the audit log, newest first, filtered by action (a prefix
//! such as `client.` or `login`) and by who (a username, or an actor such as
//! `cli`), a page at a time.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::store::{self, audit};
use crate::web::admin::dashboard::actor_names;
use crate::web::admin::AdminUser;
use crate::web::page;
use crate::web::PageError;

/// Events per page.
const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct Query {
    #[serde(default)]
    action: String,
    #[serde(default)]
    who: String,
    before: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<Query>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let q = query.into_inner();
    let (action, who, before) = (
        q.action.trim().to_owned(),
        q.who.trim().to_owned(),
        q.before,
    );
    let (events, names) = state
        .db
        .run(move |c| -> Result<_, DbError> {
            // A username means that user's id; anything else is matched as is.
            let actor = match who.as_str() {
                "" => None,
                w => Some(
                    store::users::find_by_username(c, w)?
                        .map_or_else(|| w.to_owned(), |u| u.id.into_string()),
                ),
            };
            let events = audit::list(
                c,
                &audit::Filter {
                    action_prefix: Some(action),
                    actor,
                    before,
                    limit: PAGE + 1,
                },
            )?;
            let names = actor_names(c, &events)?;
            Ok((events, names))
        })
        .await?;
    let more = events.len() as i64 > PAGE;
    let shown: Vec<_> = events.iter().take(PAGE as usize).collect();
    let link = |before: Option<i64>| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("action", q.action.trim())
            .append_pair("who", q.who.trim());
        if let Some(b) = before {
            query.append_pair("before", &b.to_string());
        }
        query.finish()
    };
    let older = if more {
        shown.last().map(|e| link(Some(e.id)))
    } else {
        None
    };
    let newest = before.is_some().then(|| link(None));
    let rows: Vec<_> = shown
        .iter()
        .map(|e| {
            json!({
                "at": crate::util::time::rfc3339(e.at),
                "actor": e.actor.as_ref().map(|a| names.get(a).unwrap_or(a)),
                "action": e.action,
                "target": e.target,
                "outcome": e.outcome,
                "ip": e.ip,
                "detail": e.detail,
            })
        })
        .collect();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert("events", &rows);
    ctx.insert("action", q.action.trim());
    ctx.insert("who", q.who.trim());
    ctx.insert("older", &older);
    ctx.insert("newest", &newest);
    page::render(&state, "admin/audit/list.html", &ctx)
}
