//! The authorization code grant (RFC 6749 §4.1.3): the code is single use,
//! short lived, and bound to the client, the redirect URI, the PKCE challenge
//! and the nonce. A second redemption fails and revokes what the first one
//! issued (RFC 6749 §4.1.2).

use super::{active_user, user_tokens, Minting, Refusal, TokenResponse, UserGrant};
use crate::crypto::secret;
use crate::db::DbConn;
use crate::oauth::error::OAuthError;
use crate::oauth::issue::{self};
use crate::oauth::pkce;
use crate::store::codes::{AuthorizationCode, Redemption};
use crate::store::types::{FamilyId, UserId};
use crate::store::{self, clients::Client};

/// What a redeemed code grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    pub user_id: UserId,
    pub scope: Vec<String>,
    pub family_id: FamilyId,
    pub auth_time: i64,
    pub nonce: Option<String>,
}

/// Decides a redemption by `client` with the request's `redirect_uri` and
/// `code_verifier`: what it grants, or why not.
pub fn decide_code(
    redemption: &Redemption,
    client: &Client,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: i64,
) -> Result<CodeGrant, Refusal> {
    let code: &AuthorizationCode = match redemption {
        Redemption::Unknown => {
            return Err(OAuthError::invalid_grant("the code is not valid").into())
        }
        Redemption::AlreadyUsed(used) => {
            check_binding(used, client, redirect_uri)?;
            return Err(Refusal::revoking(
                OAuthError::invalid_grant("the code has already been used"),
                &used.family_id,
            ));
        }
        Redemption::Redeemed(code) => code,
    };
    check_binding(code, client, redirect_uri)?;
    if code.expires_at <= now {
        return Err(OAuthError::invalid_grant("the code has expired").into());
    }
    pkce::verify(code.code_challenge.as_deref(), code_verifier)?;
    Ok(CodeGrant {
        user_id: code.user_id.clone(),
        scope: code.scope.to_vec(),
        family_id: code.family_id.clone(),
        auth_time: code.auth_time,
        nonce: code.nonce.clone(),
    })
}

/// What binds a code to the request that presents it, checked before the
/// code is consumed or its family revoked: the client it was issued to and
/// the redirect URI (required when the authorization request named one,
/// RFC 6749 §4.1.3). Refused here, the code stays as it was.
pub fn check_binding(
    code: &AuthorizationCode,
    client: &Client,
    redirect_uri: Option<&str>,
) -> Result<(), Refusal> {
    if code.client_id != client.id {
        return Err(OAuthError::invalid_grant("the code was issued to another client").into());
    }
    match redirect_uri {
        None if code.redirect_uri_given => Err(OAuthError::invalid_request(
            "redirect_uri is required: the authorization request named one",
        )
        .into()),
        Some(r) if r != code.redirect_uri => Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        )
        .into()),
        _ => Ok(()),
    }
}

