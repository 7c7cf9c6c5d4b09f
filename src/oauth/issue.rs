//! Minting tokens: opaque access tokens (stored by digest) or JWT access
//! tokens per RFC 9068 (`typ: at+jwt`, the `jti` recorded so they can be
//! revoked and introspected). Blocking: call it inside a database unit of work.

use serde_json::json;

use crate::crypto::keys::Algorithm;
use crate::crypto::secret::{self, SecretString};
use crate::db::DbConn;
use crate::idm::site::Lifetimes;
use crate::keys::ring::{KeyRing, KeyRingError};
use crate::oidc::id_token;
use crate::store::types::{FamilyId, TokenFormat, TokenKind, UserId, Words};
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
    pub user_id: Option<&'a UserId>,
    pub scope: &'a [String],
    pub family_id: Option<&'a FamilyId>,
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
    let scope = Words::from(grant.scope);
    let (token, format, kid) = if grant.client.token_format == TokenFormat::Jwt {
        let alg = signing_alg(ring).ok_or(IssueError::NoSigningKey)?;
        let mut claims = json!({
            "iss": issuer.url,
            "sub": grant.user_id.map_or(grant.client.id.as_str(), UserId::as_str),
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
        let (token, kid) = ring.sign_naming_key(alg, "at+jwt", &claims)?;
        (SecretString::new(token), TokenFormat::Jwt, Some(kid))
    } else {
        (secret::generate("kw_at_"), TokenFormat::Opaque, None)
    };
    let row = tokens::Token {
        id,
        digest: token.digest(),
        kind: TokenKind::Access,
        format,
        client_id: grant.client.id.clone(),
        user_id: grant.user_id.cloned(),
        scope,
        family_id: grant.family_id.cloned(),
        auth_time: grant.auth_time,
        created_at: now,
        expires_at: now + ttl,
        family_expires_at: None,
        rotated_at: None,
        revoked_at: None,
        kid,
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
        kind: TokenKind::Refresh,
        format: TokenFormat::Opaque,
        client_id: grant.client.id.clone(),
        user_id: grant.user_id.cloned(),
        scope: Words::from(grant.scope),
        family_id: grant.family_id.cloned(),
        auth_time: grant.auth_time,
        created_at: now,
        expires_at: family_end,
        family_expires_at: Some(family_end),
        rotated_at: None,
        revoked_at: None,
        kid: None,
    };
    (token, row)
}

/// The end of a new refresh family that starts `now`.
pub fn family_end(client: &Client, defaults: &Lifetimes, now: i64) -> i64 {
    now + client.refresh_token_ttl.unwrap_or(defaults.refresh)
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

/// Signs the ID token (OIDC Core §2) for `content`, with the claims its
/// scopes release from the scope table.
pub fn id_token(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    content: &IdTokenContent,
    now: i64,
) -> Result<String, IssueError> {
    let alg = signing_alg(ring).ok_or(IssueError::NoSigningKey)?;
    let scopes = store::scopes::find_many(conn, content.scope)?;
    let claims = id_token::claims(
        &id_token::Subject {
            user: content.user,
            client_id: &content.client.id,
            scope: content.scope,
            nonce: content.nonce,
            auth_time: content.auth_time,
            access_token: content.access_token,
        },
        &scopes,
        &issuer.url,
        alg,
        now,
        content.lifetime,
    );
    Ok(ring.sign(alg, "JWT", &serde_json::Value::Object(claims))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idm::site::{DEFAULT_ACCESS_TTL, DEFAULT_REFRESH_TTL};
    use crate::keys::ring::KeySet;
    use crate::store::fixtures::{client, NOW};

    fn issuer() -> Issuer {
        Issuer {
            url: "https://id.example".into(),
            lifetimes: Lifetimes::default(),
        }
    }

    fn grant<'a>(c: &'a Client, scope: &'a [String]) -> Grant<'a> {
        static USER: std::sync::OnceLock<UserId> = std::sync::OnceLock::new();
        static FAMILY: std::sync::OnceLock<FamilyId> = std::sync::OnceLock::new();
        Grant {
            client: c,
            user_id: Some(USER.get_or_init(|| "u1".into())),
            scope,
            family_id: Some(FAMILY.get_or_init(|| "fam".into())),
            auth_time: Some(NOW - 5),
        }
    }

    #[test]
    fn an_opaque_access_token_is_recorded_by_digest_with_its_lifetime() {
        let ring = KeyRing::new(KeySet::default(), None);
        let mut c = client("app");
        c.access_token_ttl = Some(600);
        let scope = vec!["openid".to_string(), "profile".to_string()];
        let (token, ttl, row) = mint_access(&ring, &issuer(), &grant(&c, &scope), NOW).unwrap();
        assert!(token.expose().starts_with("kw_at_"));
        assert_eq!(ttl, 600);
        assert_eq!(row.digest, token.digest());
        assert_ne!(row.digest, token.expose());
        assert_eq!(row.kind, TokenKind::Access);
        assert_eq!(row.format, TokenFormat::Opaque);
        assert_eq!(row.scope, "openid profile");
        assert_eq!(row.family_id.as_deref(), Some("fam"));
        assert_eq!(row.expires_at, NOW + 600);
    }

    #[test]
    fn the_server_default_lifetime_applies_when_the_policy_names_none() {
        let ring = KeyRing::new(KeySet::default(), None);
        let c = client("app");
        let (_, ttl, _) = mint_access(&ring, &issuer(), &grant(&c, &[]), NOW).unwrap();
        assert_eq!(ttl, DEFAULT_ACCESS_TTL);
        assert_eq!(
            family_end(&c, &Lifetimes::default(), NOW),
            NOW + DEFAULT_REFRESH_TTL
        );
    }

    #[test]
    fn a_jwt_access_token_needs_an_active_signing_key() {
        let ring = KeyRing::new(KeySet::default(), None);
        let mut c = client("app");
        c.token_format = TokenFormat::Jwt;
        assert!(matches!(
            mint_access(&ring, &issuer(), &grant(&c, &[]), NOW),
            Err(IssueError::NoSigningKey)
        ));
    }

    #[test]
    fn a_refresh_token_ends_with_its_family() {
        let c = client("app");
        let scope = vec!["offline_access".to_string()];
        let (token, row) = mint_refresh(&grant(&c, &scope), NOW + 99, NOW);
        assert!(token.expose().starts_with("kw_rt_"));
        assert_eq!(row.kind, TokenKind::Refresh);
        assert_eq!(row.expires_at, NOW + 99);
        assert_eq!(row.family_expires_at, Some(NOW + 99));
        assert_eq!(row.auth_time, Some(NOW - 5));
    }
}
