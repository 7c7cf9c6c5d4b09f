//! The refresh token grant (RFC 6749 §6) with rotation: each refresh token
//! works once; presenting a rotated one again revokes its whole family (RFC
//! 9700 §4.14.2). A refresh may narrow the scope, never widen it.

use super::{active_user, user_tokens, Minting, Refusal, TokenResponse, UserGrant};
use crate::crypto::secret;
use crate::db::DbConn;
use crate::oauth::error::OAuthError;
use crate::oauth::scope;
use crate::store::tokens::{self, Token};
use crate::store::types::{FamilyId, TokenKind, UserId};
use crate::store::{self, clients::Client, users::User};

/// What a refresh does: rotate `token_id` and issue `scope` in `family`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub token_id: String,
    pub family_id: FamilyId,
    pub user_id: UserId,
    pub scope: Vec<String>,
    pub family_end: i64,
    pub auth_time: Option<i64>,
}

fn not_valid() -> Refusal {
    OAuthError::invalid_grant("the refresh token is not valid").into()
}

fn reused(family: &str) -> Refusal {
    Refusal::revoking(
        OAuthError::invalid_grant("the refresh token has already been used"),
        family,
    )
}

/// Decides a refresh by `client`: `found` is the token the presented value's
/// digest names (if any), `user` its user as stored now, `requested` the
/// request's scope parameter.
pub fn decide_refresh(
    found: Option<&Token>,
    client: &Client,
    user: Option<&User>,
    requested: Option<&str>,
    now: i64,
) -> Result<Rotation, Refusal> {
    let token = match found {
        Some(t) if t.kind == TokenKind::Refresh => t,
        _ => return Err(not_valid()),
    };
    // RFC 9700 §4.14: bound to its client; another client learns nothing more.
    if token.client_id != client.id {
        return Err(not_valid());
    }
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(OAuthError::invalid_grant("the refresh token is no longer valid").into());
    }
    let family = token
        .family_id
        .clone()
        .unwrap_or_else(|| FamilyId::from(token.id.as_str()));
    if token.rotated_at.is_some() {
        return Err(reused(&family));
    }
    // A request refused for its scope or user leaves the token usable.
    let Some(user_id) = token.user_id.clone() else {
        return Err(not_valid());
    };
    active_user(user.filter(|u| u.id == user_id).cloned())?;
    let scope = scope::narrow(requested, &token.scope)?;
    // What an admin has since taken from the client's policy is not granted
    // again (the refresh token stays usable for the rest).
    let allowed = client.allowed_scope_list();
    let scope: Vec<String> = scope.into_iter().filter(|s| allowed.contains(s)).collect();
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope(
            "the client's policy no longer allows any scope this refresh token carries",
        )
        .into());
    }
    Ok(Rotation {
        token_id: token.id.clone(),
        family_id: family,
        user_id,
        scope,
        family_end: token.family_expires_at.unwrap_or(token.expires_at),
        auth_time: token.auth_time,
    })
}

