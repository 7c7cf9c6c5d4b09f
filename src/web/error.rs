//! Errors of page handlers, shown as a readable page. The cause of a server
//! error goes to the log; the visitor sees only what they can act on.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    /// Not signed in: 303 to the sign-in page at this location.
    #[error("sign in first")]
    SignIn(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for PageError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(cause) | DbError::Busy(cause) => PageError::Unavailable(cause),
            other => PageError::Internal(other.to_string()),
        }
    }
}

/// A refused account change shows its message; the rest as usual.
impl From<crate::idm::accounts::AccountError> for PageError {
    fn from(e: crate::idm::accounts::AccountError) -> Self {
        use crate::idm::accounts::AccountError;
        match e {
            AccountError::Invalid { message, .. } => PageError::BadRequest(message),
            AccountError::Conflict { message, .. } => PageError::Conflict(message),
            AccountError::NotFound(_) => PageError::NotFound,
            AccountError::Hash(e) => PageError::Internal(e.to_string()),
            AccountError::Db(e) => DbError::from(e).into(),
        }
    }
}

impl PageError {
    fn title_and_message(&self) -> (&'static str, String) {
        match self {
            PageError::NotFound => ("Not found", "There is nothing at this address.".into()),
            PageError::SignIn(_) => ("Sign in first", "Sign in to see this page.".into()),
            PageError::BadRequest(m) => ("Bad request", m.clone()),
            PageError::Forbidden(m) => ("Forbidden", m.clone()),
            PageError::Conflict(m) => ("Already done", m.clone()),
            PageError::Unavailable(_) => (
                "Temporarily unavailable",
                "The service cannot reach its database right now. Please try again shortly.".into(),
            ),
            PageError::Internal(_) => (
                "Something went wrong",
                "The server could not complete this request. The error has been logged.".into(),
            ),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::SignIn(_) => StatusCode::SEE_OTHER,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignIn(location) = self {
            return super::page::see_other(location);
        }
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "page request failed");
        }
        let (title, message) = self.title_and_message();
        let mut ctx = tera::Context::new();
        ctx.insert("status", &status.as_u16());
        ctx.insert("title", title);
        ctx.insert("message", &message);
        let body = super::templates::tera()
            .render("error.html", &ctx)
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "rendering the error page failed");
                format!("{} {}", status.as_u16(), title)
            });
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}
