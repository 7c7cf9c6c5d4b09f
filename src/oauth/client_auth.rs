//! Client authentication at the token endpoint (RFC 6749 §2.3): HTTP Basic,
//! credentials in the form body, or none for public clients. Each client uses
//! the one method it registered; secrets are compared as digests in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::OAuthError;
use crate::crypto::secret;
use crate::store::clients::Client;
use crate::store::types::AuthMethod;

/// What the request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Basic { client_id: String, secret: String },
    Post { client_id: String, secret: String },
    None { client_id: String },
}

impl Presented {
    pub fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. }
            | Presented::Post { client_id, .. }
            | Presented::None { client_id } => client_id,
        }
    }

    fn method(&self) -> AuthMethod {
        match self {
            Presented::Basic { .. } => AuthMethod::ClientSecretBasic,
            Presented::Post { .. } => AuthMethod::ClientSecretPost,
            Presented::None { .. } => AuthMethod::None,
        }
    }
}

fn form_decode(part: &str) -> String {
    url::form_urlencoded::parse(format!("x={part}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Reads the client's credentials from the Authorization header and the form.
/// More than one method at once is a malformed request (RFC 6749 §2.3).
pub fn extract(
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<Presented, OAuthError> {
    if let Some(header) = authorization {
        let Some(encoded) = header
            .strip_prefix("Basic ")
            .or_else(|| header.strip_prefix("basic "))
        else {
            return Err(OAuthError::invalid_client(
                "only HTTP Basic client authentication is accepted in the Authorization header",
            ));
        };
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                OAuthError::invalid_client("the Basic credentials are not valid base64")
            })?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| OAuthError::invalid_client("the Basic credentials have no ':'"))?;
        // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
        let (id, secret) = (form_decode(id), form_decode(secret));
        if form_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not Basic and client_secret together",
            ));
        }
        if form_client_id.is_some_and(|f| f != id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the Basic credentials",
            ));
        }
        return Ok(Presented::Basic {
            client_id: id,
            secret,
        });
    }
    match (form_client_id, form_secret) {
        (Some(id), Some(secret)) => Ok(Presented::Post {
            client_id: id.to_owned(),
            secret: secret.to_owned(),
        }),
        (Some(id), None) => Ok(Presented::None {
            client_id: id.to_owned(),
        }),
        (None, _) => Err(OAuthError::invalid_client(
            "client authentication is required",
        )),
    }
}

/// Checks the presented credentials against the registered client.
pub fn authenticate(client: &Client, presented: &Presented) -> Result<(), OAuthError> {
    if client.disabled {
        return Err(OAuthError::invalid_client("the client is disabled"));
    }
    if presented.method() != client.token_endpoint_auth_method {
        return Err(OAuthError::invalid_client(format!(
            "this client authenticates with {}",
            client.token_endpoint_auth_method
        )));
    }
    match presented {
        Presented::None { .. } => Ok(()),
        Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
            match client.secret_digest.as_deref() {
                Some(digest) if secret::matches_digest(secret, digest) => Ok(()),
                _ => Err(OAuthError::invalid_client("client authentication failed")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn methods_are_told_apart() {
        assert_eq!(
            extract(Some(&basic("app", "s3cr%3At")), None, None).unwrap(),
            Presented::Basic {
                client_id: "app".into(),
                secret: "s3cr:t".into()
            }
        );
        assert_eq!(
            extract(None, Some("app"), Some("s")).unwrap(),
            Presented::Post {
                client_id: "app".into(),
                secret: "s".into()
            }
        );
        assert_eq!(
            extract(None, Some("app"), None).unwrap(),
            Presented::None {
                client_id: "app".into()
            }
        );
        assert_eq!(
            extract(None, None, None).unwrap_err().code,
            "invalid_client"
        );
        assert_eq!(
            extract(Some(&basic("app", "s")), None, Some("s"))
                .unwrap_err()
                .code,
            "invalid_request"
        );
        assert_eq!(
            extract(Some(&basic("app", "s")), Some("other"), None)
                .unwrap_err()
                .code,
            "invalid_request"
        );
        assert_eq!(
            extract(Some("Bearer x"), None, None).unwrap_err().code,
            "invalid_client"
        );
        assert_eq!(
            extract(Some("Basic !!!"), None, None).unwrap_err().code,
            "invalid_client"
        );
    }
}
