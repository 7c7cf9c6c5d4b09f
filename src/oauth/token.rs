//! The token endpoint's decisions (RFC 6749 §3.2, §4.4, §5): which client,
//! which grant, which scopes, and the response. Plain values in and out; the
//! web layer does the HTTP.

use std::collections::HashMap;

use diesel::Connection;
use serde::Serialize;

use super::client_auth::{self, Presented};
use super::error::OAuthError;
use super::scope;
use crate::db::DbConn;
use crate::keys::ring::KeyRing;
use crate::oauth::issue::{self, Grant, IssueError, Issuer};
use crate::store::{self, clients};

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

/// Scopes that only make sense with a signed-in user.
const USER_SCOPES: [&str; 2] = ["openid", "offline_access"];

impl From<IssueError> for OAuthError {
    fn from(e: IssueError) -> Self {
        tracing::error!(error = %e, "issuing a token failed");
        OAuthError::server_error("the token could not be issued")
    }
}

impl From<diesel::result::Error> for OAuthError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_connection_lost(&e) {
            return OAuthError::temporarily_unavailable("the database is unavailable");
        }
        tracing::error!(error = %e, "token endpoint database error");
        OAuthError::server_error("the request could not be completed")
    }
}

/// Handles one token request: `params` are the form fields (each at most
/// once), `presented` the client's credentials.
/// Who is asking, beyond the client: what the password grant throttles by.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub ip: Option<String>,
    pub bcrypt_cost: u32,
}

pub fn handle(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    params: &HashMap<String, String>,
    presented: &Presented,
    caller: &Caller,
) -> Result<TokenResponse, OAuthError> {
    let client = clients::find(conn, presented.client_id())?
        .ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?;
    client_auth::authenticate(&client, presented)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let known = [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
    ];
    if !known.contains(&grant_type.as_str()) {
        return Err(OAuthError::unsupported_grant_type(format!(
            "grant_type '{grant_type}' is not supported"
        )));
    }
    if !client.grant_type_list().iter().any(|g| g == grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the {grant_type} grant"
        )));
    }
    // Each grant runs in one transaction, so a code's redemption or a refresh
    // token's rotation commits together with what it issues, and a concurrent
    // replay that revokes the family sees those tokens. A refused grant still
    // commits: a consumed code stays consumed and a replay's revocations stand.
    let mut outcome = None;
    conn.transaction(|c| {
        // A client-credentials grant changes no state but its own new token:
        // a crash right after could lose only tokens the client asks for
        // again. Codes and refresh rotations keep the full guarantee.
        if grant_type == "client_credentials" {
            crate::db::relax_commit(c)?;
        }
        outcome = Some(match grant_type.as_str() {
            "client_credentials" => client_credentials(c, ring, issuer, &client, params),
            "authorization_code" => authorization_code(c, ring, issuer, &client, params),
            "refresh_token" => refresh(c, ring, issuer, &client, params),
            "password" => password(c, ring, issuer, &client, params, caller),
            other => Err(OAuthError::unsupported_grant_type(format!(
                "grant_type '{other}' is not supported"
            ))),
        });
        Ok::<_, diesel::result::Error>(())
    })?;
    outcome.unwrap_or_else(|| Err(OAuthError::server_error("the grant did not run")))
}

/// RFC 6749 §4.4: confidential clients only; no refresh token, no id_token.
fn client_credentials(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    client: &clients::Client,
    params: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let granted = client_credentials_scope(client, params)?;
    let (token, ttl, row) =
        issue::mint_access(ring, issuer, &machine_grant(client, &granted), store::now())?;
    store::tokens::insert(conn, &row)?;
    Ok(client_credentials_response(token, ttl, &granted))
}

