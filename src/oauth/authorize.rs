//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): checks in
//! the order that keeps redirects safe. Until the client and its redirect URI
//! are known good, an error is a page, never a redirect (RFC 6749 §4.1.2.1).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::{pkce, redirect_uri, scope};
use crate::store::clients::Client;

/// A validated authorization request, kept in the session while the user
/// signs in or decides on consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
}

/// How a bad request is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Client or redirect URI not trustworthy: show a page.
    Page(String),
    /// Back to the client with an error (RFC 6749 §4.1.2.1).
    Redirect {
        redirect_uri: String,
        error: OAuthError,
        state: Option<String>,
    },
}

/// Validates `params` (each present at most once; `repeated` names any that
/// were repeated) for `client` (None when the client_id is unknown).
pub fn validate(
    params: &HashMap<String, String>,
    repeated: Option<&str>,
    client: Option<&Client>,
) -> Result<AuthRequest, Rejection> {
    let client = match (params.get("client_id"), client) {
        (None, _) => {
            return Err(Rejection::Page(
                "The request names no client (client_id is missing).".into(),
            ))
        }
        (Some(_), None) => {
            return Err(Rejection::Page(
                "The application that sent you here is not registered.".into(),
            ))
        }
        (Some(_), Some(c)) if c.disabled => {
            return Err(Rejection::Page(
                "The application that sent you here is disabled.".into(),
            ))
        }
        (Some(_), Some(c)) => c,
    };
    let registered = client.redirect_uri_list();
    let redirect_uri = match params.get("redirect_uri") {
        Some(r) if redirect_uri::matches(&registered, r) => r.clone(),
        Some(_) => {
            return Err(Rejection::Page(
                "The redirect URI in the request is not registered for this application.".into(),
            ))
        }
        None if registered.len() == 1 => registered[0].clone(),
        None => {
            return Err(Rejection::Page(
                "The request must name its redirect_uri.".into(),
            ))
        }
    };
    let state = params.get("state").cloned();
    let fail = |error: OAuthError| Rejection::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        state: state.clone(),
    };
    if let Some(name) = repeated {
        return Err(fail(OAuthError::invalid_request(format!(
            "the parameter '{name}' is repeated"
        ))));
    }
    if params.contains_key("request") {
        return Err(fail(OAuthError::new_code(
            "request_not_supported",
            "request objects are not supported",
        )));
    }
    if params.contains_key("request_uri") {
        return Err(fail(OAuthError::new_code(
            "request_uri_not_supported",
            "request_uri is not supported",
        )));
    }
    match params.get("response_type").map(String::as_str) {
        None => {
            return Err(fail(OAuthError::invalid_request(
                "response_type is required",
            )))
        }
        Some("code") => {}
        Some(_) => {
            return Err(fail(OAuthError::new_code(
                "unsupported_response_type",
                "only response_type=code is supported",
            )))
        }
    }
    if !client
        .grant_type_list()
        .iter()
        .any(|g| g == "authorization_code")
    {
        return Err(fail(OAuthError::unauthorized_client(
            "this client may not use the authorization code flow",
        )));
    }
    let scope = scope::resolve(
        params.get("scope").map(String::as_str),
        &client.allowed_scope_list(),
        &client.default_scope_list(),
    )
    .map_err(fail)?;
    let code_challenge = pkce::check_challenge(
        params.get("code_challenge").map(String::as_str),
        params.get("code_challenge_method").map(String::as_str),
        client.require_pkce,
    )
    .map_err(fail)?;
    let prompt: Vec<String> = params
        .get("prompt")
        .map(|p| {
            p.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(bad) = prompt
        .iter()
        .find(|p| !["none", "login", "consent", "select_account"].contains(&p.as_str()))
    {
        return Err(fail(OAuthError::invalid_request(format!(
            "prompt value '{bad}' is not supported"
        ))));
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(fail(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        )));
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            fail(OAuthError::invalid_request(
                "max_age must be a non-negative number of seconds",
            ))
        })?),
    };
    Ok(AuthRequest {
        client_id: client.id.clone(),
        redirect_uri,
        scope,
        state,
        nonce: params.get("nonce").cloned(),
        code_challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").cloned(),
    })
}

/// The redirect back to the client: its URI plus our parameters, always with
/// `iss` (RFC 9207) and `state` when the request had one.
pub fn redirect_to(
    redirect_uri: &str,
    issuer: &str,
    state: Option<&str>,
    pairs: &[(&str, &str)],
) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
                if let Some(s) = state {
                    q.append_pair("state", s);
                }
                q.append_pair("iss", issuer);
            }
            u.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

pub fn error_redirect(
    redirect_uri: &str,
    issuer: &str,
    state: Option<&str>,
    error: &OAuthError,
) -> String {
    redirect_to(
        redirect_uri,
        issuer,
        state,
        &[
            ("error", error.code),
            ("error_description", &error.description),
        ],
    )
}
