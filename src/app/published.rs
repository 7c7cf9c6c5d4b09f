//! What this instance publishes: the metadata documents and the JWKS, the
//! issuer, the organisation name, the CORS origins and the default token
//! lifetimes, rendered once per change and served from memory. `sync` brings
//! them up to date with the database (every instance runs it on a timer);
//! `AppState::republish` runs it at once after a change made here.

use std::sync::{Arc, RwLock};

use bytes::Bytes;

use crate::db::DbConn;
use crate::idm::site;
use crate::idm::site::Lifetimes;
use crate::keys::ring::{KeyRing, KeyRingError};
use crate::oauth::issue::Issuer;
use crate::oidc::discovery::{render, Inputs};
use crate::store::{self, settings};

/// The rendered documents at one (keys, metadata) version.
#[derive(Debug, Default)]
pub struct Documents {
    pub keys_version: i64,
    pub metadata_version: i64,
    pub issuer: Option<String>,
    /// The organisation name pages show, once setup stored it.
    pub org_name: Option<String>,
    /// Origins of registered http(s) redirect URIs: browser apps there may
    /// call the token and userinfo endpoints (CORS).
    pub cors_origins: std::collections::HashSet<String>,
    /// Token lifetimes for clients whose policy names none.
    pub lifetimes: Lifetimes,
    /// `None` until the issuer is known.
    pub openid_configuration: Option<Bytes>,
    pub oauth_metadata: Option<Bytes>,
}

impl Documents {
    /// The issuer and default lifetimes tokens are minted with, once the
    /// issuer is known.
    pub fn token_issuer(&self) -> Option<Issuer> {
        self.issuer.as_ref().map(|url| Issuer {
            url: url.clone(),
            lifetimes: self.lifetimes,
        })
    }
}

fn metadata_version(conn: &mut DbConn) -> diesel::QueryResult<i64> {
    Ok(settings::get(conn, settings::METADATA_VERSION)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The origins (`scheme://host[:port]`) of every http(s) redirect URI of an
/// enabled client.
fn cors_origins(conn: &mut DbConn) -> diesel::QueryResult<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    for client in store::clients::list(conn, None, i64::MAX, 0)? {
        if client.disabled {
            continue;
        }
        for uri in client.redirect_uri_list() {
            if let Ok(u) = url::Url::parse(&uri) {
                if matches!(u.scheme(), "http" | "https") {
                    out.insert(u.origin().ascii_serialization());
                }
            }
        }
    }
    Ok(out)
}

/// Holds the current documents; swapped atomically on change.
#[derive(Default)]
pub struct Publisher {
    current: RwLock<Arc<Documents>>,
}

impl Publisher {
    pub fn snapshot(&self) -> Arc<Documents> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn replace(&self, docs: Documents) {
        let docs = Arc::new(docs);
        match self.current.write() {
            Ok(mut g) => *g = docs,
            Err(p) => *p.into_inner() = docs,
        }
    }
}

/// Brings the key ring and the documents up to date with the database:
/// reloads keys if their version moved,
/// and re-renders the documents if keys, scopes or the issuer changed. Cheap
/// when nothing changed (two small reads).
pub fn sync(
    conn: &mut DbConn,
    ring: &KeyRing,
    publisher: &Publisher,
    configured_issuer: Option<&str>,
) -> Result<bool, KeyRingError> {
    ring.refresh(conn)?;
    let keys = ring.snapshot();
    let metadata_version = metadata_version(conn)?;
    let current = publisher.snapshot();
    let issuer = site::issuer(conn, configured_issuer)?;
    let org_name = settings::get(conn, settings::ORG_NAME)?;
    if current.openid_configuration.is_some() == issuer.is_some()
        && current.keys_version == keys.version
        && current.metadata_version == metadata_version
        && current.issuer == issuer
        && current.org_name == org_name
    {
        return Ok(false);
    }
    let mut docs = Documents {
        keys_version: keys.version,
        metadata_version,
        issuer: issuer.clone(),
        org_name,
        cors_origins: cors_origins(conn)?,
        lifetimes: site::lifetimes(conn)?,
        ..Documents::default()
    };
    if let Some(issuer) = issuer.as_deref() {
        let scopes = store::scopes::list(conn)?;
        let algs = keys.active_algorithms();
        let doc = render(&Inputs {
            issuer,
            scopes: &scopes,
            signing_algs: &algs,
        });
        let bytes = Bytes::from(doc.to_string());
        docs.openid_configuration = Some(bytes.clone());
        docs.oauth_metadata = Some(bytes);
    }
    publisher.replace(docs);
    Ok(true)
}
