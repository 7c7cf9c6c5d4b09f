//! RFC 6750 bearer tokens for resource endpoints: where the token may come
//! from, the errors with their `WWW-Authenticate` challenge, and [`require`],
//! the guard a handler calls with the scopes it needs.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::oauth::resource::{self, Live, Unusable};
use crate::store;

/// An RFC 6750 error: status, WWW-Authenticate, JSON body.
pub fn bearer_error(status: StatusCode, code: Option<&str>, description: &str) -> HttpResponse {
    challenge(status, code, description, None)
}

/// [`bearer_error`] with the `scope` attribute (RFC 6750 §3) naming what the
/// resource needs.
fn challenge(
    status: StatusCode,
    code: Option<&str>,
    description: &str,
    scope: Option<&str>,
) -> HttpResponse {
    let mut challenge = "Bearer realm=\"keyward\"".to_owned();
    if let Some(c) = code {
        challenge.push_str(&format!(
            ", error=\"{c}\", error_description=\"{description}\""
        ));
    }
    if let Some(s) = scope {
        challenge.push_str(&format!(", scope=\"{s}\""));
    }
    let mut res = HttpResponse::build(status);
    res.insert_header((header::WWW_AUTHENTICATE, challenge))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    match code {
        Some(c) => res.json(json!({ "error": c, "error_description": description })),
        None => res.finish(),
    }
}

/// The bearer token from the Authorization header or, for a form POST, the
/// `access_token` field (RFC 6750 §2.1, §2.2); more than one is an error (the
/// `Err` describes that invalid_request).
pub fn bearer_token(
    req: &HttpRequest,
    form_body: Option<&[u8]>,
) -> Result<Option<String>, &'static str> {
    let header_token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let form_token = form_body.and_then(|b| {
        url::form_urlencoded::parse(b)
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    });
    match (header_token, form_token) {
        (Some(_), Some(_)) => Err("send the token in one place only"),
        (h, f) => Ok(h.or(f)),
    }
}

/// The bearer guard: the access token from the Authorization header must be
/// usable (`oauth::resource`) with every scope in `required`. Otherwise the
/// error response: 401 without a token (no error code, RFC 6750 §3.1), 401
/// invalid_token for an unknown, expired or revoked one, 403
/// insufficient_scope, 503 when the database is down.
pub async fn require(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    required: &'static [&'static str],
) -> Result<Live, HttpResponse> {
    let scope = required.join(" ");
    let token = match bearer_token(req, None) {
        Ok(Some(t)) => t,
        Ok(None) => return Err(challenge(StatusCode::UNAUTHORIZED, None, "", Some(&scope))),
        Err(why) => {
            return Err(challenge(
                StatusCode::BAD_REQUEST,
                Some("invalid_request"),
                why,
                Some(&scope),
            ))
        }
    };
    let checked = state
        .db
        .run(move |c| resource::check(c, &token, required, store::now()).map_err(DbError::from))
        .await;
    match checked {
        Ok(Ok(live)) => Ok(live),
        Ok(Err(Unusable::Invalid)) => Err(challenge(
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "the access token is invalid or expired",
            Some(&scope),
        )),
        Ok(Err(Unusable::MissingScope(missing))) => Err(challenge(
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            &format!("the token lacks the {missing} scope"),
            Some(&scope),
        )),
        Err(e) => {
            tracing::error!(error = %e, "checking a bearer token failed");
            Err(unavailable())
        }
    }
}

/// 503 while the database is down.
pub fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": "temporarily_unavailable", "error_description": "the database is unavailable" }))
}
