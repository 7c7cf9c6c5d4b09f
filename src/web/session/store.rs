//! The actix-session store over the `sessions` table (both backends, shared
//! by every instance). The cookie carries a random id (signed with the cookie
//! key); the row is found by the id's digest, and the session's state is
//! sealed with a key derived from the id, so neither a copy of the table nor
//! a copy of the cookie key opens or reads a session.
//!
//! Columns that the session list shows (user, address, device, times, how
//! the user signed in) are mirrored from well-known state entries on write.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use anyhow::anyhow;

use crate::crypto::{seal, secret};
use crate::db::{Db, DbError};
use crate::idm::site;
use crate::store::sessions::{self, SessionChange, SessionRow, TOUCH_EVERY_SECS};
use crate::store::{self, types::UserId, users::User};

/// The prefix of a session id; ids kept with "Keep me signed in" end in
/// [`REMEMBER_SUFFIX`], which is how the cookie gets its `Max-Age`.
pub const ID_PREFIX: &str = "kw_ss_";
pub const REMEMBER_SUFFIX: &str = ".r";

/// State entries the store mirrors into columns.
pub mod entry {
    pub const USER_ID: &str = "uid";
    pub const AUTH_TIME: &str = "auth_time";
    pub const AMR: &str = "amr";
    pub const ADDRESS: &str = "address";
    pub const USER_AGENT: &str = "user_agent";
    pub const REMEMBER: &str = "remember";
    /// The row's public id, added on load (never stored in the state).
    pub const SESSION_ID: &str = "~sid";
    /// The user's row as read with the session, added on load (never stored).
    pub const USER_ROW: &str = "~user";
}

/// A session nobody has signed in to ends after an hour unused, and within
/// a day however used.
pub const ANONYMOUS_IDLE_SECS: i64 = 3_600;
pub const ANONYMOUS_LIFETIME_SECS: i64 = 86_400;

const SEAL_PURPOSE: &str = "keyward session state";
const SEAL_AAD: &[u8] = b"sessions.data";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }
}

type State = HashMap<String, String>;

fn entry<T: serde::de::DeserializeOwned>(state: &State, key: &str) -> Option<T> {
    state.get(key).and_then(|v| serde_json::from_str(v).ok())
}

fn seal_state(secret: &str, state: &State) -> anyhow::Result<String> {
    let json = serde_json::to_vec(state)?;
    Ok(seal::seal(
        &seal::derive_key(SEAL_PURPOSE, secret),
        SEAL_AAD,
        &json,
    )?)
}

fn open_state(secret: &str, sealed: &str) -> Option<State> {
    let json = seal::open(&seal::derive_key(SEAL_PURPOSE, secret), SEAL_AAD, sealed).ok()?;
    serde_json::from_slice(&json).ok()
}

fn change(secret: &str, mut state: State, now: i64) -> anyhow::Result<SessionChange> {
    state.remove(entry::SESSION_ID);
    state.remove(entry::USER_ROW);
    let state = &state;
    Ok(SessionChange {
        user_id: entry::<String>(state, entry::USER_ID).map(UserId::from),
        data: seal_state(secret, state)?,
        last_seen_at: now,
        address: entry(state, entry::ADDRESS),
        user_agent: entry(state, entry::USER_AGENT),
        auth_time: entry(state, entry::AUTH_TIME),
        amr: entry::<Vec<String>>(state, entry::AMR)
            .map(|m| serde_json::Value::from(m).to_string()),
    })
}

fn unavailable(e: DbError) -> anyhow::Error {
    anyhow!("the session store is unavailable: {e}")
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let secret = key.as_ref().to_owned();
        if !secret.starts_with(ID_PREFIX) {
            return Ok(None);
        }
        let digest = secret::digest(&secret);
        let found = self
            .db
            .run(
                move |c| -> Result<Option<(SessionRow, Option<User>)>, DbError> {
                    let now = store::now();
                    let found =
                        sessions::find_with_user(c, &digest)?.filter(|(r, _)| r.is_live(now));
                    if let Some((r, _)) = &found {
                        if now - r.last_seen_at >= TOUCH_EVERY_SECS {
                            sessions::touch(c, &digest, now)?;
                        }
                    }
                    Ok(found)
                },
            )
            .await
            .map_err(|e| LoadError::Other(unavailable(e)))?;
        // A row that does not open (altered, or not this id's) is no session.
        Ok(found.and_then(|(r, user)| {
            let mut state = open_state(&secret, &r.data)?;
            state.insert(
                entry::SESSION_ID.into(),
                serde_json::Value::from(r.id).to_string(),
            );
            if let Some(u) = user {
                state.insert(entry::USER_ROW.into(), serde_json::to_string(&u).ok()?);
            }
            Some(state)
        }))
    }

    async fn save(&self, state: State, _ttl: &Duration) -> Result<SessionKey, SaveError> {
        let remember = entry::<bool>(&state, entry::REMEMBER).unwrap_or(false);
        let secret = format!(
            "{}{}",
            secret::generate(ID_PREFIX).expose(),
            if remember { REMEMBER_SUFFIX } else { "" }
        );
        let now = store::now();
        let change = change(&secret, state, now).map_err(SaveError::Other)?;
        let digest = secret::digest(&secret);
        self.db
            .run(move |c| -> Result<(), DbError> {
                let policy = site::session_policy(c)?;
                let (idle_timeout, lifetime) = if remember {
                    (0, policy.remember_lifetime)
                } else if change.user_id.is_none() {
                    // Nobody signed in (a sign-in form, the setup wizard):
                    // anyone can make these, so they go soon.
                    (
                        policy.idle_timeout.min(ANONYMOUS_IDLE_SECS),
                        policy.lifetime.min(ANONYMOUS_LIFETIME_SECS),
                    )
                } else {
                    (policy.idle_timeout, policy.lifetime)
                };
                sessions::insert(
                    c,
                    &SessionRow {
                        id: store::new_id(),
                        secret_digest: digest,
                        user_id: change.user_id,
                        data: change.data,
                        persistent: remember,
                        created_at: now,
                        last_seen_at: now,
                        idle_timeout,
                        expires_at: now + lifetime,
                        address: change.address,
                        user_agent: change.user_agent,
                        auth_time: change.auth_time,
                        amr: change.amr,
                    },
                )?;
                Ok(())
            })
            .await
            .map_err(|e| SaveError::Other(unavailable(e)))?;
        SessionKey::try_from(secret).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let secret = key.as_ref().to_owned();
        let change = change(&secret, state, store::now()).map_err(UpdateError::Other)?;
        let digest = secret::digest(&secret);
        // A session ended meanwhile (signed out elsewhere) stays ended: the
        // update finds no row, and the next request starts afresh.
        self.db
            .run(move |c| sessions::update(c, &digest, &change).map_err(DbError::from))
            .await
            .map_err(|e| UpdateError::Other(unavailable(e)))?;
        Ok(key)
    }

    async fn update_ttl(&self, _key: &SessionKey, _ttl: &Duration) -> Result<(), anyhow::Error> {
        // Lifetimes are the row's own (set at sign-in); use is noted on load.
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let digest = secret::digest(key.as_ref());
        self.db
            .run(move |c| {
                crate::db::durably(c, |c| sessions::delete_by_digest(c, &digest))
                    .map_err(DbError::from)
            })
            .await
            .map_err(unavailable)
    }
}
