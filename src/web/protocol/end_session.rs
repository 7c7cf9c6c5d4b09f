//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): GET and POST
//! /end_session. A valid `id_token_hint` for the signed-in user ends the
//! session at once; without one the user confirms first (ASVS 10.6.2, so a
//! third-party page cannot sign people out). `post_logout_redirect_uri` is
//! followed only when it is registered, by exact match, for the client the
//! hint or `client_id` names; otherwise the user sees a "signed out" page.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::state::AppState;
use crate::db::DbError;
use crate::store::{self, audit, clients::Client};
use crate::web::page::{self, context, render};
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

/// The request's parameters, from the query (GET) or the form (POST).
#[derive(Debug, Default)]
struct Request {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    /// Our own confirmation form: `confirm=yes` with the CSRF token.
    confirm: bool,
    csrf_token: String,
}

fn parse(pairs: &[u8]) -> Result<Request, PageError> {
    let mut seen: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(pairs) {
        if seen
            .insert(k.clone().into_owned(), v.into_owned())
            .is_some()
        {
            return Err(PageError::BadRequest(format!(
                "The parameter '{k}' is repeated."
            )));
        }
    }
    let mut take = |k: &str| seen.remove(k).filter(|v| !v.is_empty());
    Ok(Request {
        id_token_hint: take("id_token_hint"),
        client_id: take("client_id"),
        post_logout_redirect_uri: take("post_logout_redirect_uri"),
        state: take("state"),
        confirm: take("confirm").as_deref() == Some("yes"),
        csrf_token: take("csrf_token").unwrap_or_default(),
    })
}

/// Who the hint says the RP signed in: the user (`sub`) and the client.
#[derive(Debug)]
struct Hint {
    sub: String,
    client_id: String,
}

/// Checks an ID token we issued: our signature (any published key, never
/// `alg: none`), our issuer, a client audience. It may have expired: a hint
/// is about who signed in, not a credential.
fn check_hint(state: &AppState, token: &str, issuer: &str) -> Result<Hint, PageError> {
    let bad = || {
        PageError::BadRequest(
            "The sign-out request carries an id_token_hint that this server did not issue.".into(),
        )
    };
    let verified = state.keys.verify(token).map_err(|_| bad())?;
    let claims = verified.claims;
    if claims.get("iss").and_then(|v| v.as_str()) != Some(issuer) {
        return Err(bad());
    }
    let sub = claims.get("sub").and_then(|v| v.as_str()).ok_or_else(bad)?;
    let client_id = match (claims.get("azp"), claims.get("aud")) {
        (Some(azp), _) => azp.as_str(),
        (None, Some(aud)) => aud.as_str().or_else(|| {
            aud.as_array()
                .and_then(|a| a.first())
                .and_then(|v| v.as_str())
        }),
        _ => None,
    }
    .ok_or_else(bad)?;
    Ok(Hint {
        sub: sub.to_owned(),
        client_id: client_id.to_owned(),
    })
}

/// Where to send the user afterwards: the registered URI with `state`.
fn redirect_target(uri: &str, state: Option<&str>) -> String {
    match state {
        None => uri.to_owned(),
        Some(s) => {
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("state", s)
                .finish();
            let sep = if uri.contains('?') { '&' } else { '?' };
            format!("{uri}{sep}{encoded}")
        }
    }
}

pub async fn get(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let request = parse(req.query_string().as_bytes())?;
    handle(state, session, req, request, false).await
}

pub async fn post(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let request = parse(&body)?;
    handle(state, session, req, request, true).await
}

