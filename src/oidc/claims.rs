//! The claims a user releases for a set of scopes, from the scope table: a
//! custom scope with its own claim names works without a code change, reading
//! standard claims from the user's columns and the rest from `extra_claims`.

use serde_json::{json, Map, Value};

use crate::store::scopes::Scope;
use crate::store::users::User;

/// The value of one claim for `user`, if the user has one.
pub fn claim(user: &User, name: &str) -> Option<Value> {
    let some = |v: &Option<String>| v.as_ref().map(|s| json!(s));
    match name {
        "sub" => Some(json!(user.id)),
        "preferred_username" => Some(json!(user.username)),
        "name" => user
            .display_name
            .clone()
            .or_else(|| {
                let full = [user.given_name.as_deref(), user.family_name.as_deref()]
                    .iter()
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                (!full.is_empty()).then_some(full)
            })
            .map(Value::from),
        "given_name" => some(&user.given_name),
        "family_name" => some(&user.family_name),
        "email" => some(&user.email),
        "email_verified" => user.email.as_ref().map(|_| json!(user.email_verified)),
        "updated_at" => Some(json!(user.updated_at)),
        other => serde_json::from_str::<Map<String, Value>>(&user.extra_claims)
            .ok()
            .and_then(|m| m.get(other).cloned()),
    }
}

/// The claims that `granted` scopes release (names from the scope table).
pub fn for_scopes(user: &User, scopes: &[Scope], granted: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(user.id));
    for scope in scopes.iter().filter(|s| granted.contains(&s.name)) {
        for name in scope.claim_names() {
            if let Some(v) = claim(user, &name) {
                out.insert(name, v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::users::NewUser;

    fn user() -> User {
        let n = NewUser::new("ada", Some("ada@example.com"), None);
        User {
            id: n.id,
            username: n.username,
            username_key: n.username_key,
            email: n.email,
            email_key: n.email_key,
            email_verified: true,
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            display_name: None,
            extra_claims: r#"{"groups":["ops"]}"#.into(),
            password_hash: None,
            is_admin: false,
            disabled: false,
            session_epoch: 0,
            created_at: 1,
            updated_at: 2,
            last_login_at: None,
        }
    }

    #[test]
    fn scopes_release_their_claims_only() {
        let u = user();
        let scopes = vec![
            Scope::new("openid", "", &["sub".into()]),
            Scope::new(
                "profile",
                "",
                &[
                    "name".into(),
                    "given_name".into(),
                    "preferred_username".into(),
                    "updated_at".into(),
                    "website".into(),
                ],
            ),
            Scope::new("email", "", &["email".into(), "email_verified".into()]),
            Scope::new("groups", "", &["groups".into()]),
        ];
        let bare = for_scopes(&u, &scopes, &["openid".into()]);
        assert_eq!(Value::Object(bare), json!({ "sub": u.id }));
        let all = for_scopes(
            &u,
            &scopes,
            &[
                "openid".into(),
                "profile".into(),
                "email".into(),
                "groups".into(),
            ],
        );
        assert_eq!(all["name"], "Ada Lovelace");
        assert_eq!(all["preferred_username"], "ada");
        assert_eq!(all["updated_at"], 2);
        assert_eq!(all["email_verified"], true);
        assert_eq!(all["groups"], json!(["ops"]));
        assert!(
            all.get("website").is_none(),
            "claims the user lacks are left out"
        );
    }
}
