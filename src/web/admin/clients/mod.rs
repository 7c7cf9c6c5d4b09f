//! `/admin/clients`: the list with search, registering a client, and its page
//! (where a new secret is shown once). The rules are `crate::idm::clients`', the
//! same the CLI applies; the form adds the validator crate's field checks.

pub mod integrate;
mod list;
mod policy;
mod register;
mod show;

use actix_web::web;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::store;
use crate::web::PageError;

pub use list::list;
pub use policy::{edit, save};
pub use register::{create, new};
pub use show::{confirm_delete, delete, disable, enable, rotate_secret, show};

/// Clients per page of the list.
const PAGE: i64 = 50;
/// The session key under which a new secret waits to be shown once.
const NEW_SECRET: &str = "admin_new_secret";

/// The non-empty lines of a textarea.
fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn load(
    state: &web::Data<AppState>,
    id: String,
) -> Result<store::clients::Client, PageError> {
    state
        .db
        .run(move |c| store::clients::find(c, &id).map_err(DbError::from))
        .await?
        .ok_or(PageError::NotFound)
}
