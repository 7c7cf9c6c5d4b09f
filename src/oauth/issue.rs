//! Minting tokens: opaque access tokens (stored by digest) or JWT access
//! tokens per RFC 9068 (`typ: at+jwt`, the `jti` recorded so they can be
//! revoked and introspected). Blocking: call it inside a database unit of work.

use serde_json::json;

use crate::crypto::keys::Algorithm;
use crate::crypto::secret::{self, SecretString};
use crate::db::DbConn;
use crate::idm::site::Lifetimes;
use crate::keys::ring::{KeyRing, KeyRingError};
use crate::store::{self, clients::Client, tokens};

/// Who issues tokens: the issuer URL and the server's default lifetimes.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub url: String,
    pub lifetimes: Lifetimes,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Signing(#[from] KeyRingError),
    #[error("no active signing key")]
    NoSigningKey,
}

impl From<IssueError> for crate::oauth::error::OAuthError {
    fn from(e: IssueError) -> Self {
        tracing::error!(error = %e, "issuing a token failed");
        crate::oauth::error::OAuthError::server_error("the token could not be issued")
    }
}

/// The algorithm new JWTs are signed with: the first of RS256, ES256, EdDSA
/// that has an active key (RS256 is the OIDC default).
pub fn signing_alg(ring: &KeyRing) -> Option<Algorithm> {
    let active = ring.snapshot().active_algorithms();
    Algorithm::ALL.into_iter().find(|a| active.contains(a))
}

/// What an access token is for.
pub struct Grant<'a> {
    pub client: &'a Client,
    pub user_id: Option<&'a str>,
    pub scope: &'a [String],
    pub family_id: Option<&'a str>,
    pub auth_time: Option<i64>,
}

/// Mints an access token and the row that records it, without storing it:
/// the token, its lifetime in seconds, and the row.
pub fn mint_access(
    ring: &KeyRing,
    issuer: &Issuer,
    grant: &Grant,
    now: i64,
) -> Result<(SecretString, i64, tokens::Token), IssueError> {
    let ttl = grant
        .client
        .access_token_ttl
        .unwrap_or(issuer.lifetimes.access);
    let id = store::new_id();
    let scope = store::join_list(grant.scope);
    let (token, format) = if grant.client.token_format == tokens::FORMAT_JWT {
        let alg = signing_alg(ring).ok_or(IssueError::NoSigningKey)?;
        let mut claims = json!({
            "iss": issuer.url,
            "sub": grant.user_id.unwrap_or(&grant.client.id),
            "aud": issuer.url,
            "client_id": grant.client.id,
            "scope": scope,
            "jti": id,
            "iat": now,
            "exp": now + ttl,
        });
        if let Some(t) = grant.auth_time {
            claims["auth_time"] = json!(t);
        }
        (
            SecretString::new(ring.sign(alg, "at+jwt", &claims)?),
            tokens::FORMAT_JWT,
        )
    } else {
        (secret::generate("kw_at_"), tokens::FORMAT_OPAQUE)
    };
    let row = tokens::Token {
        id,
        digest: token.digest(),
        kind: tokens::KIND_ACCESS.into(),
        format: format.into(),
        client_id: grant.client.id.clone(),
        user_id: grant.user_id.map(str::to_owned),
        scope,
        family_id: grant.family_id.map(str::to_owned),
        auth_time: grant.auth_time,
        created_at: now,
        expires_at: now + ttl,
        family_expires_at: None,
        rotated_at: None,
        revoked_at: None,
    };
    Ok((token, ttl, row))
}

/// Mints a refresh token of `family`, which ends at `family_end` however
/// often it rotates (ASVS 10.4.8: an absolute lifetime), and the row that
/// records it, without storing it.
pub fn mint_refresh(grant: &Grant, family_end: i64, now: i64) -> (SecretString, tokens::Token) {
    let token = secret::generate("kw_rt_");
    let row = tokens::Token {
        id: store::new_id(),
        digest: token.digest(),
        kind: tokens::KIND_REFRESH.into(),
        format: tokens::FORMAT_OPAQUE.into(),
        client_id: grant.client.id.clone(),
        user_id: grant.user_id.map(str::to_owned),
        scope: store::join_list(grant.scope),
        family_id: grant.family_id.map(str::to_owned),
        auth_time: grant.auth_time,
        created_at: now,
        expires_at: family_end,
        family_expires_at: Some(family_end),
        rotated_at: None,
        revoked_at: None,
    };
    (token, row)
}

/// The end of a new refresh family that starts `now`.
pub fn family_end(client: &Client, defaults: &Lifetimes, now: i64) -> i64 {
    now + client.refresh_token_ttl.unwrap_or(defaults.refresh)
}

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the hash of the access
/// token, with the hash of the signing algorithm (SHA-512 for Ed25519).
pub fn at_hash(alg: Algorithm, access_token: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::Digest;
    let full: Vec<u8> = match alg {
        Algorithm::EdDSA => sha2::Sha512::digest(access_token.as_bytes()).to_vec(),
        _ => sha2::Sha256::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&full[..full.len() / 2])
}

/// What an ID token says beyond the protocol claims.
pub struct IdTokenContent<'a> {
    pub user: &'a store::users::User,
    pub client: &'a Client,
    pub scope: &'a [String],
    pub nonce: Option<&'a str>,
    pub auth_time: Option<i64>,
    pub access_token: &'a str,
    pub lifetime: i64,
}

pub fn id_token(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    content: &IdTokenContent,
    now: i64,
) -> Result<String, IssueError> {
    let alg = signing_alg(ring).ok_or(IssueError::NoSigningKey)?;
    let scopes = store::scopes::find_many(conn, content.scope)?;
    let mut claims = crate::oidc::claims::for_scopes(content.user, &scopes, content.scope);
    let client_id = &content.client.id;
    for (k, v) in [
        ("iss", json!(issuer.url)),
        ("sub", json!(content.user.id)),
        ("aud", json!(client_id)),
        ("azp", json!(client_id)),
        ("iat", json!(now)),
        ("exp", json!(now + content.lifetime)),
        ("at_hash", json!(at_hash(alg, content.access_token))),
    ] {
        claims.insert(k.into(), v);
    }
    if let Some(t) = content.auth_time {
        claims.insert("auth_time".into(), json!(t));
    }
    if let Some(n) = content.nonce {
        claims.insert("nonce".into(), json!(n));
    }
    Ok(ring.sign(alg, "JWT", &serde_json::Value::Object(claims))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core Appendix A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
        // at_hash "77QmUPtjPfzWtF2AnpK9RQ" (RS256).
        assert_eq!(
            at_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
