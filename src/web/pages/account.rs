//! `/account`: profile, password, apps the user allowed, sign out everywhere.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::app::state::AppState;
use crate::crypto::password;
use crate::db::DbError;
use crate::idm::accounts::{self, AccountError};
use crate::store::{self, audit, consents, users};
use crate::web::page::{self, see_other};
use crate::web::pages::login::CsrfForm;
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

async fn require_user(
    state: &web::Data<AppState>,
    session: &Session,
) -> Result<Result<SignedIn, HttpResponse>, PageError> {
    Ok(match session::current_user(state, session).await? {
        Some(u) => Ok(u),
        None => Err(see_other("/login?return_to=/account")),
    })
}

/// The start of every form handler here: the CSRF check, then the signed-in
/// user (or the redirect to sign in).
async fn posted_by_user(
    state: &web::Data<AppState>,
    session: &Session,
    csrf_token: &str,
) -> Result<Result<SignedIn, HttpResponse>, PageError> {
    session::check_csrf(session, csrf_token)?;
    require_user(state, session).await
}

async fn account_page(
    state: &web::Data<AppState>,
    session: &Session,
    user: &SignedIn,
    status: StatusCode,
    profile: Option<serde_json::Value>,
    errors: HashMap<&'static str, String>,
) -> Result<HttpResponse, PageError> {
    let id = user.user.id.clone();
    let current = session::session_id(session);
    let (granted, sessions) = state
        .db
        .run(move |c| -> Result<_, DbError> {
            Ok((
                consents::list_for_user(c, &id)?,
                crate::idm::sessions::list(c, &id, current.as_deref(), crate::store::now())?,
            ))
        })
        .await?;
    let sessions: Vec<_> = sessions.iter().map(session::view_json).collect();
    let granted: Vec<_> = granted
        .iter()
        .map(|g| json!({ "client_id": g.consent.client_id, "client_name": g.client_name, "scopes": g.consent.scopes }))
        .collect();
    let u = &user.user;
    let profile = profile.unwrap_or_else(|| {
        json!({
            "display_name": u.display_name, "given_name": u.given_name,
            "family_name": u.family_name, "email": u.email,
        })
    });
    let mut ctx = page::context(state, session, Some(user));
    ctx.insert("profile", &profile);
    ctx.insert("consents", &granted);
    ctx.insert("sessions", &sessions);
    ctx.insert("errors", &errors);
    page::render_status(state, status, "pages/account.html", &ctx)
}

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, PageError> {
    match require_user(&state, &session).await? {
        Ok(user) => {
            account_page(
                &state,
                &session,
                &user,
                StatusCode::OK,
                None,
                HashMap::new(),
            )
            .await
        }
        Err(redirect) => Ok(redirect),
    }
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf_token: String,
    display_name: String,
    given_name: String,
    family_name: String,
    email: String,
}

