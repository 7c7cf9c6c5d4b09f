//! GET and POST /authorize, and the consent decision. Validation decides
//! between an error page and an error redirect; then sign-in (with prompt and
//! max_age), then consent by the client's policy, then the code. A request
//! that waits for the user is stored server-side under its own id, so
//! several tabs with different apps work side by side and Allow answers the
//! request whose page it was.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::state::AppState;
use crate::crypto::secret::{self, SecretString};
use crate::db::{DbConn, DbError};
use crate::oauth::authorize::{self, AuthRequest, Rejection};
use crate::oauth::error::OAuthError;
use crate::store::clients::Client;
use crate::store::{self, audit, auth_requests, clients, codes, consents};
use crate::web::page::{self, see_other};
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

/// Codes live 60 seconds (ASVS 10.4.3 at L3 asks for no more).
pub const CODE_TTL: i64 = 60;

fn issuer(state: &web::Data<AppState>) -> Result<String, PageError> {
    state
        .published
        .snapshot()
        .issuer
        .clone()
        .ok_or_else(|| PageError::Unavailable("the issuer is not configured".into()))
}

pub async fn get(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    handle(state, session, req, pairs).await
}

pub async fn post(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    handle(state, session, req, pairs).await
}

fn redirect(location: &str) -> HttpResponse {
    see_other(location)
}

async fn handle(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    pairs: Vec<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let issuer = issuer(&state)?;
    let mut params = HashMap::new();
    let mut repeated = None;
    for (k, v) in &pairs {
        if params.insert(k.clone(), v.clone()).is_some() && repeated.is_none() {
            repeated = Some(k.clone());
        }
    }
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    // The signed-in user came with the session; the client is one lookup.
    let client = state
        .db
        .run(move |c| clients::find(c, &client_id).map_err(DbError::from))
        .await?;
    let request = match authorize::validate(&params, repeated.as_deref(), client.as_ref()) {
        Ok(r) => r,
        Err(Rejection::Page(message)) => return Err(PageError::BadRequest(message)),
        Err(Rejection::Redirect {
            redirect_uri,
            error,
            state: st,
        }) => {
            return Ok(redirect(&authorize::error_redirect(
                &redirect_uri,
                &issuer,
                st.as_deref(),
                &error,
            )))
        }
    };
    let Some(client) = client else {
        return Err(PageError::BadRequest(
            "The application that sent you here is not registered.".into(),
        ));
    };
    proceed(&state, &session, &req, &client, request, None).await
}

/// A request that is waiting: its id and since when.
struct Waiting {
    id: String,
    created_at: i64,
}

