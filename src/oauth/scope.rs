//! Scope strings (RFC 6749 §3.3): parsing, and deciding what a request gets.

use super::error::OAuthError;

/// Splits a scope parameter; rejects characters RFC 6749 §3.3 does not allow.
pub fn parse(raw: &str) -> Result<Vec<String>, OAuthError> {
    let mut out: Vec<String> = Vec::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        let valid = token
            .chars()
            .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c));
        if !valid {
            return Err(OAuthError::invalid_scope(format!(
                "'{token}' is not a valid scope token"
            )));
        }
        if !out.iter().any(|s| s == token) {
            out.push(token.to_owned());
        }
    }
    Ok(out)
}

/// What a request gets: the requested scopes if all are allowed, or the
/// client's defaults when none are requested (RFC 6749 §3.3).
pub fn resolve(
    requested: Option<&str>,
    allowed: &[String],
    defaults: &[String],
) -> Result<Vec<String>, OAuthError> {
    let requested = match requested {
        Some(raw) => parse(raw)?,
        None => Vec::new(),
    };
    if requested.is_empty() {
        if defaults.is_empty() {
            return Err(OAuthError::invalid_scope(
                "no scope was requested and the client has no default scope",
            ));
        }
        return Ok(defaults.to_vec());
    }
    if let Some(s) = requested.iter().find(|s| !allowed.contains(s)) {
        return Err(OAuthError::invalid_scope(format!(
            "the client may not request '{s}'"
        )));
    }
    Ok(requested)
}

/// A refresh may ask for fewer scopes than were granted, never more (RFC 6749 §6).
pub fn narrow(requested: Option<&str>, granted: &[String]) -> Result<Vec<String>, OAuthError> {
    let Some(raw) = requested else {
        return Ok(granted.to_vec());
    };
    let asked = parse(raw)?;
    if asked.is_empty() {
        return Ok(granted.to_vec());
    }
    if let Some(s) = asked.iter().find(|s| !granted.contains(s)) {
        return Err(OAuthError::invalid_scope(format!("'{s}' was not granted")));
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn requested_scopes_must_be_allowed_and_defaults_fill_in() {
        let allowed = v("openid profile email");
        assert_eq!(
            resolve(Some("email openid"), &allowed, &v("openid")).unwrap(),
            v("email openid")
        );
        assert_eq!(resolve(None, &allowed, &v("openid")).unwrap(), v("openid"));
        assert_eq!(
            resolve(Some(""), &allowed, &v("openid")).unwrap(),
            v("openid")
        );
        assert_eq!(
            resolve(Some("openid openid"), &allowed, &[]).unwrap(),
            v("openid")
        );
        assert_eq!(
            resolve(Some("openid admin"), &allowed, &[])
                .unwrap_err()
                .code,
            "invalid_scope"
        );
        assert_eq!(
            resolve(None, &allowed, &[]).unwrap_err().code,
            "invalid_scope"
        );
        assert_eq!(
            resolve(Some("a\"b"), &allowed, &[]).unwrap_err().code,
            "invalid_scope"
        );
    }

    #[test]
    fn refresh_narrows_never_widens() {
        let granted = v("openid profile offline_access");
        assert_eq!(narrow(None, &granted).unwrap(), granted);
        assert_eq!(narrow(Some("openid"), &granted).unwrap(), v("openid"));
        assert_eq!(
            narrow(Some("openid email"), &granted).unwrap_err().code,
            "invalid_scope"
        );
    }
}
