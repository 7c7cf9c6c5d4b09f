//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): checks in
//! the order that keeps redirects safe. Until the client and its redirect URI
//! are known good, an error is a page, never a redirect (RFC 6749 §4.1.2.1).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::{pkce, redirect_uri, scope};
use crate::store::clients::Client;
use crate::store::types::ClientId;

/// A validated authorization request, kept in the session while the user
/// signs in or decides on consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: ClientId,
    pub redirect_uri: String,
    /// The request named its redirect_uri (rather than relying on the one
    /// registered): the token request must name it too.
    #[serde(default)]
    pub redirect_uri_given: bool,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
}

/// The longest `state` and `nonce` accepted, in characters.
pub const STATE_MAX: usize = 2_048;
pub const NONCE_MAX: usize = 2_048;
/// A longer `login_hint` is ignored (no address or username is longer).
pub const LOGIN_HINT_MAX: usize = 254;

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
    // Values the request carries back or into tokens have a ceiling: past
    // it a page (sending a huge state back would only fail elsewhere).
    for (name, max) in [("state", STATE_MAX), ("nonce", NONCE_MAX)] {
        if params.get(name).is_some_and(|v| v.chars().count() > max) {
            return Err(Rejection::Page(format!(
                "The request is not valid (invalid_request): its {name} is longer than {max} characters."
            )));
        }
    }
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
        redirect_uri_given: params.contains_key("redirect_uri"),
        redirect_uri,
        scope,
        state,
        nonce: params.get("nonce").cloned(),
        code_challenge,
        prompt,
        max_age,
        login_hint: params
            .get("login_hint")
            .filter(|h| h.chars().count() <= LOGIN_HINT_MAX)
            .cloned(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::client;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut p: HashMap<String, String> = [
            ("client_id", "app"),
            ("redirect_uri", "https://app.example/cb"),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("state", "xyz"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            if v.is_empty() {
                p.remove(*k);
            } else {
                p.insert(k.to_string(), v.to_string());
            }
        }
        p
    }

    fn page(r: Result<AuthRequest, Rejection>) -> String {
        match r {
            Err(Rejection::Page(m)) => m,
            other => panic!("expected an error page, got {other:?}"),
        }
    }

    /// The redirect's error code, after checking it goes to the registered
    /// URI with the request's state.
    fn redirected(r: Result<AuthRequest, Rejection>) -> OAuthError {
        match r {
            Err(Rejection::Redirect {
                redirect_uri,
                error,
                state,
            }) => {
                assert_eq!(redirect_uri, "https://app.example/cb");
                assert_eq!(state.as_deref(), Some("xyz"));
                error
            }
            other => panic!("expected an error redirect, got {other:?}"),
        }
    }

    #[test]
    fn a_good_request_is_accepted_with_its_values() {
        let r = validate(
            &params(&[("nonce", "n1"), ("login_hint", "ann"), ("max_age", "300")]),
            None,
            Some(&client("app")),
        )
        .unwrap();
        assert_eq!(r.client_id, "app");
        assert_eq!(r.redirect_uri, "https://app.example/cb");
        assert_eq!(r.scope, vec!["openid", "profile"]);
        assert_eq!(r.state.as_deref(), Some("xyz"));
        assert_eq!(r.nonce.as_deref(), Some("n1"));
        assert_eq!(r.login_hint.as_deref(), Some("ann"));
        assert_eq!(r.max_age, Some(300));
        assert_eq!(r.code_challenge, None);
        assert!(r.prompt.is_empty());
    }

    #[test]
    fn an_unknown_missing_or_disabled_client_gets_a_page() {
        assert!(page(validate(&params(&[("client_id", "")]), None, None)).contains("client_id"));
        assert!(page(validate(&params(&[]), None, None)).contains("not registered"));
        let mut disabled = client("app");
        disabled.disabled = true;
        assert!(page(validate(&params(&[]), None, Some(&disabled))).contains("disabled"));
    }

    #[test]
    fn an_unregistered_redirect_uri_gets_a_page_never_a_redirect() {
        for bad in [
            "https://evil.example/cb",
            "https://app.example/cb/extra",
            "https://app.example/cb?x=1",
        ] {
            let m = page(validate(
                &params(&[("redirect_uri", bad)]),
                None,
                Some(&client("app")),
            ));
            assert!(m.contains("not registered"), "{bad}: {m}");
        }
    }

    #[test]
    fn the_redirect_uri_may_be_left_out_only_when_one_is_registered() {
        let r = validate(&params(&[("redirect_uri", "")]), None, Some(&client("app"))).unwrap();
        assert_eq!(r.redirect_uri, "https://app.example/cb");
        let mut two = client("app");
        two.redirect_uris = "https://app.example/cb https://app.example/cb2"
            .parse()
            .unwrap();
        assert!(
            page(validate(&params(&[("redirect_uri", "")]), None, Some(&two)))
                .contains("redirect_uri")
        );
    }

    #[test]
    fn a_repeated_parameter_is_redirected_as_invalid_request() {
        let e = redirected(validate(&params(&[]), Some("scope"), Some(&client("app"))));
        assert_eq!(e.code, "invalid_request");
        assert!(e.description.contains("'scope' is repeated"));
    }

    #[test]
    fn request_objects_are_not_supported() {
        let e = redirected(validate(
            &params(&[("request", "eyJ...")]),
            None,
            Some(&client("app")),
        ));
        assert_eq!(e.code, "request_not_supported");
        let e = redirected(validate(
            &params(&[("request_uri", "https://x")]),
            None,
            Some(&client("app")),
        ));
        assert_eq!(e.code, "request_uri_not_supported");
    }

    #[test]
    fn only_the_code_response_type_is_supported() {
        let e = redirected(validate(
            &params(&[("response_type", "")]),
            None,
            Some(&client("app")),
        ));
        assert_eq!(e.code, "invalid_request");
        for other in ["token", "id_token", "code id_token"] {
            let e = redirected(validate(
                &params(&[("response_type", other)]),
                None,
                Some(&client("app")),
            ));
            assert_eq!(e.code, "unsupported_response_type", "{other}");
        }
    }

    #[test]
    fn a_client_without_the_code_grant_is_unauthorized() {
        let mut m2m = client("app");
        m2m.grant_types = "client_credentials".parse().unwrap();
        let e = redirected(validate(&params(&[]), None, Some(&m2m)));
        assert_eq!(e.code, "unauthorized_client");
    }

    #[test]
    fn scopes_outside_the_policy_are_invalid_and_defaults_fill_in() {
        let e = redirected(validate(
            &params(&[("scope", "openid admin")]),
            None,
            Some(&client("app")),
        ));
        assert_eq!(e.code, "invalid_scope");
        let r = validate(&params(&[("scope", "")]), None, Some(&client("app"))).unwrap();
        assert_eq!(r.scope, vec!["openid"]);
    }

    #[test]
    fn pkce_is_required_when_the_policy_says_so_and_only_s256() {
        let mut public = client("app");
        public.require_pkce = true;
        let e = redirected(validate(&params(&[]), None, Some(&public)));
        assert_eq!(e.code, "invalid_request");
        let e = redirected(validate(
            &params(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ]),
            None,
            Some(&public),
        ));
        assert_eq!(e.code, "invalid_request");
        let r = validate(
            &params(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ]),
            None,
            Some(&public),
        )
        .unwrap();
        assert_eq!(r.code_challenge.as_deref(), Some(CHALLENGE));
    }

    #[test]
    fn prompt_values_are_checked() {
        let r = validate(
            &params(&[("prompt", "login consent")]),
            None,
            Some(&client("app")),
        )
        .unwrap();
        assert_eq!(r.prompt, vec!["login", "consent"]);
        for bad in ["bogus", "none login"] {
            let e = redirected(validate(
                &params(&[("prompt", bad)]),
                None,
                Some(&client("app")),
            ));
            assert_eq!(e.code, "invalid_request", "{bad}");
        }
    }

    #[test]
    fn max_age_must_be_a_non_negative_number() {
        for bad in ["-1", "soon", "1.5"] {
            let e = redirected(validate(
                &params(&[("max_age", bad)]),
                None,
                Some(&client("app")),
            ));
            assert_eq!(e.code, "invalid_request", "{bad}");
        }
        let r = validate(&params(&[("max_age", "0")]), None, Some(&client("app"))).unwrap();
        assert_eq!(r.max_age, Some(0));
    }

    #[test]
    fn redirects_carry_state_and_iss() {
        let to = redirect_to(
            "https://app.example/cb?tenant=1",
            "https://id.example",
            Some("s 1"),
            &[("code", "abc")],
        );
        assert_eq!(
            to,
            "https://app.example/cb?tenant=1&code=abc&state=s+1&iss=https%3A%2F%2Fid.example"
        );
        let err = error_redirect(
            "https://app.example/cb",
            "https://id.example",
            None,
            &OAuthError::invalid_scope("no"),
        );
        assert!(
            err.starts_with("https://app.example/cb?error=invalid_scope&error_description=no&iss=")
        );
        assert!(!err.contains("state="));
    }
}