/// Rotates the presented refresh token and issues its successors. Of two
/// concurrent refreshes one rotates; the other is a reuse.
#[tracing::instrument(skip_all, fields(client_id = %m.client.id))]
pub fn apply(
    conn: &mut DbConn,
    m: &Minting,
    presented: &str,
    requested: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let client = m.client;
    let now = store::now();
    let found = tokens::find_by_digest(conn, &secret::digest(presented))?;
    let user = match found.as_ref().and_then(|t| t.user_id.as_deref()) {
        Some(id) => store::users::find(conn, id)?,
        None => None,
    };
    let rotation = match decide_refresh(found.as_ref(), client, user.as_ref(), requested, now) {
        Ok(r) => r,
        Err(refusal) => return Err(refusal.apply(conn, client, now)?),
    };
    if !tokens::mark_rotated(conn, &rotation.token_id, now)? {
        // Another request rotated it first: this one is a reuse.
        return Err(reused(&rotation.family_id).apply(conn, client, now)?);
    }
    let user = active_user(user)?;
    user_tokens(
        conn,
        m,
        &UserGrant {
            user: &user,
            scope: &rotation.scope,
            family_id: &rotation.family_id,
            family_end: rotation.family_end,
            auth_time: rotation.auth_time,
            nonce: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{client, user, NOW};

    fn refresh_token() -> Token {
        let mut t = crate::store::fixtures::access_token(
            "app",
            Some("u1"),
            "openid profile offline_access",
        );
        t.id = "rt1".into();
        t.kind = TokenKind::Refresh;
        t.family_id = Some("fam".into());
        t.auth_time = Some(NOW - 500);
        t.created_at = NOW - 100;
        t.expires_at = NOW + 1000;
        t.family_expires_at = Some(NOW + 1000);
        t
    }

    fn decide(t: &Token, requested: Option<&str>) -> Result<Rotation, Refusal> {
        decide_refresh(Some(t), &client("app"), Some(&user("u1")), requested, NOW)
    }

    #[test]
    fn a_live_token_rotates_within_its_family_and_keeps_the_scope() {
        let r = decide(&refresh_token(), None).unwrap();
        assert_eq!(r.token_id, "rt1");
        assert_eq!(r.family_id, "fam");
        assert_eq!(r.user_id, "u1");
        assert_eq!(r.scope, vec!["openid", "profile", "offline_access"]);
        assert_eq!(r.family_end, NOW + 1000);
        assert_eq!(r.auth_time, Some(NOW - 500));
    }

    #[test]
    fn the_scope_may_narrow_but_never_widen() {
        assert_eq!(
            decide(&refresh_token(), Some("openid")).unwrap().scope,
            vec!["openid"]
        );
        let r = decide(&refresh_token(), Some("openid email")).unwrap_err();
        assert_eq!(r.error.code, "invalid_scope");
        assert_eq!(
            r.revoke_family, None,
            "a refused scope leaves the token usable"
        );
    }

    #[test]
    fn a_scope_removed_from_the_clients_policy_is_not_granted_again() {
        let mut narrowed = client("app");
        narrowed.allowed_scopes = "openid offline_access".parse().unwrap();
        let r = decide_refresh(
            Some(&refresh_token()),
            &narrowed,
            Some(&user("u1")),
            None,
            NOW,
        )
        .unwrap();
        assert_eq!(r.scope, vec!["openid", "offline_access"]);
        narrowed.allowed_scopes = "email".parse().unwrap();
        let r = decide_refresh(
            Some(&refresh_token()),
            &narrowed,
            Some(&user("u1")),
            None,
            NOW,
        )
        .unwrap_err();
        assert_eq!(r.error.code, "invalid_scope");
        assert_eq!(r.revoke_family, None);
    }

    #[test]
    fn a_rotated_token_presented_again_revokes_the_family() {
        let mut t = refresh_token();
        t.rotated_at = Some(NOW - 5);
        let r = decide(&t, None).unwrap_err();
        assert_eq!(
            r.error.description,
            "the refresh token has already been used"
        );
        assert_eq!(r.revoke_family.as_deref(), Some("fam"));
        // A token of no family is its own family.
        t.family_id = None;
        assert_eq!(
            decide(&t, None).unwrap_err().revoke_family.as_deref(),
            Some("rt1")
        );
    }

    #[test]
    fn another_clients_token_or_an_access_token_is_not_valid() {
        let t = refresh_token();
        let r =
            decide_refresh(Some(&t), &client("other"), Some(&user("u1")), None, NOW).unwrap_err();
        assert_eq!(r.error.description, "the refresh token is not valid");
        assert_eq!(r.revoke_family, None);
        let mut access = refresh_token();
        access.kind = TokenKind::Access;
        assert_eq!(
            decide(&access, None).unwrap_err().error.description,
            "the refresh token is not valid"
        );
        assert!(decide_refresh(None, &client("app"), None, None, NOW).is_err());
    }

    #[test]
    fn revoked_or_expired_tokens_are_no_longer_valid() {
        let mut revoked = refresh_token();
        revoked.revoked_at = Some(NOW - 1);
        let mut expired = refresh_token();
        expired.expires_at = NOW;
        for t in [revoked, expired] {
            let r = decide(&t, None).unwrap_err();
            assert_eq!(r.error.description, "the refresh token is no longer valid");
            assert_eq!(r.revoke_family, None);
        }
    }

    #[test]
    fn a_disabled_or_deleted_user_gets_nothing() {
        let t = refresh_token();
        let mut disabled = user("u1");
        disabled.disabled = true;
        for u in [Some(&disabled), None] {
            let r = decide_refresh(Some(&t), &client("app"), u, None, NOW).unwrap_err();
            assert_eq!(r.error.description, "the user is no longer active");
        }
    }
}