/// Takes a validated request through sign-in and consent to the code. A
/// request that must wait for the user is stored (see
/// [`store::auth_requests`]) and continues at `/authorize/resume` with its
/// id; one that need not wait is never stored.
async fn proceed(
    state: &web::Data<AppState>,
    session: &Session,
    req: &HttpRequest,
    client: &Client,
    request: AuthRequest,
    waiting: Option<Waiting>,
) -> Result<HttpResponse, PageError> {
    let issuer = issuer(state)?;
    let fail = |e: OAuthError| {
        redirect(&authorize::error_redirect(
            &request.redirect_uri,
            &issuer,
            request.state.as_deref(),
            &e,
        ))
    };
    let now = store::now();
    let user = session::current_user(state, session).await?;
    // prompt=login asks for a sign-in after the request was made: once the
    // user has signed in for this waiting request, it is satisfied.
    let signed_in_since = |u: &SignedIn| {
        waiting
            .as_ref()
            .is_some_and(|w| u.auth_time >= w.created_at)
    };
    let wants_login =
        |u: &SignedIn| request.prompt.iter().any(|p| p == "login") && !signed_in_since(u);
    let too_old = |u: &SignedIn| request.max_age.is_some_and(|m| now - u.auth_time > m);
    let user = match user {
        Some(u) if !wants_login(&u) && !too_old(&u) => u,
        _ if request.prompt.iter().any(|p| p == "none") => {
            return Ok(fail(OAuthError::new_code(
                "login_required",
                "the user is not signed in",
            )));
        }
        existing => {
            let id = match &waiting {
                Some(w) => w.id.clone(),
                None => wait(state, session, &request).await?,
            };
            let mut login = url::form_urlencoded::Serializer::new(String::new());
            login.append_pair("return_to", &resume_path(&id));
            if let Some(hint) = request.login_hint.as_deref() {
                login.append_pair("login_hint", hint);
            }
            if existing.is_some() {
                login.append_pair("prompt", "login");
            }
            return Ok(redirect(&format!("/login?{}", login.finish())));
        }
    };
    let prompted = request.prompt.iter().any(|p| p == "consent");
    let ask = prompted
        || match client.consent_policy.as_str() {
            "skip" => false,
            "once" => {
                // Only `once` needs to know what was granted before.
                let (uid, cid) = (user.user.id.clone(), client.id.clone());
                let remembered = state
                    .db
                    .run(move |c| consents::find(c, &uid, &cid).map_err(DbError::from))
                    .await?;
                !remembered
                    .is_some_and(|c| request.scope.iter().all(|s| c.scope_list().contains(s)))
            }
            _ => true,
        };
    if ask {
        if request.prompt.iter().any(|p| p == "none") {
            return Ok(fail(OAuthError::new_code(
                "consent_required",
                "the user has not consented",
            )));
        }
        let id = match &waiting {
            Some(w) => w.id.clone(),
            None => wait(state, session, &request).await?,
        };
        let names = request.scope.clone();
        let scopes = state
            .db
            .run(move |c| store::scopes::find_many(c, &names).map_err(DbError::from))
            .await?;
        let mut ctx = page::context(state, session, Some(&user));
        ctx.insert("client_name", &client.name);
        ctx.insert("request_id", &id);
        let shown: Vec<_> = request
            .scope
            .iter()
            .map(|name| {
                let description = scopes
                    .iter()
                    .find(|s| &s.name == name)
                    .map(|s| s.description.clone())
                    .unwrap_or_else(|| name.clone());
                serde_json::json!({ "name": name, "description": description })
            })
            .collect();
        ctx.insert("scopes", &shown);
        return page::render(state, "pages/consent.html", &ctx);
    }
    if let Some(w) = &waiting {
        // Done waiting: the request is spent (a second tab on it finds nothing).
        if take(state, session, &w.id).await?.is_none() {
            return Err(gone());
        }
    }
    let location = complete(state, &request, &user, false, page::client_ip(req)).await?;
    Ok(redirect(&location))
}

/// How long a request waits for the user's sign-in and decision.
pub const PENDING_TTL: i64 = 1_800;

fn resume_path(id: &str) -> String {
    format!("/authorize/resume?request={id}")
}

fn gone() -> PageError {
    PageError::BadRequest(
        "This sign-in request has expired or was already answered. Start again from the application.".into(),
    )
}

/// Stores `request` for this browser; returns its id.
async fn wait(
    state: &web::Data<AppState>,
    session: &Session,
    request: &AuthRequest,
) -> Result<String, PageError> {
    let binding = session::request_binding(session);
    let now = store::now();
    let row = auth_requests::PendingRequest {
        id: secret::generate("kw_ar_").expose().to_owned(),
        binding,
        client_id: request.client_id.clone(),
        request: serde_json::to_string(request).map_err(|e| PageError::Internal(e.to_string()))?,
        created_at: now,
        expires_at: now + PENDING_TTL,
    };
    let id = row.id.clone();
    state
        .db
        .run(move |c| auth_requests::insert(c, &row).map_err(DbError::from))
        .await?;
    Ok(id)
}

/// This browser's waiting request `id` and its client, if both are still good.
async fn waiting(
    state: &web::Data<AppState>,
    session: &Session,
    id: &str,
) -> Result<(auth_requests::PendingRequest, AuthRequest, Client), PageError> {
    let Some(binding) = session::existing_request_binding(session) else {
        return Err(gone());
    };
    let id = id.to_owned();
    let found = state
        .db
        .run(move |c| -> Result<_, DbError> {
            let Some(row) = auth_requests::find(c, &id, &binding, store::now())? else {
                return Ok(None);
            };
            let client = clients::find(c, &row.client_id)?;
            Ok(Some((row, client)))
        })
        .await?;
    let Some((row, client)) = found else {
        return Err(gone());
    };
    let request: AuthRequest =
        serde_json::from_str(&row.request).map_err(|e| PageError::Internal(e.to_string()))?;
    // The app may have been disabled or its redirect URI removed meanwhile.
    let client = client
        .filter(|c| !c.disabled)
        .filter(|c| {
            crate::oauth::redirect_uri::matches(&c.redirect_uri_list(), &request.redirect_uri)
        })
        .ok_or_else(|| {
            PageError::BadRequest(
                "The application that sent you here is no longer available.".into(),
            )
        })?;
    Ok((row, request, client))
}

