//! The ID token's claims (OIDC Core §2, §3.1.3.6, §5.4): who, for which
//! client, when, with `at_hash` binding it to its access token, and the
//! claims its scopes release. Plain values in, a claim set out; signing is
//! the key ring's.

use serde_json::{json, Map, Value};

use crate::crypto::keys::Algorithm;
use crate::store::scopes::Scope;
use crate::store::users::User;

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the hash of the access
/// token, with the hash of the signing algorithm (SHA-512 for Ed25519).
pub fn at_hash(alg: Algorithm, access_token: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::Digest;
    let full: Vec<u8> = match alg {
        Algorithm::EdDSA => sha2::Sha512::digest(access_token.as_bytes()).to_vec(),
        _ => sha2::Sha256::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&full[..full.len() / 2])
}

/// Whom an ID token is about, and for what.
pub struct Subject<'a> {
    pub user: &'a User,
    pub client_id: &'a str,
    pub scope: &'a [String],
    pub nonce: Option<&'a str>,
    pub auth_time: Option<i64>,
    /// The access token issued with it, for `at_hash`.
    pub access_token: &'a str,
}

/// The claim set, signed with `alg` by the caller.
pub fn claims(
    subject: &Subject,
    scopes: &[Scope],
    issuer: &str,
    alg: Algorithm,
    now: i64,
    lifetime: i64,
) -> Map<String, Value> {
    let mut claims = super::claims::for_scopes(subject.user, scopes, subject.scope);
    for (k, v) in [
        ("iss", json!(issuer)),
        ("sub", json!(subject.user.id)),
        ("aud", json!(subject.client_id)),
        ("azp", json!(subject.client_id)),
        ("iat", json!(now)),
        ("exp", json!(now + lifetime)),
        ("at_hash", json!(at_hash(alg, subject.access_token))),
    ] {
        claims.insert(k.into(), v);
    }
    if let Some(t) = subject.auth_time {
        claims.insert("auth_time".into(), json!(t));
    }
    if let Some(n) = subject.nonce {
        claims.insert("nonce".into(), json!(n));
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core Appendix A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
        // at_hash "77QmUPtjPfzWtF2AnpK9RQ" (RS256).
        assert_eq!(
            at_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn at_hash_uses_sha512_for_eddsa() {
        let rs = at_hash(Algorithm::RS256, "token");
        let ed = at_hash(Algorithm::EdDSA, "token");
        assert_eq!(rs.len(), 22, "half of SHA-256, base64url");
        assert_eq!(ed.len(), 43, "half of SHA-512, base64url");
        assert_eq!(at_hash(Algorithm::ES256, "token"), rs);
    }

    fn user() -> User {
        User {
            id: "u1".into(),
            username: "ann".into(),
            email: Some("ann@example.com".into()),
            email_verified: true,
            extra_claims: "{}".into(),
            ..User::default()
        }
    }

    fn subject<'a>(u: &'a User, scope: &'a [String], nonce: Option<&'a str>) -> Subject<'a> {
        Subject {
            user: u,
            client_id: "app",
            scope,
            nonce,
            auth_time: Some(90),
            access_token: "token",
        }
    }

    #[test]
    fn the_protocol_claims_name_issuer_subject_audience_and_times() {
        let u = user();
        let scope = vec!["openid".to_string()];
        let c = claims(
            &subject(&u, &scope, Some("n-1")),
            &[],
            "https://id.example",
            Algorithm::RS256,
            100,
            3600,
        );
        assert_eq!(c["iss"], "https://id.example");
        assert_eq!(c["sub"], "u1");
        assert_eq!(c["aud"], "app");
        assert_eq!(c["azp"], "app");
        assert_eq!(c["iat"], 100);
        assert_eq!(c["exp"], 3700);
        assert_eq!(c["auth_time"], 90);
        assert_eq!(c["nonce"], "n-1");
        assert_eq!(c["at_hash"], at_hash(Algorithm::RS256, "token"));
        assert!(c.get("email").is_none(), "no email scope, no email claim");
    }

    #[test]
    fn granted_scopes_release_their_claims_and_no_nonce_means_none() {
        let u = user();
        let scope = vec!["openid".to_string(), "email".to_string()];
        let email = Scope::new("email", "", &["email".into(), "email_verified".into()]);
        let c = claims(
            &subject(&u, &scope, None),
            &[email],
            "https://id.example",
            Algorithm::ES256,
            100,
            60,
        );
        assert_eq!(c["email"], "ann@example.com");
        assert_eq!(c["email_verified"], true);
        assert!(c.get("nonce").is_none());
    }
}
