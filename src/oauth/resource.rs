//! The one rule for "is this access token usable", shared by the bearer
//! guard (/metrics), /userinfo and the admin API: an access token (not a
//! refresh token) found by its digest, neither expired, rotated nor revoked,
//! whose user (when it has one) still exists and is enabled, and which
//! carries every scope the resource needs (RFC 6750 §3.1).

use crate::crypto::secret;
use crate::db::DbConn;
use crate::store::tokens::{self, Token};
use crate::store::types::TokenKind;
use crate::store::users::{self, User};

/// A usable access token and its user (`None` for a client's own token).
#[derive(Debug, Clone)]
pub struct Live {
    pub token: Token,
    pub user: Option<User>,
}

impl Live {
    pub fn scopes(&self) -> Vec<String> {
        self.token.scope.to_vec()
    }
}

/// Why a token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// Unknown, not an access token, expired, revoked, or its user is gone or
    /// disabled: RFC 6750 `invalid_token`.
    Invalid,
    /// Usable, but without this scope: RFC 6750 `insufficient_scope`.
    MissingScope(String),
}

/// Decides from the rows: `token` as found by digest, `user` its user as
/// stored now.
pub fn decide(
    token: Option<Token>,
    user: Option<User>,
    required: &[&str],
    now: i64,
) -> Result<Live, Unusable> {
    let token = match token {
        Some(t) if t.kind == TokenKind::Access && t.is_active(now) => t,
        _ => return Err(Unusable::Invalid),
    };
    let user = match &token.user_id {
        None => None,
        Some(id) => match user {
            Some(u) if u.id == *id && !u.disabled => Some(u),
            _ => return Err(Unusable::Invalid),
        },
    };
    let live = Live { token, user };
    let granted = live.scopes();
    if let Some(missing) = required.iter().find(|r| !granted.iter().any(|g| g == *r)) {
        return Err(Unusable::MissingScope((*missing).to_owned()));
    }
    Ok(live)
}

/// Looks up the presented token (and its user) and decides.
#[tracing::instrument(skip_all)]
pub fn check(
    conn: &mut DbConn,
    presented: &str,
    required: &[&str],
    now: i64,
) -> diesel::QueryResult<Result<Live, Unusable>> {
    let token = tokens::find_by_digest(conn, &secret::digest(presented))?;
    let user = match token.as_ref().and_then(|t| t.user_id.as_deref()) {
        Some(id) => users::find(conn, id)?,
        None => None,
    };
    Ok(decide(token, user, required, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{user, NOW};

    fn access(user_id: Option<&str>, scope: &str) -> Token {
        crate::store::fixtures::access_token("app", user_id, scope)
    }

    #[test]
    fn a_live_token_with_its_scopes_is_usable() {
        let live = decide(
            Some(access(Some("u1"), "openid metrics")),
            Some(user("u1")),
            &["metrics"],
            NOW,
        )
        .unwrap();
        assert_eq!(live.user.map(|u| u.id).as_deref(), Some("u1"));
        let machine = decide(Some(access(None, "metrics")), None, &["metrics"], NOW).unwrap();
        assert!(machine.user.is_none());
    }

    #[test]
    fn a_missing_scope_is_named() {
        assert_eq!(
            decide(Some(access(None, "openid")), None, &["metrics"], NOW).unwrap_err(),
            Unusable::MissingScope("metrics".into())
        );
    }

    #[test]
    fn refresh_expired_revoked_and_unknown_tokens_are_invalid() {
        let mut refresh = access(None, "metrics");
        refresh.kind = TokenKind::Refresh;
        let mut expired = access(None, "metrics");
        expired.expires_at = NOW;
        let mut revoked = access(None, "metrics");
        revoked.revoked_at = Some(NOW - 1);
        for t in [Some(refresh), Some(expired), Some(revoked), None] {
            assert_eq!(decide(t, None, &[], NOW).unwrap_err(), Unusable::Invalid);
        }
    }

    #[test]
    fn a_disabled_or_deleted_user_makes_the_token_invalid() {
        let mut disabled = user("u1");
        disabled.disabled = true;
        for u in [Some(disabled), None, Some(user("someone-else"))] {
            assert_eq!(
                decide(Some(access(Some("u1"), "openid")), u, &[], NOW).unwrap_err(),
                Unusable::Invalid
            );
        }
    }
}
