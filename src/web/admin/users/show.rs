//! `/admin/users/{id}`: one person. Their facts, a profile and role editor,
//! the apps they allowed (each revocable, which also revokes that app's
//! tokens for them), and disable/enable (ending their sessions and tokens)
//! and a password reset (a one-time password, shown once). The rules are
//! `crate::idm::accounts`', the same the account page and the CLI apply.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::Validate;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::accounts::{self, AccountChanges, AccountError, Profile};
use crate::store::{consents, users};
use crate::util::time;
use crate::web::admin::users::NEW_PASSWORD;
use crate::web::admin::{actor, AdminUser};
use crate::web::page::{self, see_other};
use crate::web::pages::login::CsrfForm;
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

/// The profile and role editor as posted.
#[derive(Debug, Default, Clone, Serialize, Deserialize, Validate)]
pub struct EditForm {
    #[serde(default)]
    #[validate(custom(function = "email_or_empty"))]
    pub email: String,
    #[serde(default)]
    #[validate(length(max = 100, message = "Keep the display name to 100 characters."))]
    pub display_name: String,
    #[serde(default)]
    #[validate(length(max = 100, message = "Keep the given name to 100 characters."))]
    pub given_name: String,
    #[serde(default)]
    #[validate(length(max = 100, message = "Keep the family name to 100 characters."))]
    pub family_name: String,
    #[serde(default)]
    pub is_admin: Option<String>,
    #[serde(default, skip_serializing)]
    pub csrf_token: String,
}

fn email_or_empty(value: &str) -> Result<(), validator::ValidationError> {
    if value.trim().is_empty() || accounts::check_email(value).is_ok() {
        Ok(())
    } else {
        Err(validator::ValidationError::new("email")
            .with_message("Enter an email address like name@example.com.".into()))
    }
}

impl EditForm {
    fn of(u: &users::User) -> Self {
        EditForm {
            email: u.email.clone().unwrap_or_default(),
            display_name: u.display_name.clone().unwrap_or_default(),
            given_name: u.given_name.clone().unwrap_or_default(),
            family_name: u.family_name.clone().unwrap_or_default(),
            is_admin: u.is_admin.then(|| "on".to_owned()),
            csrf_token: String::new(),
        }
    }
}

async fn load(state: &web::Data<AppState>, id: String) -> Result<users::User, PageError> {
    state
        .db
        .run(move |c| users::find(c, &id).map_err(DbError::from))
        .await?
        .ok_or(PageError::NotFound)
}

/// The person's page, with the editor showing `form` and `errors`.
async fn person_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &SignedIn,
    status: StatusCode,
    user: &users::User,
    form: &EditForm,
    errors: &HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let id = user.id.clone();
    let (granted, sessions, throttle) = state
        .db
        .run(move |c| -> Result<_, DbError> {
            let now = crate::store::now();
            Ok((
                consents::list_for_user(c, &id)?,
                crate::idm::sessions::list(c, &id, None, now)?,
                crate::idm::throttle::status(c, id.as_str(), now)?,
            ))
        })
        .await?;
    let sessions: Vec<_> = sessions.iter().map(session::view_json).collect();
    let throttle = json!({
        "failures": throttle.failures,
        "blocked_until": throttle.blocked_until.map(time::minute),
        "blocked_addresses": throttle.blocked_addresses.iter()
            .map(|(ip, until)| json!({ "address": ip, "until": time::minute(*until) }))
            .collect::<Vec<_>>(),
        "window_minutes": crate::idm::throttle::WINDOW_SECS / 60,
        "per_account": crate::idm::throttle::PER_ACCOUNT,
        "per_address": crate::idm::throttle::PER_ACCOUNT_AND_ADDRESS,
    });
    let granted: Vec<_> = granted
        .iter()
        .map(|g| {
            json!({
                "client_id": g.consent.client_id,
                "client_name": g.client_name,
                "scopes": g.consent.scopes,
                "granted": time::rfc3339(g.consent.updated_at),
            })
        })
        .collect();
    let password = match session.remove_as::<(String, String)>(NEW_PASSWORD) {
        Some(Ok((for_id, p))) if for_id == user.id => Some(p),
        _ => None,
    };
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert(
        "person",
        &json!({
            "id": user.id, "username": user.username, "email": user.email,
            "email_verified": user.email_verified,
            "is_admin": user.is_admin, "disabled": user.disabled,
            "created": time::rfc3339(user.created_at),
            "last_login": user.last_login_at.map(time::rfc3339),
        }),
    );
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("consents", &granted);
    ctx.insert("sessions", &sessions);
    ctx.insert("end_action", &format!("/admin/users/{}/sessions", user.id));
    ctx.insert("throttle", &throttle);
    ctx.insert("password", &password);
    ctx.insert("is_self", &(user.id == admin.user.id));
    page::render_status(state, status, "admin/users/show.html", &ctx)
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let user = load(&state, path.into_inner()).await?;
    let form = EditForm::of(&user);
    person_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        &user,
        &form,
        &HashMap::new(),
    )
    .await
}

