//! The admin API's errors: JSON `{"error": CODE, "message": TEXT, "field":
//! NAME?}` with a stable code and the status that fits. Causes of server
//! errors go to the log, never into the body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::idm::accounts::AccountError;
use crate::idm::api_keys::ApiKeyError;
use crate::idm::clients::ClientError;
use crate::idm::scopes::ScopeError;
use crate::idm::site::SettingsError;
use crate::keys::lifecycle::LifecycleError;

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: bad_request, unauthorized, forbidden, insufficient_scope,
    /// not_found, conflict, validation_failed, unavailable, internal.
    pub error: String,
    pub message: String,
    /// The input field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    /// Logged, never sent.
    cause: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            cause: None,
        }
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
        .field(field)
    }
    pub fn internal(cause: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; the error is logged",
        );
        e.cause = Some(cause.into());
        e
    }
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error = %cause, "admin API request failed");
        }
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"keyward-admin\""));
        }
        res.json(ErrorBody {
            error: self.code.to_owned(),
            message: self.message.clone(),
            field: self.field.clone(),
        })
    }
}

/// 503, with the cause for the log.
fn unavailable(code: &'static str, message: &str, cause: String) -> ApiError {
    let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
    e.cause = Some(cause);
    e
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(cause) => unavailable(
                "unavailable",
                "the database is unavailable; try again shortly",
                cause,
            ),
            DbError::Busy(cause) => unavailable(
                "busy",
                "concurrent changes kept this one from completing; try again",
                cause,
            ),
            other if other.is_unique_violation() => {
                ApiError::conflict("a concurrent change conflicts with this one")
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::from(e).into()
    }
}

/// The validator's first complaint, by field.
impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        let mut fields: Vec<_> = e.field_errors().into_iter().collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        match fields.first() {
            Some((field, errs)) => {
                let message = errs
                    .first()
                    .and_then(|x| x.message.as_ref())
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("{field} is not acceptable"));
                ApiError::invalid(field.to_string(), message)
            }
            None => ApiError::invalid("body", "the input is not acceptable"),
        }
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Invalid { field, message } => ApiError::invalid(field, message),
            ClientError::NotFound(id) => ApiError::not_found(format!("no client {id}")),
            ClientError::Db(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid { field, message } => ApiError::invalid(field, message),
            AccountError::Conflict { field, message } => ApiError::conflict(message).field(field),
            AccountError::NotFound(id) => ApiError::not_found(format!("no user {id}")),
            AccountError::Hash(e) => ApiError::internal(e.to_string()),
            AccountError::Db(e) => e.into(),
        }
    }
}

impl From<ScopeError> for ApiError {
    fn from(e: ScopeError) -> Self {
        match e {
            ScopeError::Invalid { field, message } => ApiError::invalid(field, message),
            ScopeError::NotFound(name) => ApiError::not_found(format!("no scope {name}")),
            ScopeError::Conflict(message) => ApiError::conflict(message),
            ScopeError::Db(e) => e.into(),
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::NotFound(kid) => ApiError::not_found(format!("no signing key {kid}")),
            LifecycleError::Db(e) => e.into(),
            LifecycleError::Key(e) => ApiError::internal(e.to_string()),
            refused => ApiError::conflict(refused.to_string()),
        }
    }
}

impl From<ApiKeyError> for ApiError {
    fn from(e: ApiKeyError) -> Self {
        match e {
            ApiKeyError::Invalid { message } => ApiError::invalid("name", message),
            ApiKeyError::NotFound(id) => ApiError::not_found(format!("no API key {id}")),
            ApiKeyError::Db(e) => e.into(),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid { field, message } => ApiError::invalid(field, message),
            SettingsError::Db(e) => e.into(),
        }
    }
}

/// Malformed JSON bodies, query strings and paths: 400 with what was wrong
/// (a body that parses but misses a field or has the wrong type is 422).
pub fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    match &err {
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::invalid("body", e.to_string()).into()
        }
        JsonPayloadError::ContentType => {
            ApiError::bad_request("send the body as application/json").into()
        }
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the body is too large",
            )
            .into()
        }
        other => ApiError::bad_request(format!("the body is not valid JSON: {other}")).into(),
    }
}

pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(format!("the query string is not acceptable: {err}")).into()
}

/// A method the path does not have: 405 with the ones it has.
pub async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut res = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path takes {allow}"),
    )
    .error_response();
    res.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static(allow),
    );
    res
}

/// A path segment that does not parse: the resource does not exist.
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::not_found(format!("no such resource: {err}")).into()
}

pub async fn not_found() -> HttpResponse {
    ApiError::not_found("no such endpoint in the admin API").error_response()
}
