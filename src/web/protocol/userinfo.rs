//! GET and POST /userinfo (OIDC Core §5.3): the claims of the access token's
//! scopes. Errors per RFC 6750 §3 with `WWW-Authenticate: Bearer`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::state::AppState;
use crate::db::DbError;
use crate::oauth::resource::{self, Live};
use crate::store::{self, scopes::Scope, users::User};
use crate::web::protocol::bearer::{bearer_error, bearer_token};

async fn respond(state: web::Data<AppState>, token: Option<String>) -> HttpResponse {
    let Some(token) = token else {
        return bearer_error(StatusCode::UNAUTHORIZED, None, "");
    };
    let result = state
        .db
        .run(
            move |c| -> Result<Option<(Live, User, Vec<Scope>)>, DbError> {
                let Ok(live) = resource::check(c, &token, &[], store::now())? else {
                    return Ok(None);
                };
                // Only a person's token has claims to show.
                let Some(user) = live.user.clone() else {
                    return Ok(None);
                };
                let scopes = store::scopes::find_many(c, &live.scopes())?;
                Ok(Some((live, user, scopes)))
            },
        )
        .await;
    match result {
        Ok(Some((live, user, scopes))) => {
            let granted = live.scopes();
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
