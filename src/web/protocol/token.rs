//! POST /token: the form in, `oauth::grant` in the middle, RFC 6749 JSON out,
//! always with `Cache-Control: no-store`.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};

use super::form::{error_response, form_and_client, no_store_json};
use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::sign_in;
use crate::oauth::client_auth::Presented;
use crate::oauth::error::OAuthError;
use crate::oauth::grant::{self, client_credentials, Caller, TokenResponse};
use crate::oauth::request::{self, TokenRequest};
use crate::store::types::{GrantType, TokenFormat};

pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (grant, result) = match form_and_client(&req, &body) {
        Ok((params, presented)) => {
            let grant = request::grant_type(&params).ok();
            (grant, run(&state, &req, grant, params, presented).await)
        }
        Err(e) => (None, Err(e)),
    };
    record(&state, grant, &result);
    match result {
        Ok(response) => no_store_json(&response),
        Err(e) => error_response(&e),
    }
}

async fn run(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    grant: Option<GrantType>,
    params: HashMap<String, String>,
    presented: Presented,
) -> Result<TokenResponse, OAuthError> {
    let issuer =
        state.published.snapshot().token_issuer().ok_or_else(|| {
            OAuthError::temporarily_unavailable("the issuer is not configured yet")
        })?;
    if grant == Some(GrantType::ClientCredentials) {
        let hot = client_credentials::HotPath {
            clients: &state.clients,
            db: &state.db,
            writer: &state.token_writer,
            ring: &state.keys,
        };
        let scope = params.get("scope").map(String::as_str);
        if let Some(response) =
            client_credentials::from_cache(&hot, &issuer, &presented, scope).await?
        {
            return Ok(response);
        }
    }
    let mut caller = Caller::default();
    if grant == Some(GrantType::Password) {
        caller.sign_in = Some(check_password(state, req, &params, &presented).await?);
    }
    let st = state.clone();
    state
        .db
        .run(move |c| {
            Ok::<_, DbError>(grant::handle(
                c, &st.keys, &issuer, &params, &presented, &caller,
            ))
        })
        .await?
}

/// The password grant's credential check, for an authenticated client that
/// may use the grant, made before (and outside) the grant's transaction.
async fn check_password(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    params: &HashMap<String, String>,
    presented: &Presented,
) -> Result<sign_in::Outcome, OAuthError> {
    let request = TokenRequest::parse(GrantType::Password, params)?;
    let TokenRequest::Password {
        username, password, ..
    } = request
    else {
        return Err(OAuthError::server_error("not a password request"));
    };
    let who = presented.clone();
    let client = state
        .db
        .run(move |c| Ok::<_, DbError>(grant::admit(c, &who, GrantType::Password)))
        .await??;
    let attempt = sign_in::Attempt {
        username,
        password,
        ip: crate::web::page::client_ip(req),
        bcrypt_cost: state.config.bcrypt_cost,
        detail: Some(serde_json::json!({ "grant": "password", "client": client.id })),
    };
    let outcome = sign_in::check(&state.db, &state.hashes, attempt).await?;
    state.metrics.login(outcome.label());
    Ok(outcome)
}

/// Counts the outcome for /metrics. Label values come from a fixed set, never
/// from the request.
fn record(state: &AppState, grant: Option<GrantType>, result: &Result<TokenResponse, OAuthError>) {
    match result {
        Ok(r) => {
            let grant = grant.map(GrantType::as_str).unwrap_or("other");
            let format = if r.access_token.starts_with("kw_at_") {
                TokenFormat::Opaque
            } else {
                TokenFormat::Jwt
            };
            state.metrics.token_issued(grant, "access", format.as_str());
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
