//! PKCE (RFC 7636) with S256 only; `plain` is refused (RFC 9700 §2.1.1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::error::OAuthError;
use crate::crypto::secret::constant_time_eq;

fn is_unreserved_43_to_128(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Checks an authorization request's challenge and method.
pub fn check_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
    required: bool,
) -> Result<Option<String>, OAuthError> {
    match (challenge, method) {
        (None, None) if required => Err(OAuthError::invalid_request(
            "this client must use PKCE: send code_challenge with code_challenge_method=S256",
        )),
        (None, None) => Ok(None),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method without code_challenge",
        )),
        (Some(_), Some(m)) if m != "S256" => Err(OAuthError::invalid_request(
            "only code_challenge_method=S256 is supported",
        )),
        // RFC 7636 §4.3 defaults to plain, which is refused.
        (Some(_), None) => Err(OAuthError::invalid_request(
            "code_challenge_method=S256 is required (plain is not supported)",
        )),
        (Some(c), Some(_)) if c.len() != 43 || !is_unreserved_43_to_128(c) => {
            Err(OAuthError::invalid_request(
                "code_challenge must be the 43-character base64url SHA-256 of the verifier",
            ))
        }
        (Some(c), Some(_)) => Ok(Some(c.to_owned())),
    }
}

/// Checks the verifier at the token endpoint against the stored challenge. A
/// verifier without a challenge is refused too (a downgrade, RFC 9700 §4.8).
pub fn verify(stored_challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (stored_challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent, but the authorization request had no code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (Some(challenge), Some(v)) => {
            if !is_unreserved_43_to_128(v) {
                return Err(OAuthError::invalid_grant("code_verifier is malformed"));
            }
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
            if constant_time_eq(&computed, challenge) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_example_verifies() {
        assert_eq!(verify(Some(CHALLENGE), Some(VERIFIER)), Ok(()));
        assert_eq!(
            verify(Some(CHALLENGE), Some(&VERIFIER.replace('d', "e")))
                .unwrap_err()
                .code,
            "invalid_grant"
        );
        assert_eq!(
            verify(Some(CHALLENGE), None).unwrap_err().code,
            "invalid_grant"
        );
        assert_eq!(
            verify(None, Some(VERIFIER)).unwrap_err().code,
            "invalid_grant"
        );
        assert_eq!(verify(None, None), Ok(()));
        assert_eq!(
            verify(Some(CHALLENGE), Some("short")).unwrap_err().code,
            "invalid_grant"
        );
    }

    #[test]
    fn only_s256_challenges_are_accepted() {
        assert_eq!(
            check_challenge(Some(CHALLENGE), Some("S256"), true)
                .unwrap()
                .as_deref(),
            Some(CHALLENGE)
        );
        assert!(check_challenge(Some(CHALLENGE), Some("plain"), false).is_err());
        assert!(check_challenge(Some(CHALLENGE), None, false).is_err());
        assert!(check_challenge(None, Some("S256"), false).is_err());
        assert!(check_challenge(None, None, true).is_err());
        assert_eq!(check_challenge(None, None, false).unwrap(), None);
        assert!(check_challenge(Some("too-short"), Some("S256"), false).is_err());
    }
}
