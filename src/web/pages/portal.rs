//! `/`: the apps a signed-in person can open.

use actix_session::Session;
use actix_web::{web, HttpResponse};

use crate::app::state::AppState;
use crate::db::DbError;
use crate::store::clients;
use crate::web::page::{self, see_other};
use crate::web::session;
use crate::web::PageError;

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, PageError> {
    let Some(user) = session::current_user(&state, &session).await? else {
        return Ok(see_other("/login"));
    };
    let apps = state
        .db
        .run(|c| clients::list_portal(c).map_err(DbError::from))
        .await?;
    // Only web addresses become links (never `javascript:` and the like).
    let apps: Vec<_> = apps
        .iter()
        .filter(|a| {
            a.launch_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))
        })
        .map(|a| serde_json::json!({ "name": a.name, "launch_url": a.launch_url }))
        .collect();
    let mut ctx = page::context(&state, &session, Some(&user));
    ctx.insert("apps", &apps);
    page::render(&state, "pages/portal.html", &ctx)
}
