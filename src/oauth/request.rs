//! The token request (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6), parsed once from
//! the form into a value per grant type.

use std::collections::HashMap;

use super::error::OAuthError;
use crate::store::types::GrantType;

/// What a token request asks for, by grant type. The client's credentials
/// are read separately (`client_auth::extract`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    AuthorizationCode {
        code: String,
        /// Required when the authorization request carried one (checked
        /// against the code).
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
    },
    ClientCredentials {
        scope: Option<String>,
    },
    Password {
        username: String,
        password: String,
        scope: Option<String>,
    },
}

/// The `grant_type` of a token request: missing is `invalid_request`, a
/// value this server does not implement `unsupported_grant_type`.
pub fn grant_type(params: &HashMap<String, String>) -> Result<GrantType, OAuthError> {
    let raw = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    raw.parse().map_err(|_| {
        OAuthError::unsupported_grant_type(format!("grant_type '{raw}' is not supported"))
    })
}

impl TokenRequest {
    /// Reads the parameters `grant` needs from the form (each present at most
    /// once, which the form reader ensures).
    pub fn parse(grant: GrantType, params: &HashMap<String, String>) -> Result<Self, OAuthError> {
        let required = |name: &str| {
            params
                .get(name)
                .cloned()
                .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
        };
        let optional = |name: &str| params.get(name).cloned();
        Ok(match grant {
            GrantType::AuthorizationCode => TokenRequest::AuthorizationCode {
                code: required("code")?,
                redirect_uri: optional("redirect_uri"),
                code_verifier: optional("code_verifier"),
            },
            GrantType::RefreshToken => TokenRequest::RefreshToken {
                refresh_token: required("refresh_token")?,
                scope: optional("scope"),
            },
            GrantType::ClientCredentials => TokenRequest::ClientCredentials {
                scope: optional("scope"),
            },
            GrantType::Password => TokenRequest::Password {
                username: required("username")?,
                password: required("password")?,
                scope: optional("scope"),
            },
        })
    }

    pub fn grant_type(&self) -> GrantType {
        match self {
            TokenRequest::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            TokenRequest::RefreshToken { .. } => GrantType::RefreshToken,
            TokenRequest::ClientCredentials { .. } => GrantType::ClientCredentials,
            TokenRequest::Password { .. } => GrantType::Password,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_grant_type_is_required_and_must_be_implemented() {
        assert_eq!(grant_type(&form(&[])).unwrap_err().code, "invalid_request");
        let e = grant_type(&form(&[("grant_type", "implicit")])).unwrap_err();
        assert_eq!(e.code, "unsupported_grant_type");
        assert!(e.description.contains("implicit"));
        assert_eq!(
            grant_type(&form(&[("grant_type", "refresh_token")])),
            Ok(GrantType::RefreshToken)
        );
    }

    #[test]
    fn each_grant_reads_its_own_parameters() {
        let code = TokenRequest::parse(
            GrantType::AuthorizationCode,
            &form(&[("code", "c"), ("code_verifier", "v"), ("scope", "ignored")]),
        )
        .unwrap();
        assert_eq!(
            code,
            TokenRequest::AuthorizationCode {
                code: "c".into(),
                redirect_uri: None,
                code_verifier: Some("v".into()),
            }
        );
        assert_eq!(code.grant_type(), GrantType::AuthorizationCode);
        assert_eq!(
            TokenRequest::parse(GrantType::ClientCredentials, &form(&[("scope", "a b")])).unwrap(),
            TokenRequest::ClientCredentials {
                scope: Some("a b".into())
            }
        );
    }

    #[test]
    fn a_missing_required_parameter_is_named() {
        for (grant, missing) in [
            (GrantType::AuthorizationCode, "code"),
            (GrantType::RefreshToken, "refresh_token"),
            (GrantType::Password, "username"),
        ] {
            let e = TokenRequest::parse(grant, &form(&[])).unwrap_err();
            assert_eq!(e.code, "invalid_request");
            assert_eq!(e.description, format!("{missing} is required"));
        }
        let e =
            TokenRequest::parse(GrantType::Password, &form(&[("username", "ann")])).unwrap_err();
        assert_eq!(e.description, "password is required");
    }
}
