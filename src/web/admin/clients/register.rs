//! Registering a client: the form, its field checks and the rules of
//! `idm::clients`; a new secret is shown once on the client's page.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use validator::Validate;

use super::*;
use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::clients::{self, ClientError, ClientSpec};
use crate::store::types::GrantType;
use crate::web::admin::{actor, AdminUser};
use crate::web::page::{self, see_other};
use crate::web::session;
use crate::web::PageError;

/// The registration form as posted (and as shown again after an error).
#[derive(Debug, Default, Clone, Serialize, Validate)]
pub struct ClientForm {
    #[validate(length(
        min = 1,
        max = 100,
        message = "Give the client a name of 1 to 100 characters."
    ))]
    pub name: String,
    /// `public` or `confidential`.
    #[validate(custom(function = "client_type"))]
    pub client_type: String,
    #[validate(length(max = 4000, message = "Keep the redirect URIs under 4,000 characters."))]
    pub redirect_uris: String,
    #[validate(length(max = 4000, message = "Keep the redirect URIs under 4,000 characters."))]
    pub post_logout_redirect_uris: String,
    #[validate(length(min = 1, message = "Allow at least one grant type."))]
    pub grant_types: Vec<String>,
    pub auth_method: String,
}

fn client_type(value: &str) -> Result<(), validator::ValidationError> {
    if value == "public" || value == "confidential" {
        Ok(())
    } else {
        Err(validator::ValidationError::new("client_type")
            .with_message("Choose public or confidential.".into()))
    }
}

impl ClientForm {
    /// Reads the posted fields; `grant_types` may repeat (checkboxes).
    fn parse(body: &[u8]) -> (Self, String) {
        let mut form = ClientForm::default();
        let mut csrf = String::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            let v = v.into_owned();
            match &*k {
                "name" => form.name = v,
                "client_type" => form.client_type = v,
                "redirect_uris" => form.redirect_uris = v,
                "post_logout_redirect_uris" => form.post_logout_redirect_uris = v,
                "grant_types" => form.grant_types.push(v),
                "auth_method" => form.auth_method = v,
                "csrf_token" => csrf = v,
                _ => {}
            }
        }
        (form, csrf)
    }

    fn spec(&self) -> ClientSpec {
        let public = self.client_type == "public";
        ClientSpec {
            name: self.name.trim().to_owned(),
            public,
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            grant_types: Some(self.grant_types.clone()),
            auth_method: Some(if public {
                "none".to_owned()
            } else {
                self.auth_method.clone()
            }),
            ..ClientSpec::default()
        }
    }
}

fn form_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &session::SignedIn,
    status: StatusCode,
    form: &ClientForm,
    errors: &HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("grant_type_choices", GrantType::WORDS);
    page::render_status(state, status, "admin/clients/new.html", &ctx)
}

pub async fn new(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let form = ClientForm {
        client_type: "confidential".into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        auth_method: "client_secret_basic".into(),
        ..ClientForm::default()
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

pub async fn create(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    body: web::Bytes,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let (form, csrf) = ClientForm::parse(&body);
    session::check_csrf(&session, &csrf)?;
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
    let (spec, actor) = (form.spec(), actor(&admin, &req));
    let created = state
        .db
        .run(move |c| Ok::<_, DbError>(clients::create(c, &spec, &actor)))
        .await?;
    match created {
        Ok((client, secret)) => {
            if let Some(s) = secret {
                let _ = session.insert(NEW_SECRET, (client.id.clone(), s.expose().to_owned()));
            }
            session::set_flash(&session, &format!("{} is registered.", client.name));
            Ok(see_other(&format!("/admin/clients/{}", client.id)))
        }
        Err(ClientError::Invalid { field, message }) => {
            let errors = HashMap::from([(field.to_owned(), message)]);
            form_page(
                &state,
                &session,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            )
        }
        Err(ClientError::NotFound(_)) => Err(PageError::NotFound),
        Err(ClientError::Db(e)) => Err(DbError::from(e).into()),
    }
}
