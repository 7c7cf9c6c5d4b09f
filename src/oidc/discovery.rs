//! The metadata documents (OpenID Connect Discovery 1.0 §3 and RFC 8414 §2) and
//! the JWKS, rendered once per change and served from memory.
//!
//! They advertise only what this build implements. Each capability adds its
//! endpoint and values here when it lands.

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::crypto::keys::Algorithm;
use crate::db::DbConn;
use crate::keys::ring::{KeyRing, KeyRingError};
use crate::oauth::issue::{Issuer, Lifetimes};
use crate::store::{self, settings};

pub const OPENID_CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";
pub const OAUTH_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const TOKEN_PATH: &str = "/token";

/// An endpoint's URL under the issuer (which may end in `/`).
pub fn endpoint(issuer: &str, path: &str) -> String {
    format!("{}{path}", issuer.trim_end_matches('/'))
}

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

/// The default lifetimes the settings hold (built-in ones where unset).
pub fn lifetimes(conn: &mut DbConn) -> diesel::QueryResult<Lifetimes> {
    let read = |c: &mut DbConn, key: &str, default: i64| -> diesel::QueryResult<i64> {
        Ok(settings::get(c, key)?
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v > 0)
            .unwrap_or(default))
    };
    let builtin = Lifetimes::default();
    Ok(Lifetimes {
        access: read(conn, settings::DEFAULT_ACCESS_TTL, builtin.access)?,
        refresh: read(conn, settings::DEFAULT_REFRESH_TTL, builtin.refresh)?,
    })
}

/// What the documents are made of, read from the database.
pub struct Inputs<'a> {
    pub issuer: &'a str,
    pub scopes: &'a [store::scopes::Scope],
    pub signing_algs: &'a [Algorithm],
}

/// The OpenID Provider metadata. RFC 8414 metadata is the same object: every
/// member here is defined for both.
pub fn render(inputs: &Inputs) -> Value {
    let issuer = inputs.issuer;
    let scopes: Vec<&str> = inputs.scopes.iter().map(|s| s.name.as_str()).collect();
    let mut claims: Vec<String> = vec!["sub".into()];
    for scope in inputs.scopes {
        for claim in scope.claim_names() {
            if !claims.contains(&claim) {
                claims.push(claim);
            }
        }
    }
    // Only algorithms with an active key: a listed algorithm must be one the
    // server can sign with. Setup creates an RS256 key by default, the one
    // OIDC Discovery §3 requires.
    let algs: Vec<&str> = inputs.signing_algs.iter().map(|a| a.as_str()).collect();
    let mut doc = Map::new();
    doc.insert("issuer".into(), json!(issuer));
    doc.insert("jwks_uri".into(), json!(endpoint(issuer, JWKS_PATH)));
    doc.insert("scopes_supported".into(), json!(scopes));
    doc.insert("claims_supported".into(), json!(claims));
    doc.insert(
        "authorization_endpoint".into(),
        json!(endpoint(issuer, "/authorize")),
    );
    doc.insert("token_endpoint".into(), json!(endpoint(issuer, TOKEN_PATH)));
    doc.insert(
        "userinfo_endpoint".into(),
        json!(endpoint(issuer, "/userinfo")),
    );
    doc.insert(
        "introspection_endpoint".into(),
        json!(endpoint(issuer, "/introspect")),
    );
    doc.insert(
        "revocation_endpoint".into(),
        json!(endpoint(issuer, "/revoke")),
    );
    doc.insert(
        "end_session_endpoint".into(),
        json!(endpoint(issuer, "/end_session")),
    );
    doc.insert("response_types_supported".into(), json!(["code"]));
    doc.insert("response_modes_supported".into(), json!(["query"]));
    doc.insert(
        "grant_types_supported".into(),
        json!(["authorization_code", "refresh_token", "client_credentials"]),
    );
    doc.insert(
        "token_endpoint_auth_methods_supported".into(),
        json!(["client_secret_basic", "client_secret_post", "none"]),
    );
    doc.insert(
        "introspection_endpoint_auth_methods_supported".into(),
        json!(["client_secret_basic", "client_secret_post"]),
    );
    doc.insert(
        "revocation_endpoint_auth_methods_supported".into(),
        json!(["client_secret_basic", "client_secret_post", "none"]),
    );
    doc.insert("code_challenge_methods_supported".into(), json!(["S256"]));
    doc.insert("subject_types_supported".into(), json!(["public"]));
    doc.insert("id_token_signing_alg_values_supported".into(), json!(algs));
    doc.insert(
        "prompt_values_supported".into(),
        json!(["none", "login", "consent"]),
    );
    doc.insert(
        "authorization_response_iss_parameter_supported".into(),
        json!(true),
    );
    doc.insert("claims_parameter_supported".into(), json!(false));
    doc.insert("request_parameter_supported".into(), json!(false));
    doc.insert("request_uri_parameter_supported".into(), json!(false));
    Value::Object(doc)
}

/// The issuer in force: the environment's, else the one setup stored.
pub fn issuer(conn: &mut DbConn, configured: Option<&str>) -> diesel::QueryResult<Option<String>> {
    match configured {
        Some(i) => Ok(Some(i.to_owned())),
        None => settings::get(conn, settings::ISSUER),
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
/// revokes retired keys past retention, reloads keys if their version moved,
/// and re-renders the documents if keys, scopes or the issuer changed. Cheap
/// when nothing changed (two small reads).
pub fn sync(
    conn: &mut DbConn,
    ring: &KeyRing,
    publisher: &Publisher,
    configured_issuer: Option<&str>,
) -> Result<bool, KeyRingError> {
    if let Err(e) = crate::keys::lifecycle::expire_retired(conn, store::now()) {
        tracing::warn!(error = %e, "ending the retention of retired keys failed");
    }
    ring.refresh(conn)?;
    let keys = ring.snapshot();
    let metadata_version = metadata_version(conn)?;
    let current = publisher.snapshot();
    let issuer = issuer(conn, configured_issuer)?;
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
        lifetimes: lifetimes(conn)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_name_the_issuer_and_list_scopes_and_claims() {
        let scopes = vec![
            store::scopes::Scope::new("openid", "", &["sub".into()]),
            store::scopes::Scope::new("email", "", &["email".into(), "email_verified".into()]),
        ];
        let doc = render(&Inputs {
            issuer: "https://id.example",
            scopes: &scopes,
            signing_algs: &[Algorithm::ES256],
        });
        assert_eq!(doc["issuer"], "https://id.example");
        assert_eq!(doc["jwks_uri"], "https://id.example/.well-known/jwks.json");
        assert_eq!(doc["scopes_supported"], json!(["openid", "email"]));
        assert_eq!(
            doc["claims_supported"],
            json!(["sub", "email", "email_verified"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["ES256"])
        );
        assert_eq!(doc["subject_types_supported"], json!(["public"]));
        assert_eq!(doc["request_uri_parameter_supported"], json!(false));
    }
}
