//! The client credentials grant (RFC 6749 §4.4): confidential clients only;
//! an access token for the client itself, no refresh token, no ID token.
//! Its hot path ([`from_cache`]) decides from a cached client and stores the
//! token through the batch writer, on condition that the client is unchanged.

use super::{Minting, TokenResponse};
use crate::crypto::secret::SecretString;
use crate::db::batch::{BatchError, Batcher};
use crate::db::{Db, DbConn};
use crate::idm::clients::ADMIN_SCOPE;
use crate::keys::ring::KeyRing;
use crate::oauth::client_auth::Presented;
use crate::oauth::client_cache::ClientCache;
use crate::oauth::error::OAuthError;
use crate::oauth::issue::{self, Grant, Issuer};
use crate::oauth::scope;
use crate::store::types::GrantType;
use crate::store::{self, clients::Client, tokens::Token};

/// Scopes that only make sense with a signed-in user.
const USER_SCOPES: [&str; 2] = ["openid", "offline_access"];

/// The scopes a client-credentials grant gives `client` for this request, or
/// why it gives none. Decides from the client's registration alone.
pub fn decide_client_credentials(
    client: &Client,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "a public client cannot use client_credentials",
        ));
    }
    // `admin` only for an admin-capable client, whatever its list says.
    let allowed: Vec<String> = client
        .allowed_scope_list()
        .into_iter()
        .filter(|s| !USER_SCOPES.contains(&s.as_str()))
        .filter(|s| client.admin_capable || s != ADMIN_SCOPE)
        .collect();
    let defaults: Vec<String> = client
        .default_scope_list()
        .into_iter()
        .filter(|s| !USER_SCOPES.contains(&s.as_str()))
        .collect();
    // No scope asked and no default: a token with no scope is still a valid
    // answer for a machine client that only needs to prove who it is.
    match (
        requested.map(str::trim).filter(|s| !s.is_empty()),
        defaults.is_empty(),
    ) {
        (None, true) => Ok(Vec::new()),
        _ => scope::resolve(requested, &allowed, &defaults),
    }
}

/// What a client-credentials access token is for: the client itself.
fn machine_grant<'a>(client: &'a Client, scope: &'a [String]) -> Grant<'a> {
    Grant {
        client,
        user_id: None,
        scope,
        family_id: None,
        auth_time: None,
    }
}

fn response(token: SecretString, ttl: i64, granted: &[String]) -> TokenResponse {
    TokenResponse {
        access_token: token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: ttl,
        scope: store::join_list(granted),
        refresh_token: None,
        id_token: None,
    }
}

/// The ordinary path: decide from the client as just read, store the token.
#[tracing::instrument(skip_all, fields(client_id = %m.client.id))]
pub fn apply(
    conn: &mut DbConn,
    m: &Minting,
    requested: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let granted = decide_client_credentials(m.client, requested)?;
    let grant = machine_grant(m.client, &granted);
    let (token, ttl, row) = issue::mint_access(m.ring, m.issuer, &grant, store::now())?;
    store::tokens::insert(conn, &row)?;
    Ok(response(token, ttl, &granted))
}

/// What the hot path needs from the running server.
pub struct HotPath<'a> {
    pub clients: &'a ClientCache,
    pub db: &'a Db,
    /// Stores (token, the client revision it was decided on); answers whether
    /// it was stored.
    pub writer: &'a Batcher<(Token, i64), bool>,
    pub ring: &'a KeyRing,
}

/// The hot path: the client from the cache, the token stored by the batch
/// writer on condition that the client is unchanged. `None` whenever anything
/// is not plainly a success (unknown client, wrong secret, a refused scope, a
/// client changed since it was cached): then the ordinary path decides from
/// the database and gives the authoritative answer.
pub async fn from_cache(
    hot: &HotPath<'_>,
    issuer: &Issuer,
    presented: &Presented,
    requested: Option<&str>,
) -> Result<Option<TokenResponse>, OAuthError> {
    let Ok(client) = hot.clients.authenticate(hot.db, presented).await else {
        return Ok(None);
    };
    if !client.allows(GrantType::ClientCredentials) {
        return Ok(None);
    }
    let Ok(granted) = decide_client_credentials(&client, requested) else {
        return Ok(None);
    };
    let grant = machine_grant(&client, &granted);
    let Ok((access, ttl, row)) = issue::mint_access(hot.ring, issuer, &grant, store::now()) else {
        return Ok(None);
    };
    match hot.writer.submit((row, client.revision)).await {
        Ok(true) => Ok(Some(response(access, ttl, &granted))),
        Ok(false) => {
            hot.clients.forget(&client.id);
            Ok(None)
        }
        Err(BatchError::Unavailable) => Err(OAuthError::temporarily_unavailable(
            "the database is unavailable",
        )),
        Err(BatchError::Failed(_)) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::client;

    fn machine(allowed: &str, defaults: &str) -> Client {
        let mut c = client("m2m");
        c.grant_types = "client_credentials".parse().unwrap();
        c.allowed_scopes = allowed.parse().unwrap();
        c.default_scopes = defaults.parse().unwrap();
        c
    }

    #[test]
    fn a_public_client_cannot_use_the_grant() {
        let mut c = machine("metrics", "");
        c.client_type = crate::store::types::ClientType::Public;
        assert_eq!(
            decide_client_credentials(&c, None).unwrap_err().code,
            "unauthorized_client"
        );
    }

    #[test]
    fn no_scope_and_no_default_is_a_token_without_scope() {
        assert_eq!(
            decide_client_credentials(&machine("metrics", ""), None).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            decide_client_credentials(&machine("metrics", ""), Some("  ")).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            decide_client_credentials(&machine("metrics", "metrics"), None).unwrap(),
            vec!["metrics"]
        );
    }

    #[test]
    fn user_scopes_are_never_granted_to_a_machine() {
        let c = machine("openid offline_access metrics", "openid metrics");
        assert_eq!(
            decide_client_credentials(&c, None).unwrap(),
            vec!["metrics"]
        );
        assert_eq!(
            decide_client_credentials(&c, Some("openid"))
                .unwrap_err()
                .code,
            "invalid_scope"
        );
    }

    #[test]
    fn the_admin_scope_needs_an_admin_capable_client() {
        let mut c = machine("admin metrics", "");
        assert_eq!(
            decide_client_credentials(&c, Some("admin"))
                .unwrap_err()
                .code,
            "invalid_scope"
        );
        c.admin_capable = true;
        assert_eq!(
            decide_client_credentials(&c, Some("admin")).unwrap(),
            vec!["admin"]
        );
    }
}