pub async fn save_profile(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, PageError> {
    let user = match posted_by_user(&state, &session, &form.csrf_token).await? {
        Ok(u) => u,
        Err(redirect) => return Ok(redirect),
    };
    let form = form.into_inner();
    let typed = json!({
        "display_name": form.display_name, "given_name": form.given_name,
        "family_name": form.family_name, "email": form.email,
    });
    let (u, actor) = (
        user.user.clone(),
        audit::Actor::new(user.user.id.clone(), page::client_ip(&req)),
    );
    let saved = state
        .db
        .run(move |c| {
            let changes = accounts::AccountChanges {
                profile: accounts::Profile {
                    email: &form.email,
                    given_name: &form.given_name,
                    family_name: &form.family_name,
                    display_name: &form.display_name,
                },
                is_admin: None,
            };
            Ok::<_, DbError>(accounts::update(c, &u, &changes, &actor))
        })
        .await?;
    match saved {
        Ok(_) => {
            session::set_flash(&session, "Your profile is saved.");
            Ok(see_other("/account"))
        }
        Err(
            AccountError::Invalid { field, message } | AccountError::Conflict { field, message },
        ) => {
            // The page shows name errors together, under the profile.
            let key = if field == "email" { "email" } else { "profile" };
            account_page(
                &state,
                &session,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(typed),
                HashMap::from([(key, message)]),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    current_password: String,
    new_password: String,
    new_password_confirmation: String,
}

pub async fn change_password(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let user = match posted_by_user(&state, &session, &form.csrf_token).await? {
        Ok(u) => u,
        Err(redirect) => return Ok(redirect),
    };
    let form = form.into_inner();
    let u = user.user.clone();
    let cost = state.config.bcrypt_cost;
    let actor = audit::Actor::new(u.id.clone(), page::client_ip(&req));
    let this_session = session::session_id(&session);
    // The rules first; then both bcrypt runs on the hash pool, without a
    // database connection; then one short transaction.
    let result =
        match accounts::check_new_password(&u, &form.new_password, &form.new_password_confirmation)
        {
            Err(AccountError::Invalid { message, .. }) => Err(("new_password", message)),
            Err(e) => return Err(PageError::Unavailable(e.to_string())),
            Ok(()) => {
                let (current, new, stored) = (
                    form.current_password,
                    form.new_password,
                    u.password_hash.clone(),
                );
                let (current_ok, hash) = state
                    .hashes
                    .run(move || {
                        let ok = stored
                            .as_deref()
                            .is_some_and(|h| password::verify(&current, h));
                        (ok, ok.then(|| password::hash(&new, cost)))
                    })
                    .await
                    .map_err(|busy| PageError::Unavailable(busy.to_string()))?;
                let hash = hash
                    .transpose()
                    .map_err(|e| PageError::Unavailable(e.to_string()))?;
                state
                    .db
                    .run(
                        move |c| -> Result<Result<i64, (&'static str, String)>, DbError> {
                            let Some(hash) = hash.filter(|_| current_ok) else {
                                audit::record(
                                    c,
                                    &audit::NewAuditEvent::new("user.password", false)
                                        .by(&actor)
                                        .target(u.id.clone()),
                                )?;
                                return Ok(Err((
                                    "current_password",
                                    "This is not your current password.".into(),
                                )));
                            };
                            match accounts::store_password(
                                c,
                                &u,
                                &hash,
                                &actor,
                                this_session.as_deref(),
                            ) {
                                Ok(()) => Ok(Ok(users::find(c, &u.id)?
                                    .map(|x| x.session_epoch)
                                    .unwrap_or_default())),
                                Err(AccountError::Db(e)) => Err(e.into()),
                                Err(e) => Err(DbError::Unavailable(e.to_string())),
                            }
                        },
                    )
                    .await?
            }
        };
    match result {
        Ok(epoch) => {
            // Other sessions ended with the epoch; this one continues.
            session::set_epoch(&session, epoch);
            session::set_flash(
                &session,
                "Your password is changed. Your other sessions are signed out.",
            );
            Ok(see_other("/account"))
        }
        Err((field, message)) => {
            let mut errors = HashMap::new();
            errors.insert(field, message);
            account_page(
                &state,
                &session,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
            )
            .await
        }
    }
}

pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let user = match posted_by_user(&state, &session, &form.csrf_token).await? {
        Ok(u) => u,
        Err(redirect) => return Ok(redirect),
    };
    let id = user.user.id.clone();
    let ip = page::client_ip(&req);
    state
        .db
        .run(move |c| -> Result<(), DbError> {
            crate::db::durably(c, |c| -> Result<(), DbError> {
                users::bump_session_epoch(c, &id)?;
                store::sessions::delete_all_for_user(c, &id, None)?;
                Ok(())
            })?;
            audit::record(
                c,
                &audit::NewAuditEvent::new("user.sign_out_everywhere", true)
                    .actor(id.clone())
                    .target(id)
                    .ip(ip),
            )?;
            Ok(())
        })
        .await?;
    session::sign_out(&session);
    session::set_flash(&session, "You are signed out everywhere.");
    Ok(see_other("/login"))
}

/// Signs out one of the person's sessions (this one included).
pub async fn end_session(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let user = match posted_by_user(&state, &session, &form.csrf_token).await? {
        Ok(u) => u,
        Err(redirect) => return Ok(redirect),
    };
    let target = path.into_inner();
    let this_one = session::session_id(&session).as_deref() == Some(target.as_str());
    let id = user.user.id.clone();
    let actor = audit::Actor::new(id.to_string(), page::client_ip(&req));
    let ended = state
        .db
        .run(move |c| crate::idm::sessions::end(c, &id, &target, &actor).map_err(DbError::from))
        .await?;
    if this_one {
        session::sign_out(&session);
        return Ok(see_other("/login"));
    }
    session::set_flash(
        &session,
        if ended {
            "That session is signed out."
        } else {
            "That session had already ended."
        },
    );
    Ok(see_other("/account"))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
    client_id: String,
}

pub async fn revoke_consent(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, PageError> {
    let user = match posted_by_user(&state, &session, &form.csrf_token).await? {
        Ok(u) => u,
        Err(redirect) => return Ok(redirect),
    };
    let (uid, cid) = (user.user.id.clone(), form.client_id.clone());
    let actor = audit::Actor::new(uid.clone(), page::client_ip(&req));
    let revoked = state
        .db
        .run(move |c| Ok::<_, DbError>(accounts::revoke_consent(c, &uid, &cid, &actor)))
        .await??;
    session::set_flash(
        &session,
        if revoked {
            "Access revoked. The app must ask again to use your account."
        } else {
            "That app had no access to revoke."
        },
    );
    Ok(see_other("/account"))
}
