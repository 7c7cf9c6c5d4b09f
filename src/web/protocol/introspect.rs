//! POST /introspect (RFC 7662): the caller authenticates as a client, the
//! token is looked up by the batch reader, and `oauth::introspect::describe`
//! decides what the caller may see.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::form::{error_response, form_and_client, no_store_json};
use crate::app::state::AppState;
use crate::crypto::secret;
use crate::db::batch::BatchError;
use crate::oauth::error::OAuthError;
use crate::oauth::introspect::describe;
use crate::store;

pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match run(&state, &req, &body).await {
        Ok(body) => {
            state
                .metrics
                .introspection(body.get("active") == Some(&Value::Bool(true)));
            no_store_json(&body)
        }
        Err(e) => error_response(&e),
    }
}

async fn run(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let (params, presented) = form_and_client(req, body)?;
    let mut caller = state.clients.authenticate(&state.db, &presented).await?;
    if caller.is_public() {
        return Err(OAuthError::invalid_client(
            "a public client cannot introspect tokens",
        ));
    }
    let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("token is required"));
    };
    let issuer =
        state.published.snapshot().issuer.clone().ok_or_else(|| {
            OAuthError::temporarily_unavailable("the issuer is not configured yet")
        })?;
    let (digest, caller_id) = (secret::digest(token), caller.id.clone());
    let found = state
        .token_reader
        .submit((digest, caller_id.into_string()))
        .await
        .map_err(|e| match e {
            BatchError::Unavailable => {
                OAuthError::temporarily_unavailable("the database is unavailable")
            }
            BatchError::Failed(_) => OAuthError::server_error("the token could not be looked up"),
        })?;
    if found.caller_revision != Some(caller.revision) {
        // The cached client changed (or went away): authenticate afresh.
        state.clients.forget(&caller.id);
        caller = state.clients.authenticate(&state.db, &presented).await?;
    }
    Ok(describe(&found, &caller, &issuer, store::now()))
}
