//! GET and POST /userinfo (OIDC Core §5.3): the claims of the access token's
//! scopes. Errors per RFC 6750 §3 with `WWW-Authenticate: Bearer`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::state::AppState;
use crate::crypto::secret;
use crate::db::DbError;
use crate::store::{self, tokens};
use crate::web::protocol::bearer::{bearer_error, bearer_token};

async fn respond(state: web::Data<AppState>, token: Option<String>) -> HttpResponse {
    let Some(token) = token else {
        return bearer_error(StatusCode::UNAUTHORIZED, None, "");
    };
    let digest = secret::digest(&token);
    let result = state
        .db
        .run(
            move |c| -> Result<
                Option<(tokens::Token, store::users::User, Vec<store::scopes::Scope>)>,
                DbError,
            > {
                let Some(t) = tokens::find_by_digest(c, &digest)? else {
                    return Ok(None);
                };
                if t.kind != tokens::KIND_ACCESS || !t.is_active(store::now()) {
                    return Ok(None);
                }
                let Some(uid) = t.user_id.clone() else {
                    return Ok(None);
                };
                let Some(user) = store::users::find(c, &uid)?.filter(|u| !u.disabled) else {
                    return Ok(None);
                };
                let scopes = store::scopes::find_many(c, &store::split_list(&t.scope))?;
                Ok(Some((t, user, scopes)))
            },
        )
        .await;
    match result {
        Ok(Some((t, user, scopes))) => {
            let granted = store::split_list(&t.scope);
            if !granted.iter().any(|s| s == "openid") {
                return bearer_error(
                    StatusCode::FORBIDDEN,
                    Some("insufficient_scope"),
                    "the token lacks the openid scope",
                );
            }
            let claims = crate::oidc::claims::for_scopes(&user, &scopes, &granted);
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::Value::Object(claims))
        }
        Ok(None) => bearer_error(
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "the access token is invalid or expired",
        ),
        Err(e) => {
            tracing::error!(error = %e, "userinfo failed");
            HttpResponse::ServiceUnavailable()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
    }
}

pub async fn get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match bearer_token(&req, None) {
        Ok(t) => respond(state, t).await,
        Err(why) => bearer_error(StatusCode::BAD_REQUEST, Some("invalid_request"), why),
    }
}

pub async fn post(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    match bearer_token(&req, is_form.then_some(&body[..])) {
        Ok(t) => respond(state, t).await,
        Err(why) => bearer_error(StatusCode::BAD_REQUEST, Some("invalid_request"), why),
    }
}