/// The scopes a client-credentials grant gives `client` for this request, or
/// why it gives none. Decides from the client's registration alone.
pub fn client_credentials_scope(
    client: &clients::Client,
    params: &HashMap<String, String>,
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
        .filter(|s| client.admin_capable || s != crate::idm::clients::ADMIN_SCOPE)
        .collect();
    let defaults: Vec<String> = client
        .default_scope_list()
        .into_iter()
        .filter(|s| !USER_SCOPES.contains(&s.as_str()))
        .collect();
    let requested = params.get("scope").map(String::as_str);
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
pub fn machine_grant<'a>(client: &'a clients::Client, scope: &'a [String]) -> Grant<'a> {
    Grant {
        client,
        user_id: None,
        scope,
        family_id: None,
        auth_time: None,
    }
}

pub fn client_credentials_response(
    token: crate::crypto::secret::SecretString,
    ttl: i64,
    granted: &[String],
) -> TokenResponse {
    TokenResponse {
        access_token: token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: ttl,
        scope: store::join_list(granted),
        refresh_token: None,
        id_token: None,
    }
}

/// Issues what a user-bound grant returns: an access token of the family,
/// a refresh token when the client may refresh, an ID token when `openid`
/// was granted.
#[allow(clippy::too_many_arguments)]
fn user_tokens(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    client: &clients::Client,
    user: &store::users::User,
    scope: &[String],
    family_id: &str,
    family_end: i64,
    auth_time: Option<i64>,
    nonce: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let now = store::now();
    let grant = Grant {
        client,
        user_id: Some(&user.id),
        scope,
        family_id: Some(family_id),
        auth_time,
    };
    let (access, ttl, access_row) = issue::mint_access(ring, issuer, &grant, now)?;
    let mut rows = vec![access_row];
    let refresh_token = if client
        .grant_type_list()
        .iter()
        .any(|g| g == "refresh_token")
    {
        let (token, row) = issue::mint_refresh(&grant, family_end, now);
        rows.push(row);
        Some(token)
    } else {
        None
    };
    // The access and refresh token in one statement.
    store::tokens::insert_all(conn, &rows)?;
    let id_token = if scope.iter().any(|s| s == "openid") {
        Some(issue::id_token(
            conn,
            ring,
            issuer,
            &issue::IdTokenContent {
                user,
                client,
                scope,
                nonce,
                auth_time,
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
        scope: store::join_list(scope),
        refresh_token: refresh_token.map(|t| t.expose().to_owned()),
        id_token,
    })
}

/// A rotated refresh token came back: revoke its family (RFC 9700 §4.14.2).
fn reuse(
    conn: &mut DbConn,
    client: &clients::Client,
    family: &str,
    now: i64,
) -> Result<OAuthError, OAuthError> {
    store::tokens::revoke_family(conn, family, now)?;
    tracing::warn!(client = %client.id, "a rotated refresh token was reused; its family is revoked");
    Ok(OAuthError::invalid_grant(
        "the refresh token has already been used",
    ))
}

fn active_user(conn: &mut DbConn, id: &str) -> Result<store::users::User, OAuthError> {
    match store::users::find(conn, id)? {
        Some(u) if !u.disabled => Ok(u),
        _ => Err(OAuthError::invalid_grant("the user is no longer active")),
    }
}

/// RFC 6749 §4.1.3: the code is single use, short lived, and bound to the
/// client, the redirect URI, the PKCE challenge and the nonce. A second
/// redemption fails and revokes what the first one issued (RFC 6749 §4.1.2).
fn authorization_code(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    client: &clients::Client,
    params: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let now = store::now();
    let code = match store::codes::redeem(conn, &crate::crypto::secret::digest(code), now)? {
        store::codes::Redemption::Unknown => {
            return Err(OAuthError::invalid_grant("the code is not valid"))
        }
        store::codes::Redemption::AlreadyUsed(used) => {
            store::tokens::revoke_family(conn, &used.family_id, now)?;
            tracing::warn!(client = %used.client_id, "authorization code replayed; its tokens are revoked");
            return Err(OAuthError::invalid_grant("the code has already been used"));
        }
        store::codes::Redemption::Redeemed(code) => code,
    };
    if code.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if code.expires_at <= now {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if params
        .get("redirect_uri")
        .is_some_and(|r| *r != code.redirect_uri)
    {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    super::pkce::verify(
        code.code_challenge.as_deref(),
        params.get("code_verifier").map(String::as_str),
    )?;
    let user = active_user(conn, &code.user_id)?;
    let scope = store::split_list(&code.scope);
    let family_end = issue::family_end(client, &issuer.lifetimes, now);
    user_tokens(
        conn,
        ring,
        issuer,
        client,
        &user,
        &scope,
        &code.family_id,
        family_end,
        Some(code.auth_time),
        code.nonce.as_deref(),
    )
}

/// RFC 6749 §6 with rotation: each refresh token works once; presenting a
/// rotated one again revokes its whole family (RFC 9700 §4.14.2).
fn refresh(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    client: &clients::Client,
    params: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let now = store::now();
    let token =
        match store::tokens::find_by_digest(conn, &crate::crypto::secret::digest(presented))? {
            Some(t) if t.kind == store::tokens::KIND_REFRESH => t,
            _ => return Err(OAuthError::invalid_grant("the refresh token is not valid")),
        };
    // RFC 9700 §4.14: bound to its client; another client learns nothing more.
    if token.client_id != client.id {
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    }
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "the refresh token is no longer valid",
        ));
    }
    let family = token.family_id.clone().unwrap_or_else(|| token.id.clone());
    if token.rotated_at.is_some() {
        return Err(reuse(conn, client, &family, now)?);
    }
    // A request refused for its scope or user leaves the token usable.
    let user_id = token
        .user_id
        .clone()
        .ok_or_else(|| OAuthError::invalid_grant("the refresh token is not valid"))?;
    let user = active_user(conn, &user_id)?;
    let scope = super::scope::narrow(
        params.get("scope").map(String::as_str),
        &store::split_list(&token.scope),
    )?;
    if !store::tokens::mark_rotated(conn, &token.id, now)? {
        // Another request rotated it first: this one is a reuse.
        return Err(reuse(conn, client, &family, now)?);
    }
    let family_end = token.family_expires_at.unwrap_or(token.expires_at);
    user_tokens(
        conn,
        ring,
        issuer,
        client,
        &user,
        &scope,
        &family,
        family_end,
        token.auth_time,
        None,
    )
}

/// RFC 6749 §4.3, for clients an admin enabled it on (off by default; RFC 9700
/// §2.4 advises against it). Throttled like the sign-in form, and a missing
/// user costs the same bcrypt as a wrong password.
fn password(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &Issuer,
    client: &clients::Client,
    params: &HashMap<String, String>,
    caller: &Caller,
) -> Result<TokenResponse, OAuthError> {
    use crate::store::audit;
    let username = params
        .get("username")
        .ok_or_else(|| OAuthError::invalid_request("username is required"))?;
    let password = params
        .get("password")
        .ok_or_else(|| OAuthError::invalid_request("password is required"))?;
    let scope = super::scope::resolve(
        params.get("scope").map(String::as_str),
        &client.allowed_scope_list(),
        &client.default_scope_list(),
    )?;
    let now = store::now();
    let ip = caller.ip.clone();
    if let Some(wait) = crate::idm::throttle::locked_for(conn, username, ip.as_deref(), now)? {
        return Err(OAuthError::invalid_grant(format!(
            "too many failed sign-ins; try again in {} minutes",
            (wait + 59) / 60
        )));
    }
    let user = store::users::find_by_username(conn, username)?;
    let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(hash) => crate::crypto::password::verify(password, hash),
        None => crate::crypto::password::verify_dummy(password, caller.bcrypt_cost),
    };
    let target = crate::idm::throttle::account_target(username);
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            audit::record(
                conn,
                &audit::NewAuditEvent::new(crate::idm::throttle::LOGIN_ACTION, false)
                    .target(target)
                    .ip(ip),
            )?;
            return Err(OAuthError::invalid_grant("wrong username or password"));
        }
    };
    store::users::record_login(conn, &user.id, now)?;
    audit::record(
        conn,
        &audit::NewAuditEvent::new(crate::idm::throttle::LOGIN_ACTION, true)
            .actor(user.id.clone())
            .target(target)
            .ip(ip)
            .detail(serde_json::json!({ "grant": "password", "client": client.id })),
    )?;
    let family = store::new_id();
    let family_end = issue::family_end(client, &issuer.lifetimes, now);
    user_tokens(
        conn,
        ring,
        issuer,
        client,
        &user,
        &scope,
        &family,
        family_end,
        Some(now),
        None,
    )
}
