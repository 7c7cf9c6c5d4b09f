//! `/admin/clients`: the list with search, registering a client, and its page
//! (where a new secret is shown once). The rules are `crate::idm::clients`', the
//! same the CLI applies; the form adds the validator crate's field checks.

pub mod integrate;

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::Validate;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::clients::{self, ClientError, ClientSpec};
use crate::oidc::discovery;
use crate::store;
use crate::store::audit::Actor;
use crate::store::types::{ConsentPolicy, GrantType, TokenFormat};
use crate::web::admin::{actor, AdminUser};
use crate::web::page::{self, see_other};
use crate::web::session;
use crate::web::PageError;

/// Clients per page of the list.
const PAGE: i64 = 50;
/// The session key under which a new secret waits to be shown once.
const NEW_SECRET: &str = "admin_new_secret";

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
        .run(move |c| store::clients::list(c, Some(&term), PAGE + 1, 0).map_err(DbError::from))
        .await?;
    let more = found.len() as i64 > PAGE;
    let rows: Vec<_> = found
        .iter()
        .take(PAGE as usize)
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "type": c.client_type,
                "grant_types": c.grant_types,
                "disabled": c.disabled,
            })
        })
        .collect();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert("clients", &rows);
    ctx.insert("q", &search);
    ctx.insert("more", &more);
    page::render(&state, "admin/clients/list.html", &ctx)
}

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

/// The non-empty lines of a textarea.
fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
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

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let client = load(&state, id.clone()).await?;
    // A new secret is shown on this one page view, then forgotten.
    let secret = match session.remove_as::<(String, String)>(NEW_SECRET) {
        Some(Ok((for_id, s))) if for_id == id => Some(s),
        _ => None,
    };
    let snapshot = state.published.snapshot();
    let issuer = snapshot.issuer.as_deref();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert("client", &clients::to_json(&client));
    ctx.insert("secret", &secret);
    ctx.insert(
        "endpoints",
        &issuer.map(|i| {
            json!({
                "discovery": discovery::endpoint(i, "/.well-known/openid-configuration"),
                "authorize": discovery::endpoint(i, "/authorize"),
                "token": discovery::endpoint(i, "/token"),
                "userinfo": discovery::endpoint(i, "/userinfo"),
                "end_session": discovery::endpoint(i, "/end_session"),
            })
        }),
    );
    ctx.insert(
        "snippets",
        &issuer.map(|i| {
            crate::web::admin::clients::integrate::snippets(
                i,
                snapshot.org_name.as_deref().unwrap_or(""),
                &client,
            )
        }),
    );
    page::render(&state, "admin/clients/show.html", &ctx)
}

/// What a client action did: the flash message, and a new secret to show
/// once on the client's page (client id, secret).
struct Done {
    message: String,
    new_secret: Option<(String, String)>,
}

impl From<String> for Done {
    fn from(message: String) -> Self {
        Done {
            message,
            new_secret: None,
        }
    }
}

/// Runs a client action posted from its page (CSRF checked) and answers with
/// a redirect and a flash message.
async fn act(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &session::SignedIn,
    req: &HttpRequest,
    csrf: &str,
    action: impl FnOnce(&mut crate::db::DbConn, &Actor) -> Result<Done, ClientError> + Send + 'static,
    then: String,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(session, csrf)?;
    let actor = actor(admin, req);
    let outcome = state
        .db
        .run(move |c| Ok::<_, DbError>(action(c, &actor)))
        .await?;
    match outcome {
        Ok(done) => {
            if let Some(secret) = done.new_secret {
                let _ = session.insert(NEW_SECRET, secret);
            }
            session::set_flash(session, &done.message);
            Ok(see_other(&then))
        }
        Err(ClientError::NotFound(_)) => Err(PageError::NotFound),
        Err(ClientError::Invalid { message, .. }) => Err(PageError::BadRequest(message)),
        Err(ClientError::Db(e)) => Err(DbError::from(e).into()),
    }
}

pub async fn rotate_secret(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<crate::web::pages::login::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (for_action, page) = (id.clone(), format!("/admin/clients/{id}"));
    act(
        &state,
        &session,
        &admin,
        &req,
        &form.csrf_token,
        move |c, actor| {
            let secret = clients::rotate_secret(c, &for_action, actor)?;
            Ok(Done {
                message: "A new secret is issued; the old one no longer works.".into(),
                new_secret: Some((for_action, secret.expose().to_owned())),
            })
        },
        page,
    )
    .await
}

pub async fn disable(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<crate::web::pages::login::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    set_disabled(
        state,
        session,
        admin,
        req,
        path.into_inner(),
        &form.csrf_token,
        true,
    )
    .await
}

pub async fn enable(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<crate::web::pages::login::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    set_disabled(
        state,
        session,
        admin,
        req,
        path.into_inner(),
        &form.csrf_token,
        false,
    )
    .await
}

async fn set_disabled(
    state: web::Data<AppState>,
    session: Session,
    admin: session::SignedIn,
    req: HttpRequest,
    id: String,
    csrf: &str,
    disabled: bool,
) -> Result<HttpResponse, PageError> {
    let (for_action, page) = (id.clone(), format!("/admin/clients/{id}"));
    act(
        &state,
        &session,
        &admin,
        &req,
        csrf,
        move |c, actor| {
            let revoked = clients::set_disabled(c, &for_action, disabled, actor)?;
            Ok(if disabled {
                format!("The app is disabled; {revoked} of its tokens were revoked.")
            } else {
                "The app is enabled again.".to_owned()
            }
            .into())
        },
        page,
    )
    .await
}

/// GET: the confirmation page for deleting a client.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let client = load(&state, path.into_inner()).await?;
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert("client", &clients::to_json(&client));
    page::render(&state, "admin/clients/delete.html", &ctx)
}

pub async fn delete(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<crate::web::pages::login::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    act(
        &state,
        &session,
        &admin,
        &req,
        &form.csrf_token,
        move |c, actor| {
            let name = clients::find(c, &id)?.name;
            clients::delete(c, &id, actor)?;
            Ok(format!("{name} is deleted, with its tokens and consents.").into())
        },
        "/admin/clients".to_owned(),
    )
    .await
}

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

async fn load(
    state: &web::Data<AppState>,
    id: String,
) -> Result<store::clients::Client, PageError> {
    state
        .db
        .run(move |c| store::clients::find(c, &id).map_err(DbError::from))
        .await?
        .ok_or(PageError::NotFound)
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
