//! POST /introspect (RFC 7662). The caller authenticates as a client; it sees
//! the details of its own tokens, or of any token when an admin made it a
//! resource server. Every other answer is `{"active": false}` and nothing else.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use crate::app::state::AppState;
use crate::crypto::secret;
use crate::db::batch::BatchError;
use crate::oauth::error::OAuthError;
use crate::store::{self, clients::Client, tokens};
use crate::web::protocol::token::{authenticate_client, error_response, form_and_client};

fn answer(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

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
            answer(body)
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
    let mut caller = authenticate_client(state, &presented).await?;
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
        .submit((digest, caller_id))
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
        caller = authenticate_client(state, &presented).await?;
    }
    Ok(describe(&found, &caller, &issuer, store::now()))
}

/// The RFC 7662 §2.2 answer for `found`, as `caller` may see it.
pub fn describe(found: &tokens::Lookup, caller: &Client, issuer: &str, now: i64) -> Value {
    let inactive = json!({ "active": false });
    let Some(t) = &found.token else {
        return inactive;
    };
    // token_type_hint is only a hint: access and refresh tokens are both
    // found by digest, whatever the hint says.
    if !t.is_active(now) || found.user_disabled {
        return inactive;
    }
    if t.client_id != caller.id && !caller.resource_server {
        return inactive;
    }
    let mut out = Map::new();
    out.insert("active".into(), json!(true));
    out.insert("scope".into(), json!(t.scope));
    out.insert("client_id".into(), json!(t.client_id));
    if let Some(name) = &found.username {
        out.insert("username".into(), json!(name));
    }
    out.insert(
        "sub".into(),
        json!(t.user_id.as_deref().unwrap_or(&t.client_id)),
    );
    out.insert("aud".into(), json!(issuer));
    out.insert("iss".into(), json!(issuer));
    out.insert("exp".into(), json!(t.expires_at));
    out.insert("iat".into(), json!(t.created_at));
    out.insert(
        "token_type".into(),
        json!(if t.kind == tokens::KIND_ACCESS {
            "Bearer"
        } else {
            "refresh_token"
        }),
    );
    if t.format == tokens::FORMAT_JWT {
        out.insert("jti".into(), json!(t.id));
    }
    if let Some(at) = t.auth_time {
        out.insert("auth_time".into(), json!(at));
    }
    Value::Object(out)
}
