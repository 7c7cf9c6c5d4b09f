//! `/admin/users`: people with accounts. List with search; create one (with a
//! password the admin sets or a generated one shown once). A person's own
//! page is `admin_user`'s. The rules are `crate::idm::accounts`', the same the
//! setup wizard and the CLI apply.

pub mod show;

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::Validate;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::accounts::{self, AccountError, NewAccount};
use crate::store::users;
use crate::web::admin::{actor, AdminUser};
use crate::web::page::{self, see_other};
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

const PAGE: i64 = 50;
/// A generated password waiting to be shown once: (user id, password).
pub const NEW_PASSWORD: &str = "admin_new_password";

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<ListQuery>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let search = query.q.clone().unwrap_or_default();
    let term = search.clone();
    let found = state
        .db
        .run(move |c| users::list(c, Some(&term), PAGE + 1, 0).map_err(DbError::from))
        .await?;
    let rows: Vec<_> = found
        .iter()
        .take(PAGE as usize)
        .map(|u| {
            json!({
                "id": u.id, "username": u.username, "email": u.email,
                "is_admin": u.is_admin, "disabled": u.disabled,
                "last_login": u.last_login_at.map(crate::util::time::rfc3339),
            })
        })
        .collect();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert("users", &rows);
    ctx.insert("q", &search);
    ctx.insert("more", &(found.len() as i64 > PAGE));
    page::render(&state, "admin/users/list.html", &ctx)
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, Validate)]
pub struct UserForm {
    #[serde(default)]
    #[validate(length(
        min = 2,
        max = 64,
        message = "Use 2 to 64 characters for the username."
    ))]
    pub username: String,
    #[serde(default)]
    #[validate(length(max = 254, message = "Keep the email address under 254 characters."))]
    pub email: String,
    #[serde(default)]
    pub is_admin: Option<String>,
    /// `set` (the admin types one) or `generate`.
    #[serde(default)]
    pub password_choice: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default, skip_serializing)]
    pub password_confirmation: String,
    #[serde(default, skip_serializing)]
    pub csrf_token: String,
}

fn form_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &SignedIn,
    status: StatusCode,
    form: &UserForm,
    errors: &HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    page::render_status(state, status, "admin/users/new.html", &ctx)
}

pub async fn new(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let form = UserForm {
        password_choice: "generate".into(),
        ..UserForm::default()
    };
    form_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        &form,
        &HashMap::new(),
    )
}

/// A refused value as a field message; anything else as the page error.
fn account_refusal(e: AccountError) -> Result<HashMap<String, String>, PageError> {
    match e {
        AccountError::Invalid { field, message } | AccountError::Conflict { field, message } => {
            Ok(HashMap::from([(field.to_owned(), message)]))
        }
        other => Err(other.into()),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<UserForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    if let Err(e) = form.validate() {
        let errors = page::field_errors(&e);
        return form_page(
            &state,
            &session,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &errors,
        );
    }
    let generated = (form.password_choice != "set").then(accounts::generate_password);
    let (f, actor, cost, pw) = (
        form.clone(),
        actor(&admin, &req),
        state.config.bcrypt_cost,
        generated.clone(),
    );
    let created = state
        .db
        .run(move |c| {
            let password = pw.as_deref().unwrap_or(&f.password);
            let confirmation = if pw.is_some() {
                password
            } else {
                &f.password_confirmation
            };
            Ok::<_, DbError>(accounts::create(
                c,
                &NewAccount {
                    username: f.username.trim(),
                    email: Some(f.email.trim()).filter(|e| !e.is_empty()),
                    password,
                    password_confirmation: confirmation,
                    is_admin: f.is_admin.is_some(),
                },
                cost,
                &actor,
            ))
        })
        .await?;
    match created {
        Ok(user) => {
            if let Some(p) = generated {
                let _ = session.insert(NEW_PASSWORD, (user.id.clone(), p));
            }
            session::set_flash(&session, &format!("{} can sign in now.", user.username));
            Ok(see_other(&format!("/admin/users/{}", user.id)))
        }
        Err(e) => {
            let errors = account_refusal(e)?;
            form_page(
                &state,
                &session,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            )
        }
    }
}
