//! The admin JSON API under /api/v1, mirroring the admin UI: clients, scopes,
//! users, signing keys and the audit log. It calls the same rule modules as
//! the pages and the CLI (`crate::idm::clients`, `crate::idm::accounts`, ...): there is
//! no second copy of the rules here, only JSON in and out.

pub mod audit;
pub mod auth;
pub mod clients;
pub mod error;
pub mod keys;
pub mod openapi;
pub mod scopes;
pub mod sessions;
pub mod users;

use actix_web::middleware::from_fn;
use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

pub use auth::Admin;
pub use error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(error::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(error::query_error))
            .wrap(from_fn(auth::audit_calls))
            .route("/openapi.json", web::get().to(openapi::serve))
            .route("/clients", web::get().to(clients::list))
            .route("/clients", web::post().to(clients::create))
            .route("/clients/{id}", web::get().to(clients::get))
            .route("/clients/{id}", web::put().to(clients::update))
            .route("/clients/{id}", web::delete().to(clients::delete))
            .route(
                "/clients/{id}/secret",
                web::post().to(clients::rotate_secret),
            )
            .route("/clients/{id}/policy", web::get().to(clients::get_policy))
            .route("/clients/{id}/policy", web::put().to(clients::put_policy))
            .route("/scopes", web::get().to(scopes::list))
            .route("/scopes/{name}", web::get().to(scopes::get))
            .route("/scopes/{name}", web::put().to(scopes::put))
            .route("/scopes/{name}", web::delete().to(scopes::delete))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::create))
            .route("/users/{id}", web::get().to(users::get))
            .route("/users/{id}", web::put().to(users::update))
            .route("/users/{id}", web::delete().to(users::delete))
            .route("/users/{id}/disable", web::post().to(users::disable))
            .route("/users/{id}/enable", web::post().to(users::enable))
            .route("/users/{id}/sessions", web::get().to(sessions::list))
            .route(
                "/users/{id}/sessions/{session}",
                web::delete().to(sessions::end),
            )
            .route(
                "/users/{id}/sign-in-failures",
                web::get().to(sessions::failures),
            )
            .route(
                "/users/{id}/sign-in-failures",
                web::delete().to(sessions::unlock),
            )
            .route("/keys", web::get().to(keys::list))
            .route("/keys/rotate", web::post().to(keys::rotate))
            .route("/keys/{kid}/retire", web::post().to(keys::retire))
            .route("/keys/{kid}/revoke", web::post().to(keys::revoke))
            .route("/audit", web::get().to(audit::list))
            .default_service(web::to(error::not_found)),
    );
}

/// Paging for list endpoints: at most `limit` items from where `cursor` (the
/// `next_cursor` of the previous page, opaque to callers) left off.
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 200 (default 50).
    #[validate(range(min = 1, max = 200, message = "limit must be 1 to 200"))]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// Paging and a search, for the clients and users lists.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 to 200 (default 50).
    #[validate(range(min = 1, max = 200, message = "limit must be 1 to 200"))]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// A substring to search for (client: name or id; user: username, email or name).
    pub q: Option<String>,
}

impl ListQuery {
    pub fn paging(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50)
    }

    /// The offset the cursor stands for.
    pub fn offset(&self) -> Result<i64, ApiError> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(0),
            Some(c) => c
                .strip_prefix("o")
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::bad_request("the cursor is not one this API gave")),
        }
    }

    /// Pages a whole list held in memory (scopes, keys: small tables).
    pub fn page_all<T>(&self, all: Vec<T>) -> Result<(Vec<T>, Option<String>), ApiError> {
        let offset = self.offset()?;
        let rest: Vec<T> = all
            .into_iter()
            .skip(offset as usize)
            .take(self.limit() as usize + 1)
            .collect();
        Ok(self.page(rest, offset))
    }

    /// Pages `found`, read with `limit + 1` from `offset`.
    pub fn page<T>(&self, mut found: Vec<T>, offset: i64) -> (Vec<T>, Option<String>) {
        let limit = self.limit() as usize;
        let more = found.len() > limit;
        found.truncate(limit);
        let next = more.then(|| format!("o{}", offset + limit as i64));
        (found, next)
    }
}

/// Runs blocking database work off the async workers, as every handler here.
pub async fn run<T: Send + 'static>(
    state: &web::Data<crate::app::state::AppState>,
    work: impl FnOnce(&mut crate::db::DbConn) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let out = state
        .db
        .run(move |c| Ok::<_, crate::db::DbError>(work(c)))
        .await?;
    out
}
