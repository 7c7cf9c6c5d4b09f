//! The token endpoint's grants (RFC 6749 §4.1.3, §4.3, §4.4, §6), each a
//! decision and an action: `decide_*` is a pure function over plain values
//! (the rows already read, the request, `now`) that says what to issue or
//! which RFC 6749 error to answer; `apply` reads what the decision needs and
//! writes its outcome, inside the one transaction [`handle`] opens.

pub mod client_credentials;
pub mod code;
pub mod password;
pub mod refresh;

use std::collections::HashMap;

use serde::Serialize;

use super::client_auth::{self, Presented};
use super::error::OAuthError;
use super::issue::{self, Grant, Issuer};
use super::request::{self, TokenRequest};
use crate::db::DbConn;
use crate::keys::ring::KeyRing;
use crate::store::types::{FamilyId, GrantType};
use crate::store::{self, clients, clients::Client, users::User};

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Who issues, and to which client: what every grant's action mints with.
pub struct Minting<'a> {
    pub ring: &'a KeyRing,
    pub issuer: &'a Issuer,
    pub client: &'a Client,
}

/// Who is asking, beyond the client: for the password grant, the outcome of
/// its credential check, made before the grant's transaction (bcrypt never
/// runs while a connection is held).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub sign_in: Option<crate::idm::sign_in::Outcome>,
}

/// A refused grant: the error to answer and, for a replayed code or a
/// reused refresh token, the token family to revoke first (RFC 6749
/// §4.1.2, RFC 9700 §4.14.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: OAuthError,
    pub revoke_family: Option<String>,
}

impl From<OAuthError> for Refusal {
    fn from(error: OAuthError) -> Self {
        Refusal {
            error,
            revoke_family: None,
        }
    }
}

impl Refusal {
    fn revoking(error: OAuthError, family: &str) -> Self {
        Refusal {
            error,
            revoke_family: Some(family.to_owned()),
        }
    }

    /// Carries the refusal out: revokes the family it names, then gives the
    /// error to answer.
    fn apply(self, conn: &mut DbConn, client: &Client, now: i64) -> Result<OAuthError, OAuthError> {
        if let Some(family) = &self.revoke_family {
            store::tokens::revoke_family(conn, family, now)?;
            tracing::warn!(client = %client.id, reason = %self.error.description, "a used code or rotated refresh token came back; its family is revoked");
        }
        Ok(self.error)
    }
}

/// The authenticated client, if it may use `grant`.
pub fn admit(
    conn: &mut DbConn,
    presented: &Presented,
    grant: GrantType,
) -> Result<Client, OAuthError> {
    let client = clients::find(conn, presented.client_id())?
        .ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?;
    client_auth::authenticate(&client, presented)?;
    if !client.allows(grant) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the {grant} grant"
        )));
    }
    Ok(client)
}

/// Handles one token request: `params` are the form fields (each at most
/// once), `presented` the client's credentials. The client is authenticated
/// first, then the grant type is checked against its registration, then the
/// grant runs in one transaction, so a code's redemption or a refresh token's
/// rotation commits together with what it issues, and a concurrent replay
/// that revokes the family sees those tokens. A refused grant still commits:
/// a consumed code stays consumed and a replay's revocations stand.
#[tracing::instrument(skip_all, fields(client_id = presented.client_id()))]
pub fn handle(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    params: &HashMap<String, String>,
    presented: &Presented,
    caller: &Caller,
) -> Result<TokenResponse, OAuthError> {
    let grant = request::grant_type(params)?;
    let client = admit(conn, presented, grant)?;
    let request = TokenRequest::parse(grant, params)?;
    let m = Minting {
        ring,
        issuer,
        client: &client,
    };
    // Codes, refresh rotations and password grants must survive a power cut;
    // a client-credentials token may be lost (the client asks again).
    let durable = !matches!(request, TokenRequest::ClientCredentials { .. });
    // The outer result rolls back (and, when it lost to a concurrent
    // transaction, runs again); the inner one commits, refusals included.
    let grant_tx = |conn: &mut DbConn| {
        crate::db::transaction(conn, |c| {
            let outcome = match &request {
                TokenRequest::ClientCredentials { scope } => {
                    // A client-credentials grant changes no state but its own new
                    // token: a crash right after could lose only tokens the client
                    // asks for again. Codes and refresh rotations keep the full
                    // guarantee.
                    crate::db::relax_commit(c)?;
                    client_credentials::apply(c, &m, scope.as_deref())
                }
                TokenRequest::AuthorizationCode {
                    code,
                    redirect_uri,
                    code_verifier,
                } => code::apply(
                    c,
                    &m,
                    code,
                    redirect_uri.as_deref(),
                    code_verifier.as_deref(),
                ),
                TokenRequest::RefreshToken {
                    refresh_token,
                    scope,
                } => refresh::apply(c, &m, refresh_token, scope.as_deref()),
                TokenRequest::Password { scope, .. } => {
                    password::apply(c, &m, scope.as_deref(), caller)
                }
            };
            match outcome {
                // A server-side failure leaves nothing half done.
                Err(e) if e.status() >= 500 => Err(e),
                decided => Ok(decided),
            }
        })
    };
    let outcome = if durable {
        crate::db::durably(conn, grant_tx)
    } else {
        grant_tx(conn)
    };
    outcome.and_then(|decided| decided)
}

/// What a user-bound grant issues: an access token of `family`, a refresh
/// token of it when the client may refresh, an ID token when `openid` was
/// granted.
pub struct UserGrant<'a> {
    pub user: &'a User,
    pub scope: &'a [String],
    pub family_id: &'a FamilyId,
    /// When the family ends, however often it rotates (ASVS 10.4.8).
    pub family_end: i64,
    pub auth_time: Option<i64>,
    pub nonce: Option<&'a str>,
}

/// Mints and stores what `grant` issues.
fn user_tokens(
    conn: &mut DbConn,
    m: &Minting,
    grant: &UserGrant,
) -> Result<TokenResponse, OAuthError> {
    let (ring, issuer, client) = (m.ring, m.issuer, m.client);
    let now = store::now();
    let minted = Grant {
        client,
        user_id: Some(&grant.user.id),
        scope: grant.scope,
        family_id: Some(grant.family_id),
        auth_time: grant.auth_time,
    };
    let (access, ttl, access_row) = issue::mint_access(ring, issuer, &minted, now)?;
    let mut rows = vec![access_row];
    let refresh_token = if client.allows(GrantType::RefreshToken) {
        let (token, row) = issue::mint_refresh(&minted, grant.family_end, now);
        rows.push(row);
        Some(token)
    } else {
        None
    };
    // The access and refresh token in one statement.
    store::tokens::insert_all(conn, &rows)?;
    let id_token = if grant.scope.iter().any(|s| s == "openid") {
        Some(issue::id_token(
            conn,
            ring,
            issuer,
            &issue::IdTokenContent {
                user: grant.user,
                client,
                scope: grant.scope,
                nonce: grant.nonce,
                auth_time: grant.auth_time,
                access_token: access.expose(),
                lifetime: ttl,
            },
            now,
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: access.expose().to_owned(),
        token_type: "Bearer",
        expires_in: ttl,
        scope: store::join_list(grant.scope),
        refresh_token: refresh_token.map(|t| t.expose().to_owned()),
        id_token,
    })
}

/// The user a grant is for, if they may still get tokens.
fn active_user(user: Option<User>) -> Result<User, OAuthError> {
    match user {
        Some(u) if !u.disabled => Ok(u),
        _ => Err(OAuthError::invalid_grant("the user is no longer active")),
    }
}
