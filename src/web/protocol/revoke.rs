//! POST /revoke (RFC 7009). The caller authenticates as a client and may
//! revoke only its own tokens. Revoking a refresh token revokes its whole
//! family, with the access tokens issued from it. An unknown token still gets
//! 200: the caller's goal, that the token not work, is met.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::form::{error_response, form_and_client};
use crate::app::state::AppState;
use crate::crypto::secret;
use crate::db::DbError;
use crate::oauth::error::OAuthError;
use crate::store::types::TokenKind;
use crate::store::{self, audit, tokens};

pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match run(&state, &req, &body).await {
        Ok(revoked) => {
            state.metrics.revocation(revoked);
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::PRAGMA, "no-cache"))
                .finish()
        }
        Err(e) => error_response(&e),
    }
}

/// Whether a live token was revoked.
async fn run(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    body: &[u8],
) -> Result<bool, OAuthError> {
    let (params, presented) = form_and_client(req, body)?;
    // Revocation is rare: authenticate against the database, never the cache.
    state.clients.forget(presented.client_id());
    let caller = state.clients.authenticate(&state.db, &presented).await?;
    let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("token is required"));
    };
    if let Some(hint) = params.get("token_type_hint") {
        if hint != "access_token" && hint != "refresh_token" {
            return Err(OAuthError::new_code(
                "unsupported_token_type",
                format!("token_type_hint '{hint}' is not access_token or refresh_token"),
            ));
        }
    }
    let digest = secret::digest(token);
    let ip = crate::web::page::client_ip(req);
    let caller_id = caller.id.clone();
    state
        .db
        .run(move |c| -> Result<Result<bool, OAuthError>, DbError> {
            crate::db::durably(c, |c| {
                crate::db::transaction(c, |c| {
                    let Some(t) = tokens::find_by_digest(c, &digest)? else {
                        return Ok(Ok(false));
                    };
                    if t.client_id != caller_id {
                        return Ok(Err(OAuthError::unauthorized_client(
                            "the token was not issued to this client",
                        )));
                    }
                    let now = store::now();
                    let n = match (&t.family_id, t.kind) {
                        (Some(family), TokenKind::Refresh) => {
                            tokens::revoke_family(c, family, now)?
                        }
                        _ => usize::from(tokens::revoke(c, &t.id, now)?),
                    };
                    audit::record(
                        c,
                        &audit::NewAuditEvent::new("token.revoke", true)
                            .actor(format!("client:{caller_id}"))
                            .target(t.id.clone())
                            .ip(ip.clone())
                            .detail(serde_json::json!({ "kind": t.kind, "revoked": n })),
                    )?;
                    Ok::<_, DbError>(Ok(n > 0))
                })
            })
        })
        .await?
}