async fn handle(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    request: Request,
    posted: bool,
) -> Result<HttpResponse, PageError> {
    let issuer = state
        .published
        .snapshot()
        .issuer
        .clone()
        .ok_or_else(|| PageError::Unavailable("the issuer is not configured yet".into()))?;
    let hint = match &request.id_token_hint {
        Some(t) => Some(check_hint(&state, t, &issuer)?),
        None => None,
    };
    let client_id = match (&hint, &request.client_id) {
        (Some(h), Some(c)) if &h.client_id != c => {
            return Err(PageError::BadRequest(
                "The client_id does not match the id_token_hint.".into(),
            ))
        }
        (Some(h), _) => Some(h.client_id.clone()),
        (None, c) => c.clone(),
    };
    let client = match &client_id {
        Some(id) => {
            let id = id.clone();
            let found = state
                .db
                .run(move |c| store::clients::find(c, &id).map_err(DbError::from))
                .await?;
            Some(found.filter(|c| !c.disabled).ok_or_else(|| {
                PageError::BadRequest("The sign-out request names an unknown client.".into())
            })?)
        }
        None => None,
    };
    let redirect = match &request.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let registered = client
                .as_ref()
                .is_some_and(|c| c.post_logout_redirect_uri_list().iter().any(|r| r == uri));
            if !registered {
                return Err(PageError::BadRequest(
                    "The post_logout_redirect_uri is not registered for this client, so this \
                     server will not send you there. You are still signed in."
                        .into(),
                ));
            }
            Some(redirect_target(uri, request.state.as_deref()))
        }
    };

    let user = session::current_user(&state, &session).await?;
    let confirmed = if posted && request.confirm {
        session::check_csrf(&session, &request.csrf_token)?;
        true
    } else {
        // A hint for the user who is signed in (or nobody signed in) needs no
        // confirmation; anything else asks the user first.
        match (&hint, &user) {
            (Some(h), Some(u)) => h.sub == u.user.id,
            (Some(_), None) | (None, None) => true,
            (None, Some(_)) => false,
        }
    };
    if !confirmed {
        let mut ctx = context(&state, &session, user.as_ref());
        if let Some(c) = &client {
            ctx.insert("client_name", &c.name);
            ctx.insert("client_id", &c.id);
        }
        ctx.insert(
            "post_logout_redirect_uri",
            &request.post_logout_redirect_uri,
        );
        ctx.insert("state", &request.state);
        return render(&state, "pages/logout_confirm.html", &ctx);
    }

    if let Some(u) = &user {
        record_logout(&state, u, client.as_ref(), page::client_ip(&req)).await?;
    }
    session::sign_out(&session);
    match redirect {
        Some(target) => Ok(if posted {
            page::see_other(&target)
        } else {
            HttpResponse::Found()
                .insert_header((header::LOCATION, target))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }),
        None => {
            let mut ctx = context(&state, &session, None);
            if let Some(c) = &client {
                ctx.insert("client_name", &c.name);
            }
            render(&state, "pages/logged_out.html", &ctx)
        }
    }
}

async fn record_logout(
    state: &web::Data<AppState>,
    user: &SignedIn,
    client: Option<&Client>,
    ip: Option<String>,
) -> Result<(), PageError> {
    let id = user.user.id.clone();
    let detail = serde_json::json!({ "client_id": client.map(|c| c.id.clone()) });
    state
        .db
        .run(move |c| {
            audit::record(
                c,
                &audit::NewAuditEvent::new("user.logout", true)
                    .actor(id.clone())
                    .target(id)
                    .ip(ip)
                    .detail(detail),
            )
            .map_err(DbError::from)
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_appended_to_the_registered_uri() {
        assert_eq!(
            redirect_target("https://app.example/bye", Some("a b&c")),
            "https://app.example/bye?state=a+b%26c"
        );
        assert_eq!(
            redirect_target("https://app.example/bye?x=1", Some("s")),
            "https://app.example/bye?x=1&state=s"
        );
        assert_eq!(
            redirect_target("https://app.example/bye", None),
            "https://app.example/bye"
        );
    }

    #[test]
    fn parameters_are_read_once_each() {
        let r = parse(b"client_id=a&state=s&confirm=yes&csrf_token=t").unwrap();
        assert_eq!(r.client_id.as_deref(), Some("a"));
        assert!(r.confirm);
        assert!(parse(b"state=a&state=b").is_err());
        let r = parse(b"id_token_hint=&state=").unwrap();
        assert!(r.id_token_hint.is_none() && r.state.is_none());
    }
}
