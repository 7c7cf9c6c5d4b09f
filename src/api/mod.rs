//! The admin JSON API under /api/v1, mirroring the admin UI: clients, scopes,
//! users, signing keys and the audit log. It calls the same rule modules as
//! the pages and the CLI (`crate::idm::clients`, `crate::idm::accounts`, ...): there is
//! no second copy of the rules here, only JSON in and out.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod clients;
pub mod error;
pub mod keys;
pub mod openapi;
pub mod schema;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod users;

use actix_web::middleware::from_fn;
use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

pub use auth::Admin;
pub use error::ApiError;

/// One path of the API: its methods, and 405 with `Allow` naming them for
/// any other (RFC 9110 §15.5.6).
macro_rules! method_name {
    (get) => {
        "GET"
    };
    (post) => {
        "POST"
    };
    (put) => {
        "PUT"
    };
    (delete) => {
        "DELETE"
    };
}

macro_rules! resource {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {{
        let allow: &'static str = concat!($(method_name!($method), ", "),+).trim_end_matches(", ");
        web::resource($path)
            $(.route(web::$method().to($handler)))+
            .default_service(web::to(move || error::method_not_allowed(allow)))
    }};
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(error::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(error::query_error))
            .app_data(web::PathConfig::default().error_handler(error::path_error))
            .wrap(from_fn(auth::audit_calls))
            .service(resource!("/openapi.json", get => openapi::serve))
            .service(resource!("/clients", get => clients::list, post => clients::create))
            .service(resource!("/clients/{id}",
                get => clients::get, put => clients::update, delete => clients::delete))
            .service(resource!("/clients/{id}/secret", post => clients::rotate_secret))
            .service(resource!("/clients/{id}/policy",
                get => clients::get_policy, put => clients::put_policy))
            .service(resource!("/scopes", get => scopes::list))
            .service(resource!("/scopes/{name}",
                get => scopes::get, put => scopes::put, delete => scopes::delete))
            .service(resource!("/users", get => users::list, post => users::create))
            .service(resource!("/users/{id}",
                get => users::get, put => users::update, delete => users::delete))
            .service(resource!("/users/{id}/disable", post => users::disable))
            .service(resource!("/users/{id}/enable", post => users::enable))
            .service(resource!("/users/{id}/sessions", get => sessions::list))
            .service(resource!("/users/{id}/sessions/{session}", delete => sessions::end))
            .service(resource!("/users/{id}/sign-in-failures",
                get => sessions::failures, delete => sessions::unlock))
            .service(resource!("/keys", get => keys::list))
            .service(resource!("/keys/rotate", post => keys::rotate))
            .service(resource!("/keys/{kid}/retire", post => keys::retire))
            .service(resource!("/keys/{kid}/revoke", post => keys::revoke))
            .service(resource!("/api-keys", get => api_keys::list, post => api_keys::create))
            .service(resource!("/api-keys/{id}", delete => api_keys::revoke))
            .service(resource!("/settings", get => settings::get, put => settings::update))
            .service(resource!("/audit", get => audit::list))
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
            Some(c) => schema::cursor(c).and_then(|()| {
                c.strip_prefix("o")
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| ApiError::bad_request("the cursor is not one this API gave"))
            }),
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
