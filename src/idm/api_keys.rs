//! Admin API keys: created in the admin UI or with `keyward apikey create`,
//! shown once, stored only as SHA-256 digests, revocable, optionally expiring.
//! A key made in the admin UI belongs to the admin who made it and works only
//! while that person is an enabled administrator: disabling or deleting them,
//! or taking their admin role, stops their keys at once. Keys made with the
//! CLI (on the server itself) belong to no person. One set of rules for the
//! pages, the CLI and the API's authentication. Blocking.

use crate::crypto::secret::{self, SecretString};
use crate::db::DbConn;
use crate::store::{self, api_keys, api_keys::ApiKey, audit, users, users::User};

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

impl crate::db::Contention for ApiKeyError {
    fn is_contention(&self) -> bool {
        matches!(self, ApiKeyError::Db(e) if crate::db::is_contention(e))
    }
}

/// The audit actor an API key acts as.
pub fn actor_id(key: &ApiKey) -> String {
    format!("apikey:{}", key.id)
}

/// The `created_by` of keys made with the CLI: no person.
pub const CLI_OWNER: &str = "cli";
/// Days a key may be made to last, at most.
pub const MAX_EXPIRY_DAYS: i64 = 3_650;

/// Creates a key named `name` (1 to 100 characters), expiring after
/// `expires_in_days` (1 to 3650) if given; returns it and the secret, which
/// is never available again. `actor` is its owner: a person's id, or the CLI.
pub fn create(
    conn: &mut DbConn,
    name: &str,
    expires_in_days: Option<i64>,
    actor: &audit::Actor,
) -> Result<(ApiKey, SecretString), ApiKeyError> {
    create_owned(conn, name, expires_in_days, &actor.id, actor)
}

/// [`create`] for `owner` (a person's id, or [`CLI_OWNER`]), made by
/// `actor` (an API key acting for its owner, say).
#[tracing::instrument(skip_all, fields(actor = %actor.id, name))]
pub fn create_owned(
    conn: &mut DbConn,
    name: &str,
    expires_in_days: Option<i64>,
    owner: &str,
    actor: &audit::Actor,
) -> Result<(ApiKey, SecretString), ApiKeyError> {
    if expires_in_days.is_some_and(|d| !(1..=MAX_EXPIRY_DAYS).contains(&d)) {
        return Err(ApiKeyError::Invalid {
            message: format!("Give the expiry in days, 1 to {MAX_EXPIRY_DAYS}, or none."),
        });
    }
    if crate::util::text::is_blank(name) || name.chars().count() > 100 {
        return Err(ApiKeyError::Invalid {
            message: "Name the key in 1 to 100 characters (what uses it, e.g. \"terraform\")."
                .into(),
        });
    }
    let key = secret::generate(PREFIX);
    let now = store::now();
    let row = ApiKey {
        id: store::new_id(),
        name: name.trim().to_owned(),
        digest: key.digest(),
        created_by: Some(owner.to_owned()),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
        expires_at: expires_in_days.map(|d| now + d * 86_400),
    };
    crate::db::transaction(conn, |c| {
        api_keys::insert(c, &row)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("apikey.create", true)
                .by(actor)
                .target(row.id.clone())
                .detail(serde_json::json!({ "name": row.name, "expires_at": row.expires_at })),
        )?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok((row, key))
}

#[tracing::instrument(skip_all, fields(actor = %actor.id, id))]
pub fn revoke(conn: &mut DbConn, id: &str, actor: &audit::Actor) -> Result<(), ApiKeyError> {
    crate::db::transaction(conn, |c| {
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

/// Whether a key works now, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Active,
    Revoked,
    Expired,
    /// Its owner is disabled, deleted, or no longer an administrator.
    OwnerInactive,
}

impl KeyState {
    pub fn describe(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Revoked => "revoked",
            KeyState::Expired => "expired",
            KeyState::OwnerInactive => "stopped: its owner is no longer an active admin",
        }
    }
}

/// The state of `key`, given its owner's row (`None`: no such person).
pub fn state(key: &ApiKey, owner: Option<&User>, now: i64) -> KeyState {
    if key.revoked_at.is_some() {
        return KeyState::Revoked;
    }
    if key.expires_at.is_some_and(|e| e <= now) {
        return KeyState::Expired;
    }
    let by_cli = key.created_by.as_deref() == Some(CLI_OWNER);
    if !by_cli && !owner.is_some_and(|u| u.is_admin && !u.disabled) {
        return KeyState::OwnerInactive;
    }
    KeyState::Active
}

fn owner_of(conn: &mut DbConn, key: &ApiKey) -> diesel::QueryResult<Option<User>> {
    match key.created_by.as_deref() {
        None | Some(CLI_OWNER) => Ok(None),
        Some(id) => users::find(conn, id),
    }
}

/// A key as the lists show it: with its owner's name and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyView {
    pub key: ApiKey,
    /// The owner's username; `None` for CLI keys or a deleted owner.
    pub owner: Option<String>,
    pub state: KeyState,
}

pub fn list(conn: &mut DbConn, now: i64) -> diesel::QueryResult<Vec<KeyView>> {
    let keys = api_keys::list(conn)?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let owner = owner_of(conn, &key)?;
        out.push(KeyView {
            state: state(&key, owner.as_ref(), now),
            owner: owner.map(|u| u.username),
            key,
        });
    }
    Ok(out)
}

/// The working key `presented` is, if any: unrevoked, unexpired, and owned
/// by an enabled administrator (or made with the CLI). Notes its use (at
/// most once a minute, so a busy script does not write on every call).
pub fn authenticate(conn: &mut DbConn, presented: &str) -> diesel::QueryResult<Option<ApiKey>> {
    if !presented.starts_with(PREFIX) {
        return Ok(None);
    }
    let Some(key) = api_keys::find_active_by_digest(conn, &secret::digest(presented))? else {
        return Ok(None);
    };
    let now = store::now();
    let owner = owner_of(conn, &key)?;
    if state(&key, owner.as_ref(), now) != KeyState::Active {
        return Ok(None);
    }
    if key.last_used_at.is_none_or(|t| now - t >= 60) {
        api_keys::touch(conn, &key.id, now)?;
    }
    Ok(Some(key))
}
