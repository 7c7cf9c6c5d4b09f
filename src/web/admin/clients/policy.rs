//! The policy editor: scopes, defaults, PKCE, consent, token format and
//! lifetimes, launch URL and portal, resource server and admin-capable.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;
use validator::Validate;

use super::*;
use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::clients::{self, ClientError, ClientSpec};
use crate::store;
use crate::store::types::{ConsentPolicy, GrantType, TokenFormat};
use crate::web::admin::{actor, AdminUser};
use crate::web::page::{self, see_other};
use crate::web::session;
use crate::web::PageError;

/// The policy editor's form: registration and policy of an existing client.
#[derive(Debug, Default, Clone, Serialize, Validate)]
pub struct PolicyForm {
    #[validate(length(
        min = 1,
        max = 100,
        message = "Give the client a name of 1 to 100 characters."
    ))]
    pub name: String,
    #[validate(length(max = 4000, message = "Keep the redirect URIs under 4,000 characters."))]
    pub redirect_uris: String,
    #[validate(length(max = 4000, message = "Keep the redirect URIs under 4,000 characters."))]
    pub post_logout_redirect_uris: String,
    #[validate(length(min = 1, message = "Allow at least one grant type."))]
    pub grant_types: Vec<String>,
    pub auth_method: String,
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    pub require_pkce: bool,
    pub consent_policy: String,
    pub token_format: String,
    #[validate(custom(function = "seconds"))]
    pub access_token_ttl: String,
    #[validate(custom(function = "seconds"))]
    pub refresh_token_ttl: String,
    #[validate(length(max = 2000, message = "Keep the launch URL under 2,000 characters."))]
    pub launch_url: String,
    pub show_on_portal: bool,
    pub resource_server: bool,
    pub admin_capable: bool,
}

/// Empty (the server default) or a whole number of seconds.
fn seconds(value: &str) -> Result<(), validator::ValidationError> {
    let v = value.trim();
    if v.is_empty() || v.parse::<i64>().is_ok_and(|n| n > 0) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("seconds").with_message(
            "Give a whole number of seconds, or leave it empty for the default.".into(),
        ))
    }
}

fn optional_seconds(value: &str) -> Option<i64> {
    value.trim().parse().ok()
}

impl PolicyForm {
    fn of(c: &store::clients::Client) -> Self {
        PolicyForm {
            name: c.name.clone(),
            redirect_uris: c.redirect_uri_list().join("\n"),
            post_logout_redirect_uris: c.post_logout_redirect_uri_list().join("\n"),
            grant_types: c.grant_type_list(),
            auth_method: c.token_endpoint_auth_method.to_string(),
            scopes: c.allowed_scope_list(),
            default_scopes: c.default_scope_list(),
            require_pkce: c.require_pkce,
            consent_policy: c.consent_policy.to_string(),
            token_format: c.token_format.to_string(),
            access_token_ttl: c
                .access_token_ttl
                .map(|t| t.to_string())
                .unwrap_or_default(),
            refresh_token_ttl: c
                .refresh_token_ttl
                .map(|t| t.to_string())
                .unwrap_or_default(),
            launch_url: c.launch_url.clone().unwrap_or_default(),
            show_on_portal: c.show_on_portal,
            resource_server: c.resource_server,
            admin_capable: c.admin_capable,
        }
    }

    fn parse(body: &[u8]) -> (Self, String) {
        let mut form = PolicyForm::default();
        let mut csrf = String::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            let v = v.into_owned();
            match &*k {
                "name" => form.name = v,
                "redirect_uris" => form.redirect_uris = v,
                "post_logout_redirect_uris" => form.post_logout_redirect_uris = v,
                "grant_types" => form.grant_types.push(v),
                "auth_method" => form.auth_method = v,
                "scopes" => form.scopes.push(v),
                "default_scopes" => form.default_scopes.push(v),
                "require_pkce" => form.require_pkce = true,
                "consent_policy" => form.consent_policy = v,
                "token_format" => form.token_format = v,
                "access_token_ttl" => form.access_token_ttl = v,
                "refresh_token_ttl" => form.refresh_token_ttl = v,
                "launch_url" => form.launch_url = v,
                "show_on_portal" => form.show_on_portal = true,
                "resource_server" => form.resource_server = true,
                "admin_capable" => form.admin_capable = true,
                "csrf_token" => csrf = v,
                _ => {}
            }
        }
        (form, csrf)
    }

    fn spec(&self, public: bool) -> (ClientSpec, clients::Placement) {
        (
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
                scopes: Some(self.scopes.clone()),
                default_scopes: Some(self.default_scopes.clone()),
                consent: Some(self.consent_policy.clone()),
                token_format: Some(self.token_format.clone()),
                require_pkce: self.require_pkce,
                access_ttl: optional_seconds(&self.access_token_ttl),
                refresh_ttl: optional_seconds(&self.refresh_token_ttl),
                admin_capable: self.admin_capable,
            },
            clients::Placement {
                launch_url: Some(self.launch_url.clone()),
                show_on_portal: self.show_on_portal,
                resource_server: self.resource_server,
            },
        )
    }
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &session::SignedIn,
    status: StatusCode,
    client: &store::clients::Client,
    form: &PolicyForm,
    errors: &HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let scopes = state
        .db
        .run(|c| store::scopes::list(c).map_err(DbError::from))
        .await?;
    let scopes: Vec<_> = scopes
        .iter()
        .map(|s| json!({ "name": s.name, "description": s.description }))
        .collect();
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert("client", &clients::to_json(client));
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("scope_choices", &scopes);
    ctx.insert("grant_type_choices", GrantType::WORDS);
    ctx.insert("consent_choices", ConsentPolicy::WORDS);
    ctx.insert("format_choices", TokenFormat::WORDS);
    let lifetimes = state.published.snapshot().lifetimes;
    ctx.insert(
        "default_lifetimes",
        &json!({ "access": lifetimes.access, "refresh": lifetimes.refresh }),
    );
    page::render_status(state, status, "admin/clients/policy.html", &ctx)
}

pub async fn edit(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let client = load(&state, path.into_inner()).await?;
    let form = PolicyForm::of(&client);
    edit_page(
        &state,
        &session,
        &admin,
        StatusCode::OK,
        &client,
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
    body: web::Bytes,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let (form, csrf) = PolicyForm::parse(&body);
    session::check_csrf(&session, &csrf)?;
    let client = load(&state, path.into_inner()).await?;
    if let Err(e) = form.validate() {
        let errors = page::field_errors(&e);
        return edit_page(
            &state,
            &session,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            &client,
            &form,
            &errors,
        )
        .await;
    }
    let (spec, placement) = form.spec(client.is_public());
    let (id, actor) = (client.id.clone(), actor(&admin, &req));
    let saved = state
        .db
        .run(move |c| Ok::<_, DbError>(clients::update(c, &id, &spec, &placement, &actor)))
        .await?;
    match saved {
        Ok(updated) => {
            session::set_flash(&session, "The app's settings are saved.");
            Ok(see_other(&format!("/admin/clients/{}", updated.id)))
        }
        Err(ClientError::Invalid { field, message }) => {
            let errors = HashMap::from([(field.to_owned(), message)]);
            edit_page(
                &state,
                &session,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &client,
                &form,
                &errors,
            )
            .await
        }
        Err(ClientError::NotFound(_)) => Err(PageError::NotFound),
        Err(ClientError::Db(e)) => Err(DbError::from(e).into()),
    }
}
