//! OAuth 2.0 error responses (RFC 6749 §5.2) as plain values; the web layer
//! turns them into JSON with the right status and headers.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
    /// Lost to concurrent transactions: the work may be run again.
    contended: bool,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        let description: String = description.into();
        // RFC 6749 §5.2: error_description is printable ASCII without '"' and '\'.
        let description = description
            .chars()
            .map(|c| {
                if (' '..='~').contains(&c) && c != '"' && c != '\\' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        OAuthError {
            code,
            description,
            contended: false,
        }
    }
    /// An error code defined outside RFC 6749 §5.2 (authorization errors,
    /// OIDC Core §3.1.2.6).
    pub fn new_code(code: &'static str, d: impl Into<String>) -> Self {
        Self::new(code, d)
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new("invalid_request", d)
    }
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new("invalid_client", d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new("invalid_grant", d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new("unauthorized_client", d)
    }
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new("unsupported_grant_type", d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new("invalid_scope", d)
    }
    pub fn server_error(d: impl Into<String>) -> Self {
        Self::new("server_error", d)
    }
    pub fn temporarily_unavailable(d: impl Into<String>) -> Self {
        Self::new("temporarily_unavailable", d)
    }

    /// The HTTP status for this error at the token endpoint.
    pub fn status(&self) -> u16 {
        match self.code {
            "invalid_client" => 401,
            "server_error" => 500,
            "temporarily_unavailable" => 503,
            _ => 400,
        }
    }
}

/// A failed query as the protocol error a client sees: an outage is
/// `temporarily_unavailable` (503); anything else is logged and answered
/// `server_error` without its cause.
impl From<crate::db::DbError> for OAuthError {
    fn from(e: crate::db::DbError) -> Self {
        use crate::db::DbError;
        match e {
            DbError::Unavailable(_) | DbError::Cancelled => {
                OAuthError::temporarily_unavailable("the database is unavailable")
            }
            DbError::Busy(cause) => {
                tracing::warn!(%cause, "concurrent transactions kept winning");
                OAuthError {
                    contended: true,
                    ..OAuthError::temporarily_unavailable("the server is busy; try again")
                }
            }
            DbError::Query(q) => {
                tracing::error!(error = %q, "database error");
                OAuthError::server_error("the request could not be completed")
            }
        }
    }
}

impl From<diesel::result::Error> for OAuthError {
    fn from(e: diesel::result::Error) -> Self {
        crate::db::DbError::from(e).into()
    }
}

impl crate::db::Contention for OAuthError {
    fn is_contention(&self) -> bool {
        self.contended
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_use_only_allowed_characters() {
        let e = OAuthError::invalid_request("bad \"x\"\n\\ é");
        assert_eq!(e.description, "bad ?x??? ?");
        assert_eq!(OAuthError::invalid_client("x").status(), 401);
        assert_eq!(OAuthError::invalid_grant("x").status(), 400);
    }
}