/// Redeems `code` and issues what it grants. A code presented by another
/// client, or without its redirect URI, is refused before anything changes;
/// past that the code is consumed, whatever the decision.
#[tracing::instrument(skip_all, fields(client_id = %m.client.id))]
pub fn apply(
    conn: &mut DbConn,
    m: &Minting,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let (issuer, client) = (m.issuer, m.client);
    let now = store::now();
    let digest = secret::digest(code);
    if let Some(found) = store::codes::find(conn, &digest)? {
        check_binding(&found, client, redirect_uri).map_err(|r| r.error)?;
    }
    let redemption = store::codes::redeem(conn, &digest, now)?;
    let grant = match decide_code(&redemption, client, redirect_uri, code_verifier, now) {
        Ok(g) => g,
        Err(refusal) => return Err(refusal.apply(conn, client, now)?),
    };
    let user = active_user(store::users::find(conn, &grant.user_id)?)?;
    user_tokens(
        conn,
        m,
        &UserGrant {
            user: &user,
            scope: &grant.scope,
            family_id: &grant.family_id,
            family_end: issue::family_end(client, &issuer.lifetimes, now),
            auth_time: Some(grant.auth_time),
            nonce: grant.nonce.as_deref(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{client, NOW};

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn code(challenge: Option<&str>) -> AuthorizationCode {
        AuthorizationCode {
            digest: "d".into(),
            client_id: "app".into(),
            user_id: "u1".into(),
            redirect_uri: "https://app.example/cb".into(),
            scope: "openid profile".into(),
            nonce: Some("n-0S6_WzA2Mj".into()),
            code_challenge: challenge.map(str::to_owned),
            code_challenge_method: challenge.map(|_| "S256".to_owned()),
            auth_time: NOW - 30,
            family_id: "fam".into(),
            created_at: NOW - 10,
            expires_at: NOW + 50,
            consumed_at: Some(NOW),
            redirect_uri_given: false,
        }
    }

    fn redeemed(c: AuthorizationCode) -> Redemption {
        Redemption::Redeemed(c)
    }

    #[test]
    fn a_good_redemption_grants_the_codes_scope_nonce_and_family() {
        let grant = decide_code(
            &redeemed(code(Some(CHALLENGE))),
            &client("app"),
            Some("https://app.example/cb"),
            Some(VERIFIER),
            NOW,
        )
        .unwrap();
        assert_eq!(grant.user_id, "u1");
        assert_eq!(grant.scope, vec!["openid", "profile"]);
        assert_eq!(grant.family_id, "fam");
        assert_eq!(grant.auth_time, NOW - 30);
        assert_eq!(grant.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    }

    #[test]
    fn an_unknown_code_is_invalid_grant() {
        let r = decide_code(&Redemption::Unknown, &client("app"), None, None, NOW).unwrap_err();
        assert_eq!(r.error.code, "invalid_grant");
        assert_eq!(r.revoke_family, None);
    }

    #[test]
    fn a_replayed_code_revokes_its_family() {
        let r = decide_code(
            &Redemption::AlreadyUsed(code(None)),
            &client("app"),
            None,
            None,
            NOW,
        )
        .unwrap_err();
        assert_eq!(r.error.description, "the code has already been used");
        assert_eq!(r.revoke_family.as_deref(), Some("fam"));
    }

    #[test]
    fn a_redirect_uri_the_request_named_is_required() {
        let mut c = code(None);
        c.redirect_uri_given = true;
        let r = decide_code(&redeemed(c.clone()), &client("app"), None, None, NOW).unwrap_err();
        assert_eq!(r.error.code, "invalid_request");
        assert!(decide_code(
            &redeemed(c),
            &client("app"),
            Some("https://app.example/cb"),
            None,
            NOW
        )
        .is_ok());
    }

    #[test]
    fn another_clients_replay_revokes_nothing() {
        let r = decide_code(
            &Redemption::AlreadyUsed(code(None)),
            &client("other"),
            None,
            None,
            NOW,
        )
        .unwrap_err();
        assert_eq!(r.error.code, "invalid_grant");
        assert_eq!(r.revoke_family, None);
    }

    #[test]
    fn a_code_is_bound_to_its_client() {
        let r = decide_code(&redeemed(code(None)), &client("other"), None, None, NOW).unwrap_err();
        assert_eq!(r.error.description, "the code was issued to another client");
        assert_eq!(r.revoke_family, None);
    }

    #[test]
    fn an_expired_code_is_refused_at_its_expiry() {
        let c = code(None);
        let at = c.expires_at;
        let r = decide_code(&redeemed(c), &client("app"), None, None, at).unwrap_err();
        assert_eq!(r.error.description, "the code has expired");
        assert!(decide_code(&redeemed(code(None)), &client("app"), None, None, at - 1).is_ok());
    }

    #[test]
    fn a_different_redirect_uri_is_refused_an_absent_one_is_not() {
        let r = decide_code(
            &redeemed(code(None)),
            &client("app"),
            Some("https://app.example/cb2"),
            None,
            NOW,
        )
        .unwrap_err();
        assert_eq!(r.error.code, "invalid_grant");
        assert!(r.error.description.contains("redirect_uri"));
        assert!(decide_code(&redeemed(code(None)), &client("app"), None, None, NOW).is_ok());
    }

    #[test]
    fn the_verifier_must_match_the_challenge() {
        let c = || redeemed(code(Some(CHALLENGE)));
        for bad in [
            None,
            Some("wrong-verifier-wrong-verifier-wrong-verifier-00"),
        ] {
            let r = decide_code(&c(), &client("app"), None, bad, NOW).unwrap_err();
            assert_eq!(r.error.code, "invalid_grant", "{bad:?}");
        }
        // A verifier for a code that had no challenge is refused too (RFC 9700 §2.1.1).
        let r = decide_code(
            &redeemed(code(None)),
            &client("app"),
            None,
            Some(VERIFIER),
            NOW,
        )
        .unwrap_err();
        assert_eq!(r.error.code, "invalid_grant");
    }
}
