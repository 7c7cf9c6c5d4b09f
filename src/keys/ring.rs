//! The in-memory key ring: every published key parsed once, the active key per
//! algorithm, and the pre-rendered JWKS. A new set is built off to the side and
//! swapped in atomically, so requests never see half a rotation. Instances that
//! share a database notice a rotation through the `keys_version` setting.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde_json::{json, Value};

use crate::crypto::jwt::{self, JwtError, LoadedKey, Verified};
use crate::crypto::keys::{self, Algorithm, KeyEncryptionKey, KeyError};
use crate::db::DbConn;
use crate::store::types::KeyStatus;
use crate::store::{self, settings};

/// One consistent view of the published keys.
#[derive(Debug, Default)]
pub struct KeySet {
    /// The `keys_version` setting this set was loaded at.
    pub version: i64,
    keys: BTreeMap<String, Arc<LoadedKey>>,
    active: BTreeMap<Algorithm, Arc<LoadedKey>>,
    /// `{"keys": [...]}`, public members only, rendered once.
    pub jwks: bytes::Bytes,
}

impl KeySet {
    pub fn get(&self, kid: &str) -> Option<Arc<LoadedKey>> {
        self.keys.get(kid).cloned()
    }

    pub fn active(&self, alg: Algorithm) -> Option<Arc<LoadedKey>> {
        self.active.get(&alg).cloned()
    }

    /// Algorithms with an active key, RS256 first (the OIDC default).
    pub fn active_algorithms(&self) -> Vec<Algorithm> {
        self.active.keys().copied().collect()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("no active {0} signing key")]
    NoActiveKey(Algorithm),
    #[error(transparent)]
    Jwt(#[from] JwtError),
}

/// Reads the published keys and the version from the database and parses
/// them. Any key that cannot be opened (missing or wrong encryption key, a
/// corrupt row) fails the whole load: start-up stops and touches nothing.
pub fn load(conn: &mut DbConn, kek: Option<&KeyEncryptionKey>) -> Result<KeySet, KeyRingError> {
    let version = settings::get(conn, settings::KEYS_VERSION)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let rows = store::keys::list_published(conn)?;
    let mut set = KeySet {
        version,
        ..KeySet::default()
    };
    let mut published = Vec::with_capacity(rows.len());
    for row in rows {
        let alg: Algorithm = row.alg.parse()?;
        let pem = keys::open_private_key(kek, &row.kid, &row.private_key, row.encrypted)?;
        let key = Arc::new(LoadedKey::from_pem(&row.kid, alg, &pem)?);
        if row.status == KeyStatus::Active {
            // Rows come newest first: the newest active key of an algorithm signs.
            set.active.entry(alg).or_insert_with(|| key.clone());
        }
        published.push(key.public_jwk.clone());
        set.keys.insert(row.kid.into_string(), key);
    }
    set.jwks = bytes::Bytes::from(json!({ "keys": published }).to_string());
    Ok(set)
}

/// The ring shared by all workers.
pub struct KeyRing {
    current: RwLock<Arc<KeySet>>,
    kek: Option<KeyEncryptionKey>,
}

impl KeyRing {
    pub fn new(set: KeySet, kek: Option<KeyEncryptionKey>) -> Self {
        KeyRing {
            current: RwLock::new(Arc::new(set)),
            kek,
        }
    }

    pub fn encryption_key(&self) -> Option<&KeyEncryptionKey> {
        self.kek.as_ref()
    }

    /// The current set; cheap (one Arc clone under a read lock).
    pub fn snapshot(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, set: KeySet) {
        let set = Arc::new(set);
        match self.current.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// Reloads from the database if its version moved on; returns whether it did.
    pub fn refresh(&self, conn: &mut DbConn) -> Result<bool, KeyRingError> {
        let version = settings::get(conn, settings::KEYS_VERSION)?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if version == self.snapshot().version {
            return Ok(false);
        }
        let set = load(conn, self.kek.as_ref())?;
        self.replace(set);
        Ok(true)
    }

    /// Signs with the active key of `alg`.
    pub fn sign(&self, alg: Algorithm, typ: &str, claims: &Value) -> Result<String, KeyRingError> {
        self.sign_naming_key(alg, typ, claims)
            .map(|(token, _)| token)
    }

    /// [`KeyRing::sign`], also naming the key that signed (its `kid`), for
    /// tokens that must stop working when that key is revoked.
    pub fn sign_naming_key(
        &self,
        alg: Algorithm,
        typ: &str,
        claims: &Value,
    ) -> Result<(String, String), KeyRingError> {
        let key = self
            .snapshot()
            .active(alg)
            .ok_or(KeyRingError::NoActiveKey(alg))?;
        Ok((jwt::sign(&key, typ, claims)?, key.kid.clone()))
    }

    /// Verifies against the published keys (active or retired).
    pub fn verify(&self, token: &str) -> Result<Verified, JwtError> {
        let set = self.snapshot();
        jwt::verify(token, |kid| set.get(kid))
    }
}
