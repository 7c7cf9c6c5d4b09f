//! The resource owner password grant (RFC 6749 §4.3), for clients an admin
//! enabled it on (off by default; RFC 9700 §2.4 advises against it). The
//! credentials go through the same check as the sign-in page.

use super::{user_tokens, Minting, TokenResponse, UserGrant};
use crate::db::DbConn;
use crate::idm::sign_in::{self, Outcome};
use crate::oauth::error::OAuthError;
use crate::oauth::issue::{self};
use crate::oauth::scope;
use crate::store::types::FamilyId;
use crate::store::{self, clients::Client};

use super::Caller;

/// The scope a password grant gives `client` for this request.
pub fn decide_password(
    client: &Client,
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    scope::resolve(
        requested,
        &client.allowed_scope_list(),
        &client.default_scope_list(),
    )
}

/// What the credential check's outcome means for the grant.
pub fn decide_sign_in(outcome: Outcome) -> Result<store::users::User, OAuthError> {
    match outcome {
        Outcome::SignedIn(user) => Ok(*user),
        Outcome::Wrong => Err(OAuthError::invalid_grant("wrong username or password")),
        Outcome::Locked(wait) => Err(OAuthError::invalid_grant(format!(
            "too many failed sign-ins; try again in {} minutes",
            sign_in::minutes(wait)
        ))),
        Outcome::Busy => Err(OAuthError::temporarily_unavailable(
            "password checks are saturated; try again shortly",
        )),
    }
}

#[tracing::instrument(skip_all, fields(client_id = %m.client.id))]
pub fn apply(
    conn: &mut DbConn,
    m: &Minting,
    requested: Option<&str>,
    caller: &Caller,
) -> Result<TokenResponse, OAuthError> {
    let (issuer, client) = (m.issuer, m.client);
    let scope = decide_password(client, requested)?;
    let now = store::now();
    let outcome = caller
        .sign_in
        .clone()
        .ok_or_else(|| OAuthError::server_error("the credentials were not checked"))?;
    let user = decide_sign_in(outcome)?;
    let family = FamilyId::from(store::new_id());
    user_tokens(
        conn,
        m,
        &UserGrant {
            user: &user,
            scope: &scope,
            family_id: &family,
            family_end: issue::family_end(client, &issuer.lifetimes, now),
            auth_time: Some(now),
            nonce: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{client, user};

    #[test]
    fn the_scope_is_the_request_within_the_policy_or_the_defaults() {
        let c = client("app");
        assert_eq!(decide_password(&c, None).unwrap(), vec!["openid"]);
        assert_eq!(
            decide_password(&c, Some("profile email")).unwrap(),
            vec!["profile", "email"]
        );
        assert_eq!(
            decide_password(&c, Some("admin")).unwrap_err().code,
            "invalid_scope"
        );
    }

    #[test]
    fn a_wrong_or_throttled_sign_in_is_invalid_grant() {
        assert_eq!(
            decide_sign_in(Outcome::Wrong).unwrap_err().description,
            "wrong username or password"
        );
        let locked = decide_sign_in(Outcome::Locked(61)).unwrap_err();
        assert_eq!(locked.code, "invalid_grant");
        assert!(locked.description.contains("2 minutes"), "{locked:?}");
        let u = decide_sign_in(Outcome::SignedIn(Box::new(user("u1")))).unwrap();
        assert_eq!(u.id, "u1");
    }
}
