//! The RFC 6749 form the token, introspection and revocation endpoints read:
//! `application/x-www-form-urlencoded`, each parameter at most once (RFC 6749
//! §3.2), with the client's credentials from it and the Authorization header.
//! Errors answer as RFC 6749 §5.2 JSON, never cached.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use crate::oauth::client_auth::{self, Presented};
use crate::oauth::error::OAuthError;

/// The error as the protocol endpoints answer it, with `WWW-Authenticate`
/// on 401 (RFC 6749 §5.2).
pub fn error_response(e: &OAuthError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"keyward\""));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.insert_header((header::RETRY_AFTER, "2"));
    }
    res.json(json!({ "error": e.code, "error_description": e.description }))
}

/// A successful answer: JSON, never cached.
pub fn no_store_json(body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// The form fields, each at most once (RFC 6749 §3.2).
fn parse_form(req: &HttpRequest, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let form_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let mut params = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if params
            .insert(k.clone().into_owned(), v.into_owned())
            .is_some()
        {
            return Err(OAuthError::invalid_request(format!(
                "the parameter '{k}' is repeated"
            )));
        }
    }
    Ok(params)
}

/// The form fields and the client credentials they (with the Authorization
/// header) present.
pub fn form_and_client(
    req: &HttpRequest,
    body: &[u8],
) -> Result<(HashMap<String, String>, Presented), OAuthError> {
    let params = parse_form(req, body)?;
    let presented = client_auth::extract(
        req.headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
        params.get("client_id").map(String::as_str),
        params.get("client_secret").map(String::as_str),
    )?;
    Ok((params, presented))
}
