//! Clients kept in memory for the token endpoint's hot path. A cached copy is
//! only ever trusted together with a check in the same statement that the
//! client's `revision` is unchanged (see `store::tokens::insert_machine_tokens`),
//! so a client changed by another instance or by the CLI is never served
//! from a stale copy.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::client_auth::{self, Presented};
use super::error::OAuthError;
use crate::db::{Db, DbError};
use crate::store::clients::{self, Client};

/// More clients than this and the cache starts over (a deployment with that
/// many clients still gets hits; memory stays bounded).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct ClientCache {
    map: RwLock<HashMap<String, Arc<Client>>>,
}

impl ClientCache {
    pub fn get(&self, id: &str) -> Option<Arc<Client>> {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.get(id).cloned()
    }

    pub fn put(&self, client: Client) -> Arc<Client> {
        let client = Arc::new(client);
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(client.id.to_string(), client.clone());
        client
    }

    pub fn forget(&self, id: &str) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }

    /// The client the request authenticates as, from the cache when the cached
    /// copy accepts the credentials, else freshly from the database (a secret
    /// may have been rotated). A cached copy may be stale: whatever relies on
    /// it checks `client.revision` in the same statement (see `store::tokens`).
    pub async fn authenticate(
        &self,
        db: &Db,
        presented: &Presented,
    ) -> Result<Arc<Client>, OAuthError> {
        let id = presented.client_id().to_owned();
        if let Some(cached) = self.get(&id) {
            if client_auth::authenticate(&cached, presented).is_ok() {
                return Ok(cached);
            }
        }
        let found = db
            .run(move |c| clients::find(c, &id).map_err(DbError::from))
            .await?;
        let client = self
            .put(found.ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?);
        client_auth::authenticate(&client, presented)?;
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, revision: i64) -> Client {
        let mut c = crate::store::fixtures::client(id);
        c.revision = revision;
        c
    }

    #[test]
    fn put_get_forget() {
        let cache = ClientCache::default();
        assert!(cache.get("a").is_none());
        cache.put(client("a", 1));
        assert_eq!(cache.get("a").unwrap().revision, 1);
        cache.put(client("a", 2));
        assert_eq!(cache.get("a").unwrap().revision, 2);
        cache.forget("a");
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn stays_bounded() {
        let cache = ClientCache::default();
        for i in 0..CAPACITY + 5 {
            cache.put(client(&i.to_string(), 0));
        }
        assert!(cache.map.read().unwrap().len() <= CAPACITY);
        assert!(cache.get(&(CAPACITY + 4).to_string()).is_some());
    }
}