/// POST /admin/users/{id}: save the profile and role.
pub async fn save(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<EditForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    let user = load(&state, path.into_inner()).await?;
    let refused = |errors: HashMap<String, String>| {
        let (state, session, admin, user, form) = (&state, &session, &admin, &user, &form);
        async move {
            person_page(
                state,
                session,
                admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                user,
                form,
                &errors,
            )
            .await
        }
    };
    if let Err(e) = form.validate() {
        return refused(page::field_errors(&e)).await;
    }
    let is_admin = form.is_admin.is_some();
    if user.id == admin.user.id && user.is_admin && !is_admin {
        return refused(HashMap::from([(
            "is_admin".to_owned(),
            "You cannot remove your own administrator role: ask another administrator.".to_owned(),
        )]))
        .await;
    }
    let (u, f, actor) = (user.clone(), form.clone(), actor(&admin, &req));
    let saved = state
        .db
        .run(move |c| {
            let changes = AccountChanges {
                profile: Profile {
                    email: &f.email,
                    given_name: &f.given_name,
                    family_name: &f.family_name,
                    display_name: &f.display_name,
                },
                is_admin: Some(is_admin),
            };
            Ok::<_, DbError>(accounts::update(c, &u, &changes, &actor))
        })
        .await?;
    match saved {
        Ok(updated) => {
            session::set_flash(&session, &format!("{} is saved.", updated.username));
            Ok(see_other(&format!("/admin/users/{}", updated.id)))
        }
        Err(
            AccountError::Invalid { field, message } | AccountError::Conflict { field, message },
        ) => refused(HashMap::from([(field.to_owned(), message)])).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/users/{id}/{step}: disable, enable or reset-password.
pub async fn act(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let (id, step) = path.into_inner();
    let user = load(&state, id.clone()).await?;
    if user.id == admin.user.id && step == "disable" {
        return Err(PageError::BadRequest(
            "You cannot disable your own account.".into(),
        ));
    }
    if user.id == admin.user.id && step == "reset-password" {
        // It would end this very session before the new password is shown.
        return Err(PageError::BadRequest(
            "Change your own password on your account page.".into(),
        ));
    }
    let (actor, cost) = (actor(&admin, &req), state.config.bcrypt_cost);
    let message = match step.as_str() {
        "disable" | "enable" => {
            let disabled = step == "disable";
            let u = user.clone();
            state
                .db
                .run(move |c| Ok::<_, DbError>(accounts::set_disabled(c, &u, disabled, &actor)))
                .await??;
            if disabled {
                format!(
                    "{} is disabled: their sessions have ended and their tokens are revoked.",
                    user.username
                )
            } else {
                format!("{} can sign in again.", user.username)
            }
        }
        "reset-password" => {
            let new = accounts::generate_password();
            accounts::check_new_password(&user, &new, &new)?;
            let p = new.clone();
            let hash = state
                .hashes
                .run(move || crate::crypto::password::hash(&p, cost))
                .await
                .map_err(|busy| PageError::Unavailable(busy.to_string()))?
                .map_err(|e| PageError::Unavailable(e.to_string()))?;
            let u = user.clone();
            state
                .db
                .run(move |c| {
                    Ok::<_, DbError>(accounts::store_password(c, &u, &hash, &actor, None))
                })
                .await??;
            let _ = session.insert(NEW_PASSWORD, (user.id.clone(), new));
            format!(
                "{} has a new one-time password; their sessions have ended.",
                user.username
            )
        }
        "unlock" => {
            let u = user.clone();
            let had = state
                .db
                .run(move |c| Ok::<_, DbError>(accounts::unlock(c, &u, &actor)))
                .await??;
            if had {
                format!(
                    "{}'s failed sign-ins are forgotten: they may sign in again from anywhere.",
                    user.username
                )
            } else {
                format!("{} had no failed sign-ins to forget.", user.username)
            }
        }
        _ => return Err(PageError::NotFound),
    };
    session::set_flash(&session, &message);
    Ok(see_other(&format!("/admin/users/{id}")))
}

/// POST /admin/users/{id}/sessions/{session}/end: ends one of their sessions.
pub async fn end_session(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let (id, target) = path.into_inner();
    let user = load(&state, id.clone()).await?;
    let actor = actor(&admin, &req);
    let uid = user.id.clone();
    let ended = state
        .db
        .run(move |c| crate::idm::sessions::end(c, &uid, &target, &actor).map_err(DbError::from))
        .await?;
    session::set_flash(
        &session,
        &if ended {
            format!("One of {}'s sessions is signed out.", user.username)
        } else {
            "That session had already ended.".to_owned()
        },
    );
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
    client_id: String,
}

/// POST /admin/users/{id}/consents/revoke: forget one app's consent.
pub async fn revoke_consent(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<RevokeForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let user = load(&state, path.into_inner()).await?;
    let (uid, cid, actor) = (user.id.clone(), form.client_id.clone(), actor(&admin, &req));
    let revoked = state
        .db
        .run(move |c| Ok::<_, DbError>(accounts::revoke_consent(c, &uid, &cid, &actor)))
        .await??;
    session::set_flash(
        &session,
        &if revoked {
            format!(
                "{}'s consent is revoked, with that app's tokens for them.",
                user.username
            )
        } else {
            "That app had no consent to revoke.".to_owned()
        },
    );
    Ok(see_other(&format!("/admin/users/{}", user.id)))
}
