//! The clients list, with search.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::app::state::AppState;
use crate::db::DbError;
use crate::store;
use crate::web::admin::AdminUser;
use crate::web::page::{self};
use crate::web::PageError;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<ListQuery>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let search = query.q.clone().unwrap_or_default();
    let term = search.clone();
    let found = state
        .db
        .run(move |c| store::clients::list(c, Some(&term), PAGE + 1, 0).map_err(DbError::from))
        .await?;
    let more = found.len() as i64 > PAGE;
    let rows: Vec<_> = found
        .iter()
        .take(PAGE as usize)
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "type": c.client_type,
                "grant_types": c.grant_types,
                "disabled": c.disabled,
            })
        })
        .collect();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert("clients", &rows);
    ctx.insert("q", &search);
    ctx.insert("more", &more);
    page::render(&state, "admin/clients/list.html", &ctx)
}
