//! Token introspection (RFC 7662): what a client may learn of a token. It
//! sees its own tokens, or any token when an admin made it a resource server;
//! every other answer is `{"active": false}` and nothing else.

use serde_json::{json, Map, Value};

use crate::store::types::{TokenFormat, TokenKind};
use crate::store::{clients::Client, tokens};

/// The RFC 7662 §2.2 answer for `found`, as `caller` may see it.
pub fn describe(found: &tokens::Lookup, caller: &Client, issuer: &str, now: i64) -> Value {
    let inactive = json!({ "active": false });
    let Some(t) = &found.token else {
        return inactive;
    };
    // token_type_hint is only a hint: access and refresh tokens are both
    // found by digest, whatever the hint says.
    if !t.is_active(now) || found.user_disabled {
        return inactive;
    }
    if t.client_id != caller.id && !caller.resource_server {
        return inactive;
    }
    let mut out = Map::new();
    out.insert("active".into(), json!(true));
    out.insert("scope".into(), json!(t.scope));
    out.insert("client_id".into(), json!(t.client_id));
    if let Some(name) = &found.username {
        out.insert("username".into(), json!(name));
    }
    out.insert(
        "sub".into(),
        json!(t.user_id.as_deref().unwrap_or(&t.client_id)),
    );
    out.insert("aud".into(), json!(issuer));
    out.insert("iss".into(), json!(issuer));
    out.insert("exp".into(), json!(t.expires_at));
    out.insert("iat".into(), json!(t.created_at));
    out.insert(
        "token_type".into(),
        json!(if t.kind == TokenKind::Access {
            "Bearer"
        } else {
            "refresh_token"
        }),
    );
    if t.format == TokenFormat::Jwt {
        out.insert("jti".into(), json!(t.id));
    }
    if let Some(at) = t.auth_time {
        out.insert("auth_time".into(), json!(at));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{client, NOW};
    use crate::store::tokens::{Lookup, Token};

    fn found(t: Token) -> Lookup {
        Lookup {
            token: Some(t),
            username: Some("ann".into()),
            user_disabled: false,
            caller_revision: Some(1),
        }
    }

    fn access(owner: &str) -> Token {
        let mut t = crate::store::fixtures::access_token(owner, Some("u1"), "openid profile");
        t.id = "jti-1".into();
        t.family_id = Some("fam".into());
        t.auth_time = Some(NOW - 60);
        t.expires_at = NOW + 3590;
        t
    }

    const ISSUER: &str = "https://id.example";

    #[test]
    fn the_owner_sees_the_rfc7662_members() {
        let v = describe(&found(access("app")), &client("app"), ISSUER, NOW);
        assert_eq!(v["active"], true);
        assert_eq!(v["scope"], "openid profile");
        assert_eq!(v["client_id"], "app");
        assert_eq!(v["username"], "ann");
        assert_eq!(v["sub"], "u1");
        assert_eq!(v["iss"], ISSUER);
        assert_eq!(v["aud"], ISSUER);
        assert_eq!(v["exp"], NOW + 3590);
        assert_eq!(v["iat"], NOW - 10);
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["auth_time"], NOW - 60);
        assert!(v.get("jti").is_none(), "opaque tokens have no jti");
    }

    #[test]
    fn another_client_learns_nothing_unless_it_is_a_resource_server() {
        let inactive = json!({ "active": false });
        assert_eq!(
            describe(&found(access("app")), &client("other"), ISSUER, NOW),
            inactive
        );
        let mut rs = client("other");
        rs.resource_server = true;
        assert_eq!(
            describe(&found(access("app")), &rs, ISSUER, NOW)["active"],
            true
        );
    }

    #[test]
    fn dead_tokens_and_disabled_users_are_inactive_with_nothing_else() {
        let inactive = json!({ "active": false });
        let mut expired = access("app");
        expired.expires_at = NOW;
        let mut revoked = access("app");
        revoked.revoked_at = Some(NOW - 1);
        let mut rotated = access("app");
        rotated.rotated_at = Some(NOW - 1);
        for t in [expired, revoked, rotated] {
            assert_eq!(describe(&found(t), &client("app"), ISSUER, NOW), inactive);
        }
        let mut disabled = found(access("app"));
        disabled.user_disabled = true;
        assert_eq!(describe(&disabled, &client("app"), ISSUER, NOW), inactive);
        let none = Lookup {
            token: None,
            username: None,
            user_disabled: false,
            caller_revision: Some(1),
        };
        assert_eq!(describe(&none, &client("app"), ISSUER, NOW), inactive);
    }

    #[test]
    fn machine_tokens_name_the_client_jwts_their_jti_refresh_tokens_their_kind() {
        let mut m = access("m2m");
        m.user_id = None;
        m.format = TokenFormat::Jwt;
        let v = describe(
            &Lookup {
                username: None,
                ..found(m)
            },
            &client("m2m"),
            ISSUER,
            NOW,
        );
        assert_eq!(v["sub"], "m2m");
        assert_eq!(v["jti"], "jti-1");
        assert!(v.get("username").is_none());
        let mut r = access("app");
        r.kind = TokenKind::Refresh;
        assert_eq!(
            describe(&found(r), &client("app"), ISSUER, NOW)["token_type"],
            "refresh_token"
        );
    }
}
