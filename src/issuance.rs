//! Minting tokens: opaque access tokens (stored by digest) or JWT access
//! tokens per RFC 9068 (`typ: at+jwt`, the `jti` recorded so they can be
//! revoked and introspected). Blocking: call it inside a database unit of work.

use serde_json::json;

use crate::crypto::keys::Algorithm;
use crate::crypto::secret::{self, SecretString};
use crate::db::DbConn;
use crate::keyring::{KeyRing, KeyRingError};
use crate::store::{self, clients::Client, tokens};

/// Server defaults when a client's policy names no lifetime.
pub const DEFAULT_ACCESS_TTL: i64 = 3600;
pub const DEFAULT_REFRESH_TTL: i64 = 30 * 86_400;

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Signing(#[from] KeyRingError),
    #[error("no active signing key")]
    NoSigningKey,
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

/// Mints and stores an access token; returns it and its lifetime in seconds.
pub fn access_token(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &str,
    grant: &Grant,
    now: i64,
) -> Result<(SecretString, i64), IssueError> {
    let ttl = grant.client.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TTL);
    let id = store::new_id();
    let scope = store::join_list(grant.scope);
    let (token, format) = if grant.client.token_format == tokens::FORMAT_JWT {
        let alg = signing_alg(ring).ok_or(IssueError::NoSigningKey)?;
        let mut claims = json!({
            "iss": issuer,
            "sub": grant.user_id.unwrap_or(&grant.client.id),
            "aud": issuer,
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
    tokens::insert(
        conn,
        &tokens::Token {
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
        },
    )?;
    Ok((token, ttl))
}
