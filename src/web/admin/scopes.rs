//! `/admin/scopes`: the scopes and the claims they release; create, edit,
//! and delete (refused, with the reason, for built-in scopes and scopes a
//! client still allows). The rules are `crate::idm::scopes`'.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::Validate;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::scopes::{self, ScopeError};
use crate::store;
use crate::web::admin::{actor, confirm_page, AdminUser, Confirm};
use crate::web::page::{self, see_other};
use crate::web::pages::login::CsrfForm;
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

#[derive(Debug, Default, Clone, Serialize, Deserialize, Validate)]
pub struct ScopeForm {
    #[serde(default)]
    #[validate(length(
        min = 1,
        max = 64,
        message = "Give the scope a name of 1 to 64 characters."
    ))]
    pub name: String,
    #[serde(default)]
    #[validate(length(
        min = 1,
        max = 200,
        message = "Describe the scope in 1 to 200 characters."
    ))]
    pub description: String,
    #[serde(default)]
    #[validate(length(max = 1000, message = "Keep the claims under 1,000 characters."))]
    pub claims: String,
    #[serde(default)]
    pub csrf_token: String,
}

/// The scope rules' refusal as a field message, or the page error it is.
fn refusal(e: ScopeError) -> Result<HashMap<String, String>, PageError> {
    match e {
        ScopeError::Invalid { field, message } => Ok(HashMap::from([(field.to_owned(), message)])),
        ScopeError::Conflict(message) => Ok(HashMap::from([("name".to_owned(), message)])),
        ScopeError::NotFound(_) => Err(PageError::NotFound),
        ScopeError::Db(e) => Err(DbError::from(e).into()),
    }
}

async fn list_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &SignedIn,
    status: StatusCode,
    form: &ScopeForm,
    errors: &HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let all = state
        .db
        .run(|c| store::scopes::list(c).map_err(DbError::from))
        .await?;
    let rows: Vec<_> = all
        .iter()
        .map(|s| json!({ "name": s.name, "description": s.description, "claims": s.claims, "builtin": s.builtin }))
        .collect();
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert("scopes", &rows);
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    page::render_status(state, status, "admin/scopes/list.html", &ctx)
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    list_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        &ScopeForm::default(),
        &HashMap::new(),
    )
    .await
}

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<ScopeForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    if let Err(e) = form.validate() {
        let errors = page::field_errors(&e);
        return list_page(
            &state,
            &session,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &errors,
        )
        .await;
    }
    let (f, actor) = (form.clone(), actor(&admin, &req));
    let created = state
        .db
        .run(move |c| {
            Ok::<_, DbError>(scopes::create(
                c,
                &f.name,
                &f.description,
                &f.claims,
                &actor,
            ))
        })
        .await?;
    match created {
        Ok(scope) => {
            session::set_flash(&session, &format!("The scope {} is created.", scope.name));
            Ok(see_other("/admin/scopes"))
        }
        Err(e) => {
            let errors = refusal(e)?;
            list_page(
                &state,
                &session,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            )
            .await
        }
    }
}

async fn edit_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &SignedIn,
    status: StatusCode,
    scope: &store::scopes::Scope,
    form: &ScopeForm,
    errors: &HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert(
        "scope",
        &json!({ "name": scope.name, "builtin": scope.builtin }),
    );
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    page::render_status(state, status, "admin/scopes/edit.html", &ctx)
}

async fn load(
    state: &web::Data<AppState>,
    name: String,
) -> Result<store::scopes::Scope, PageError> {
    state
        .db
        .run(move |c| store::scopes::find(c, &name).map_err(DbError::from))
        .await?
        .ok_or(PageError::NotFound)
}

pub async fn edit(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let scope = load(&state, path.into_inner()).await?;
    let form = ScopeForm {
        name: scope.name.clone(),
        description: scope.description.clone(),
        claims: scope.claim_names().join(" "),
        csrf_token: String::new(),
    };
    edit_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        &scope,
        &form,
        &HashMap::new(),
    )
    .await
}

pub async fn save(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<ScopeForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let scope = load(&state, path.into_inner()).await?;
    // The name is not editable here: the path names the scope.
    let form = ScopeForm {
        name: scope.name.clone(),
        ..form.into_inner()
    };
    if let Err(e) = form.validate() {
        let errors = page::field_errors(&e);
        return edit_page(
            &state,
            &session,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            &scope,
            &form,
            &errors,
        )
        .await;
    }
    let (f, actor) = (form.clone(), actor(&admin, &req));
    let saved = state
        .db
        .run(move |c| {
            Ok::<_, DbError>(scopes::update(
                c,
                &f.name,
                &f.description,
                &f.claims,
                &actor,
            ))
        })
        .await?;
    match saved {
        Ok(s) => {
            session::set_flash(&session, &format!("The scope {} is saved.", s.name));
            Ok(see_other("/admin/scopes"))
        }
        Err(e) => {
            let errors = refusal(e)?;
            edit_page(
                &state,
                &session,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &scope,
                &form,
                &errors,
            )
            .await
        }
    }
}

pub async fn confirm_delete(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let scope = load(&state, path.into_inner()).await?;
    confirm_page(
        &state,
        &session,
        &admin,
        &Confirm {
            heading: format!("Delete the scope {}?", scope.name),
            message: "Apps can no longer ask for it, and the consent people gave for it no longer counts.",
            action: format!("/admin/scopes/{}/delete", scope.name),
            button: "Delete the scope",
            back: "/admin/scopes",
        },
    )
}

pub async fn delete(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let (name, actor) = (path.into_inner(), actor(&admin, &req));
    let target = name.clone();
    let outcome = state
        .db
        .run(move |c| Ok::<_, DbError>(scopes::delete(c, &target, &actor)))
        .await?;
    let message = match outcome {
        Ok(()) => format!("The scope {name} is deleted."),
        Err(ScopeError::Conflict(why)) => why,
        Err(ScopeError::NotFound(_)) => return Err(PageError::NotFound),
        Err(ScopeError::Invalid { message, .. }) => message,
        Err(ScopeError::Db(e)) => return Err(DbError::from(e).into()),
    };
    session::set_flash(&session, &message);
    Ok(see_other("/admin/scopes"))
}
