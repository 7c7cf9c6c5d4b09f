//! Scopes and the claims each releases: the rules shared by the admin pages,
//! the admin API and the CLI. Built-in scopes (OpenID Connect's and
//! `metrics`) keep their names and claims; only their descriptions change.

use crate::db::DbConn;
use crate::store::{self, audit, scopes::Scope};

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("no such scope: {0}")]
    NotFound(String),
    /// The scope exists already, or is still in use.
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl crate::db::Contention for ScopeError {
    fn is_contention(&self) -> bool {
        matches!(self, ScopeError::Db(e) if crate::db::is_contention(e))
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ScopeError {
    ScopeError::Invalid {
        field,
        message: message.into(),
    }
}

/// A scope name: 1 to 64 characters, letters, digits and `:._-`, starting
/// with a letter or digit (a subset of RFC 6749 §3.3's scope-token that is
/// also safe in a URL path).
pub fn check_name(name: &str) -> Result<(), ScopeError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "name",
            "Use 1 to 64 letters, digits and : . _ -, starting with a letter or digit (e.g. api:read).",
        ))
    }
}

/// The description shown on consent pages: 1 to 200 characters.
fn check_description(description: &str) -> Result<String, ScopeError> {
    let d = description.trim();
    if d.is_empty() || d.chars().count() > 200 {
        return Err(invalid(
            "description",
            "Describe what the app may do, in 1 to 200 characters: people read it on the consent page.",
        ));
    }
    Ok(d.to_owned())
}

/// Claim names, separated by spaces or commas: letters, digits and `_`.
pub fn parse_claims(claims: &str) -> Result<Vec<String>, ScopeError> {
    let mut out: Vec<String> = Vec::new();
    for c in claims
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|c| !c.is_empty())
    {
        if c.len() > 64 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            return Err(invalid(
                "claims",
                format!("'{c}' is not a claim name (letters, digits and _)."),
            ));
        }
        if !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(actor = %actor.id, name))]
pub fn create(
    conn: &mut DbConn,
    name: &str,
    description: &str,
    claims: &str,
    actor: &audit::Actor,
) -> Result<Scope, ScopeError> {
    let name = name.trim();
    check_name(name)?;
    let description = check_description(description)?;
    let claims = parse_claims(claims)?;
    crate::db::transaction(conn, |c| {
        if store::scopes::find(c, name)?.is_some() {
            return Err(ScopeError::Conflict(format!(
                "There is a scope '{name}' already."
            )));
        }
        let scope = Scope::new(name, &description, &claims);
        store::scopes::insert(c, &scope)?;
        store::settings::increment(c, store::settings::METADATA_VERSION)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("scope.create", true)
                .by(actor)
                .target(name)
                .detail(serde_json::json!({ "claims": claims })),
        )?;
        Ok(scope)
    })
}

/// Changes the description and (for a custom scope) the claims.
#[tracing::instrument(skip_all, fields(actor = %actor.id, name))]
pub fn update(
    conn: &mut DbConn,
    name: &str,
    description: &str,
    claims: &str,
    actor: &audit::Actor,
) -> Result<Scope, ScopeError> {
    let description = check_description(description)?;
    let parsed = parse_claims(claims)?;
    crate::db::transaction(conn, |c| {
        let current =
            store::scopes::find(c, name)?.ok_or_else(|| ScopeError::NotFound(name.to_owned()))?;
        let claims = if current.builtin {
            if parsed != current.claim_names() {
                return Err(invalid(
                    "claims",
                    "The claims of a built-in scope are fixed by the standard.",
                ));
            }
            current.claim_names()
        } else {
            parsed.clone()
        };
        store::scopes::update(c, name, &description, &claims)?;
        store::settings::increment(c, store::settings::METADATA_VERSION)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("scope.update", true)
                .by(actor)
                .target(name)
                .detail(serde_json::json!({ "claims": claims })),
        )?;
        store::scopes::find(c, name)?.ok_or_else(|| ScopeError::NotFound(name.to_owned()))
    })
}

/// Deletes a custom scope no client allows any more.
#[tracing::instrument(skip_all, fields(actor = %actor.id, name))]
pub fn delete(conn: &mut DbConn, name: &str, actor: &audit::Actor) -> Result<(), ScopeError> {
    crate::db::transaction(conn, |c| {
        let scope =
            store::scopes::find(c, name)?.ok_or_else(|| ScopeError::NotFound(name.to_owned()))?;
        if scope.builtin {
            return Err(ScopeError::Conflict(format!(
                "'{name}' is a built-in scope and cannot be deleted."
            )));
        }
        let users: Vec<String> = store::clients::list(c, None, i64::MAX, 0)?
            .into_iter()
            .filter(|cl| cl.allowed_scope_list().iter().any(|s| s == name))
            .map(|cl| cl.name)
            .collect();
        if !users.is_empty() {
            return Err(ScopeError::Conflict(format!(
                "'{name}' is still allowed for {}; take it off {} first.",
                users.join(", "),
                if users.len() == 1 {
                    "that app"
                } else {
                    "those apps"
                }
            )));
        }
        store::scopes::delete_custom(c, name)?;
        store::settings::increment(c, store::settings::METADATA_VERSION)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("scope.delete", true)
                .by(actor)
                .target(name),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_claims() {
        for ok in ["api:read", "metrics", "a", "orders.write", "x.y_z-1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ":x",
            "has space",
            "quote\"",
            "back\\slash",
            &"a".repeat(65),
            "émoji",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_claims("a, b  c,a").unwrap(), vec!["a", "b", "c"]);
        assert!(parse_claims("ok bad-claim").is_err());
        assert!(parse_claims("").unwrap().is_empty());
    }
}
