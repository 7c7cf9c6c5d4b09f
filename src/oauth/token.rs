//! The token endpoint's decisions (RFC 6749 §3.2, §4.4, §5): which client,
//! which grant, which scopes, and the response. Plain values in and out; the
//! web layer does the HTTP.

use std::collections::HashMap;

use serde::Serialize;

use super::client_auth::{self, Presented};
use super::error::OAuthError;
use super::scope;
use crate::db::DbConn;
use crate::issuance::{self, Grant, IssueError};
use crate::keyring::KeyRing;
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
        tracing::error!(error = %e, "token endpoint database error");
        OAuthError::server_error("the request could not be completed")
    }
}

/// Handles one token request: `params` are the form fields (each at most
/// once), `presented` the client's credentials.
pub fn handle(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &str,
    params: &HashMap<String, String>,
    presented: &Presented,
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
    match grant_type.as_str() {
        "client_credentials" => client_credentials(conn, ring, issuer, &client, params),
        other => Err(OAuthError::unsupported_grant_type(format!(
            "grant_type '{other}' is not supported yet"
        ))),
    }
}

/// RFC 6749 §4.4: confidential clients only; no refresh token, no id_token.
fn client_credentials(
    conn: &mut DbConn,
    ring: &KeyRing,
    issuer: &str,
    client: &clients::Client,
    params: &HashMap<String, String>,
) -> Result<TokenResponse, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "a public client cannot use client_credentials",
        ));
    }
    let allowed: Vec<String> = client
        .allowed_scope_list()
        .into_iter()
        .filter(|s| !USER_SCOPES.contains(&s.as_str()))
        .collect();
    let defaults: Vec<String> = client
        .default_scope_list()
        .into_iter()
        .filter(|s| !USER_SCOPES.contains(&s.as_str()))
        .collect();
    let requested = params.get("scope").map(String::as_str);
    // No scope asked and no default: a token with no scope is still a valid
    // answer for a machine client that only needs to prove who it is.
    let granted = match (
        requested.map(str::trim).filter(|s| !s.is_empty()),
        defaults.is_empty(),
    ) {
        (None, true) => Vec::new(),
        _ => scope::resolve(requested, &allowed, &defaults)?,
    };
    let now = store::now();
    let (token, ttl) = issuance::access_token(
        conn,
        ring,
        issuer,
        &Grant {
            client,
            user_id: None,
            scope: &granted,
            family_id: None,
            auth_time: None,
        },
        now,
    )?;
    Ok(TokenResponse {
        access_token: token.expose().to_owned(),
        token_type: "Bearer",
        expires_in: ttl,
        scope: store::join_list(&granted),
        refresh_token: None,
        id_token: None,
    })
}