/// Removes this browser's request `id`: `None` if it was gone already.
async fn take(
    state: &web::Data<AppState>,
    session: &Session,
    id: &str,
) -> Result<Option<auth_requests::PendingRequest>, PageError> {
    let Some(binding) = session::existing_request_binding(session) else {
        return Ok(None);
    };
    let id = id.to_owned();
    Ok(state
        .db
        .run(move |c| auth_requests::take(c, &id, &binding, store::now()).map_err(DbError::from))
        .await?)
}

#[derive(Deserialize)]
pub struct ResumeQuery {
    request: String,
}

/// GET /authorize/resume: a waiting request, back from the sign-in page.
pub async fn resume(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    query: web::Query<ResumeQuery>,
) -> Result<HttpResponse, PageError> {
    let (row, request, client) = waiting(&state, &session, &query.request).await?;
    let w = Waiting {
        id: row.id,
        created_at: row.created_at,
    };
    proceed(&state, &session, &req, &client, request, Some(w)).await
}

/// Issues the code (remembering consent when asked to) and returns where to
/// send the browser.
async fn complete(
    state: &web::Data<AppState>,
    request: &AuthRequest,
    user: &SignedIn,
    record_consent: bool,
    ip: Option<String>,
) -> Result<String, PageError> {
    let issuer = issuer(state)?;
    let (req, uid, auth_time) = (request.clone(), user.user.id.clone(), user.auth_time);
    let code = state
        .db
        .run(move |c| -> Result<SecretString, DbError> {
            if record_consent {
                consents::grant(c, &uid, &req.client_id, &req.scope)?;
                audit::record(
                    c,
                    &audit::NewAuditEvent::new("consent.grant", true)
                        .actor(uid.clone())
                        .target(req.client_id.clone())
                        .ip(ip)
                        .detail(serde_json::json!({ "scope": req.scope })),
                )?;
                return Ok(issue_code(c, &req, &uid, auth_time)?);
            }
            // A code lost to a crash costs the user a retry of the sign-in
            // redirect, nothing more: no need to wait for the WAL flush
            // (the redemption, which issues the tokens, stays durable).
            crate::db::transaction(c, |t| {
                crate::db::relax_commit(t)?;
                issue_code(t, &req, &uid, auth_time)
            })
            .map_err(DbError::from)
        })
        .await?;
    Ok(authorize::redirect_to(
        &request.redirect_uri,
        &issuer,
        request.state.as_deref(),
        &[("code", code.expose())],
    ))
}

fn issue_code(
    conn: &mut DbConn,
    request: &AuthRequest,
    user_id: &str,
    auth_time: i64,
) -> diesel::QueryResult<SecretString> {
    let code = secret::generate("kw_ac_");
    let now = store::now();
    codes::insert(
        conn,
        &codes::AuthorizationCode {
            digest: code.digest(),
            client_id: request.client_id.clone(),
            user_id: user_id.into(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.as_slice().into(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge.as_ref().map(|_| "S256".to_owned()),
            auth_time,
            family_id: store::new_id().into(),
            created_at: now,
            expires_at: now + CODE_TTL,
            consumed_at: None,
            redirect_uri_given: request.redirect_uri_given,
        },
    )?;
    Ok(code)
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf_token: String,
    /// The waiting request this page was about.
    #[serde(default)]
    request: String,
    decision: String,
}

pub async fn consent(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    if !matches!(form.decision.as_str(), "allow" | "deny") {
        return Err(PageError::BadRequest("Choose Allow or Deny.".into()));
    }
    let Some(user) = session::current_user(&state, &session).await? else {
        return Ok(see_other("/login"));
    };
    // The request whose page it was, and no other: checked, then taken, so
    // a second click (or a second tab) on the same request finds nothing.
    let (_, request, _) = waiting(&state, &session, &form.request).await?;
    if take(&state, &session, &form.request).await?.is_none() {
        return Err(gone());
    }
    let issuer = issuer(&state)?;
    if form.decision == "allow" {
        state.metrics.consent("allow");
        let location = complete(&state, &request, &user, true, page::client_ip(&req)).await?;
        return Ok(redirect(&location));
    }
    state.metrics.consent("deny");
    let error = OAuthError::new_code("access_denied", "the user denied the request");
    Ok(redirect(&authorize::error_redirect(
        &request.redirect_uri,
        &issuer,
        request.state.as_deref(),
        &error,
    )))
}
