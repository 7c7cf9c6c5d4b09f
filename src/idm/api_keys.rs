//! Admin API keys: created in the admin UI or with `keyward apikey create`,
//! shown once, stored only as SHA-256 digests, revocable. One set of rules for
//! the pages, the CLI and the API's authentication. Blocking.

use diesel::Connection;

use crate::crypto::secret::{self, SecretString};
use crate::db::DbConn;
use crate::store::{self, api_keys, api_keys::ApiKey, audit};

/// The prefix that makes a leaked key easy to spot.
pub const PREFIX: &str = "kw_ak_";

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("{message}")]
    Invalid { message: String },
    #[error("no such API key: {0}")]
    NotFound(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

/// The audit actor an API key acts as.
pub fn actor_id(key: &ApiKey) -> String {
    format!("apikey:{}", key.id)
}

/// Creates a key named `name` (1 to 100 characters); returns it and the
/// secret, which is never available again.
#[tracing::instrument(skip_all, fields(actor = %actor.id, name))]
pub fn create(
    conn: &mut DbConn,
    name: &str,
    actor: &audit::Actor,
) -> Result<(ApiKey, SecretString), ApiKeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiKeyError::Invalid {
            message: "Name the key in 1 to 100 characters (what uses it, e.g. \"terraform\")."
                .into(),
        });
    }
    let key = secret::generate(PREFIX);
    let row = ApiKey {
        id: store::new_id(),
        name: name.to_owned(),
        digest: key.digest(),
        created_by: Some(actor.id.clone()),
        created_at: store::now(),
        last_used_at: None,
        revoked_at: None,
    };
    conn.transaction(|c| {
        api_keys::insert(c, &row)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("apikey.create", true)
                .by(actor)
                .target(row.id.clone())
                .detail(serde_json::json!({ "name": row.name })),
        )?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok((row, key))
}

#[tracing::instrument(skip_all, fields(actor = %actor.id, id))]
pub fn revoke(conn: &mut DbConn, id: &str, actor: &audit::Actor) -> Result<(), ApiKeyError> {
    conn.transaction(|c| {
        if !api_keys::revoke(c, id, store::now())? {
            return Err(ApiKeyError::NotFound(id.to_owned()));
        }
        audit::record(
            c,
            &audit::NewAuditEvent::new("apikey.revoke", true)
                .by(actor)
                .target(id),
        )?;
        Ok(())
    })
}

/// The unrevoked key `presented` is, if any; notes its use (at most once a
/// minute, so a busy script does not write on every call).
pub fn authenticate(conn: &mut DbConn, presented: &str) -> diesel::QueryResult<Option<ApiKey>> {
    if !presented.starts_with(PREFIX) {
        return Ok(None);
    }
    let Some(key) = api_keys::find_active_by_digest(conn, &secret::digest(presented))? else {
        return Ok(None);
    };
    let now = store::now();
    if key.last_used_at.is_none_or(|t| now - t >= 60) {
        api_keys::touch(conn, &key.id, now)?;
    }
    Ok(Some(key))
}
