//! POST /token: HTTP in, `oauth::token::handle` in the middle, RFC 6749 JSON
//! out, always with `Cache-Control: no-store`.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::app::state::AppState;
use crate::db::batch::BatchError;
use crate::db::DbError;
use crate::oauth::client_auth::{self, Presented};
use crate::oauth::error::OAuthError;
use crate::oauth::issue::{self, Issuer};
use crate::oauth::token::{self, TokenResponse};
use crate::store::{self, clients};

pub fn error_response(e: &OAuthError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"keyward\""));
    }
    res.json(json!({ "error": e.code, "error_description": e.description }))
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
/// header) present: what the token, introspection and revocation endpoints
/// all start from.
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

pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (grant, result) = match form_and_client(&req, &body) {
        Ok((params, presented)) => (
            params.get("grant_type").cloned(),
            grant(&state, &req, params, presented).await,
        ),
        Err(e) => (None, Err(e)),
    };
    record(&state, grant.as_deref(), &result);
    match result {
        Ok(response) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(response),
        Err(e) => error_response(&e),
    }
}

async fn grant(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    params: HashMap<String, String>,
    presented: Presented,
) -> Result<TokenResponse, OAuthError> {
    let issuer =
        state.published.snapshot().token_issuer().ok_or_else(|| {
            OAuthError::temporarily_unavailable("the issuer is not configured yet")
        })?;
    if params.get("grant_type").map(String::as_str) == Some("client_credentials") {
        if let Some(response) =
            client_credentials_from_cache(state, &issuer, &params, &presented).await?
        {
            return Ok(response);
        }
    }
    let st = state.clone();
    let caller = token::Caller {
        ip: crate::web::page::client_ip(req),
        bcrypt_cost: state.config.bcrypt_cost,
    };
    state
        .db
        .run(move |c| {
            Ok::<_, DbError>(token::handle(
                c, &st.keys, &issuer, &params, &presented, &caller,
            ))
        })
        .await
        .map_err(unavailable)?
}

/// The client-credentials hot path: the client from the cache, the token
/// stored by the batch writer on condition that the client is unchanged.
/// `None` whenever anything is not plainly a success (unknown client, wrong
/// secret, a refused scope, a client changed since it was cached): then the
/// ordinary path decides from the database and gives the authoritative answer.
async fn client_credentials_from_cache(
    state: &web::Data<AppState>,
    issuer: &Issuer,
    params: &HashMap<String, String>,
    presented: &Presented,
) -> Result<Option<TokenResponse>, OAuthError> {
    let id = presented.client_id().to_owned();
    let Ok(client) = authenticate_client(state, presented).await else {
        return Ok(None);
    };
    if !client
        .grant_type_list()
        .iter()
        .any(|g| g == "client_credentials")
    {
        return Ok(None);
    }
    let Ok(granted) = token::client_credentials_scope(&client, params) else {
        return Ok(None);
    };
    let grant = token::machine_grant(&client, &granted);
    let Ok((access, ttl, row)) = issue::mint_access(&state.keys, issuer, &grant, store::now())
    else {
        return Ok(None);
    };
    match state.token_writer.submit((row, client.revision)).await {
        Ok(true) => Ok(Some(token::client_credentials_response(
            access, ttl, &granted,
        ))),
        Ok(false) => {
            state.clients.forget(&id);
            Ok(None)
        }
        Err(BatchError::Unavailable) => Err(OAuthError::temporarily_unavailable(
            "the database is unavailable",
        )),
        Err(BatchError::Failed(_)) => Ok(None),
    }
}

/// The client the request authenticates as, from the cache when the cached
/// copy accepts the credentials, else freshly from the database (a secret may
/// have been rotated). A cached copy may be stale: whatever relies on it
/// checks `client.revision` in the same statement (see `store::tokens`).
pub async fn authenticate_client(
    state: &web::Data<AppState>,
    presented: &Presented,
) -> Result<Arc<clients::Client>, OAuthError> {
    let id = presented.client_id().to_owned();
    if let Some(cached) = state.clients.get(&id) {
        if client_auth::authenticate(&cached, presented).is_ok() {
            return Ok(cached);
        }
    }
    let found = state
        .db
        .run(move |c| clients::find(c, &id).map_err(DbError::from))
        .await
        .map_err(unavailable)?;
    let client = state
        .clients
        .put(found.ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?);
    client_auth::authenticate(&client, presented)?;
    Ok(client)
}

/// A database failure as the protocol error a client sees.
pub fn unavailable(e: DbError) -> OAuthError {
    match e {
        DbError::Unavailable(_) | DbError::Cancelled => {
            OAuthError::temporarily_unavailable("the database is unavailable")
        }
        DbError::Query(q) => {
            tracing::error!(error = %q, "database error");
            OAuthError::server_error("the request could not be completed")
        }
    }
}

/// Counts the outcome for /metrics.
fn record(state: &AppState, grant: Option<&str>, result: &Result<TokenResponse, OAuthError>) {
    match result {
        Ok(r) => {
            // Label values come from a fixed set, never from the request.
            let grant = grant
                .filter(|g| {
                    [
                        "authorization_code",
                        "refresh_token",
                        "client_credentials",
                        "password",
                    ]
                    .contains(g)
                })
                .unwrap_or("other");
            let format = if r.access_token.starts_with("kw_at_") {
                "opaque"
            } else {
                "jwt"
            };
            state.metrics.token_issued(grant, "access", format);
            if r.refresh_token.is_some() {
                state.metrics.token_issued(grant, "refresh", "opaque");
            }
            if r.id_token.is_some() {
                state.metrics.token_issued(grant, "id", "jwt");
            }
        }
        Err(e) => state.metrics.token_error(e.code),
    }
}
