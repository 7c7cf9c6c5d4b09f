//! /api/v1/clients: list, create, get, update the registration, delete,
//! rotate the secret, and the policy (get and put). The rules are
//! `crate::idm::clients`' (the same the admin pages and the CLI apply).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::error::{ApiError, ErrorBody};
use super::schema;
use super::schema::Body;
use super::{run, Admin, ListQuery};
use crate::app::state::AppState;
use crate::idm::clients::{self, ClientSpec, Placement};
use crate::store::{self, clients::Client};

/// A client as the API shows it (never its secret or digest).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientOut {
    pub client_id: String,
    pub name: String,
    /// `public` or `confidential`.
    pub client_type: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub policy: PolicyBody,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A client's policy: what it may get and how.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    pub require_pkce: bool,
    /// `always`, `once` or `skip`.
    pub consent_policy: String,
    /// `opaque` or `jwt`.
    pub token_format: String,
    /// Seconds (60 to 86400); null for the server default.
    #[serde(default, deserialize_with = "schema::integer")]
    pub access_token_ttl: Option<i64>,
    /// Seconds (60 to 31622400); null for the server default.
    #[serde(default, deserialize_with = "schema::integer")]
    pub refresh_token_ttl: Option<i64>,
    /// Where the portal opens the app: an http(s) address, or empty.
    pub launch_url: Option<String>,
    pub show_on_portal: bool,
    /// May introspect every client's tokens.
    pub resource_server: bool,
    /// May be allowed the `admin` scope.
    pub admin_capable: bool,
}

impl From<&Client> for ClientOut {
    fn from(c: &Client) -> Self {
        ClientOut {
            client_id: c.id.to_string(),
            name: c.name.clone(),
            client_type: c.client_type.to_string(),
            redirect_uris: c.redirect_uri_list(),
            post_logout_redirect_uris: c.post_logout_redirect_uri_list(),
            grant_types: c.grant_type_list(),
            token_endpoint_auth_method: c.token_endpoint_auth_method.to_string(),
            policy: PolicyBody::from(c),
            disabled: c.disabled,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl From<&Client> for PolicyBody {
    fn from(c: &Client) -> Self {
        PolicyBody {
            scopes: c.allowed_scope_list(),
            default_scopes: c.default_scope_list(),
            require_pkce: c.require_pkce,
            consent_policy: c.consent_policy.to_string(),
            token_format: c.token_format.to_string(),
            access_token_ttl: c.access_token_ttl,
            refresh_token_ttl: c.refresh_token_ttl,
            launch_url: c.launch_url.clone(),
            show_on_portal: c.show_on_portal,
            resource_server: c.resource_server,
            admin_capable: c.admin_capable,
        }
    }
}

/// The registration and policy of `c` as a spec, for changing one part.
fn spec_of(c: &Client) -> (ClientSpec, Placement) {
    (
        ClientSpec {
            name: c.name.clone(),
            public: c.is_public(),
            redirect_uris: c.redirect_uri_list(),
            post_logout_redirect_uris: c.post_logout_redirect_uri_list(),
            grant_types: Some(c.grant_type_list()),
            auth_method: Some(c.token_endpoint_auth_method.to_string()),
            scopes: Some(c.allowed_scope_list()),
            default_scopes: Some(c.default_scope_list()),
            consent: Some(c.consent_policy.to_string()),
            token_format: Some(c.token_format.to_string()),
            require_pkce: c.require_pkce,
            access_ttl: c.access_token_ttl,
            refresh_ttl: c.refresh_token_ttl,
            admin_capable: c.admin_capable,
        },
        Placement {
            launch_url: c.launch_url.clone(),
            show_on_portal: c.show_on_portal,
            resource_server: c.resource_server,
        },
    )
}

fn check_uris(redirect: &[String], post_logout: &[String]) -> Result<(), ApiError> {
    schema::redirect_uris("redirect_uris", redirect)?;
    schema::redirect_uris("post_logout_redirect_uris", post_logout)
}

/// `allowed` and every default scope not in it.
fn with_defaults(mut allowed: Vec<String>, defaults: &[String]) -> Vec<String> {
    for d in defaults {
        if !allowed.contains(d) {
            allowed.push(d.clone());
        }
    }
    allowed
}

/// A scope that does not exist conflicts with the scopes as they are.
fn known_scopes(c: &mut crate::db::DbConn, names: &[String]) -> Result<(), ApiError> {
    let known = crate::store::scopes::list(c)?;
    match names.iter().find(|n| !known.iter().any(|k| &k.name == *n)) {
        None => Ok(()),
        Some(unknown) => Err(ApiError::conflict(format!(
            "there is no scope {unknown:?}; create it first (PUT /api/v1/scopes/{{name}})"
        ))
        .field("scopes")),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientList {
    pub items: Vec<ClientOut>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ListQuery),
    responses((status = 200, body = ClientList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<ListQuery>,
) -> Result<web::Json<ClientList>, ApiError> {
    query.validate()?;
    let paging = query.paging();
    let offset = paging.offset()?;
    let (limit, q) = (paging.limit(), query.q.clone());
    let found = run(&state, move |c| {
        Ok(store::clients::list(c, q.as_deref(), limit + 1, offset)?)
    })
    .await?;
    let (items, next_cursor) = paging.page(found, offset);
    Ok(web::Json(ClientList {
        items: items.iter().map(ClientOut::from).collect(),
        next_cursor,
    }))
}

/// A new client. Unset fields take the same defaults as the admin pages.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientCreate {
    pub name: String,
    /// `public` (no secret, PKCE always) or `confidential`.
    pub client_type: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub default_scopes: Option<Vec<String>>,
    pub consent_policy: Option<String>,
    pub token_format: Option<String>,
    #[serde(default)]
    pub require_pkce: bool,
    #[serde(default, deserialize_with = "schema::integer")]
    pub access_token_ttl: Option<i64>,
    #[serde(default, deserialize_with = "schema::integer")]
    pub refresh_token_ttl: Option<i64>,
    #[serde(default)]
    pub admin_capable: bool,
}

/// A created client, with its secret: shown this once, stored as a digest.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientCreated {
    pub client: ClientOut,
    /// Confidential clients only.
    pub client_secret: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = ClientCreate,
    responses((status = 201, body = ClientCreated), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "a scope that does not exist", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    body: Body<ClientCreate>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let public = b.client_type == "public";
    schema::text("name", &b.name, schema::NAME_MAX)?;
    schema::one_of("client_type", &b.client_type, &["public", "confidential"])?;
    check_uris(&b.redirect_uris, &b.post_logout_redirect_uris)?;
    if let Some(g) = &b.grant_types {
        schema::grant_types(g)?;
    }
    if let Some(m) = &b.token_endpoint_auth_method {
        let allowed: &[&str] = if public {
            &["none"]
        } else {
            &schema::SECRET_METHODS
        };
        schema::one_of("token_endpoint_auth_method", m, allowed)?;
    }
    for (field, names) in [("scopes", &b.scopes), ("default_scopes", &b.default_scopes)] {
        schema::scope_names(field, names.as_deref().unwrap_or_default())?;
    }
    if let Some(c) = &b.consent_policy {
        schema::one_of("consent_policy", c, &schema::CONSENT_POLICIES)?;
    }
    if let Some(f) = &b.token_format {
        schema::one_of("token_format", f, &schema::TOKEN_FORMATS)?;
    }
    // Default scopes are allowed scopes too.
    let scopes = b.default_scopes.as_ref().map(|defaults| {
        let grants = b
            .grant_types
            .clone()
            .unwrap_or_else(clients::default_grant_types);
        let allowed = b
            .scopes
            .clone()
            .unwrap_or_else(|| clients::default_allowed_scopes(&grants));
        with_defaults(allowed, defaults)
    });
    let spec = ClientSpec {
        scopes: scopes.or(b.scopes),
        name: b.name,
        public,
        redirect_uris: b.redirect_uris,
        post_logout_redirect_uris: b.post_logout_redirect_uris,
        grant_types: b.grant_types,
        auth_method: b.token_endpoint_auth_method,
        default_scopes: b.default_scopes,
        consent: b.consent_policy,
        token_format: b.token_format,
        require_pkce: b.require_pkce,
        access_ttl: b.access_token_ttl,
        refresh_ttl: b.refresh_token_ttl,
        admin_capable: b.admin_capable,
    };
    let (client, secret) = run(&state, move |c| {
        known_scopes(c, spec.scopes.as_deref().unwrap_or_default())?;
        Ok(clients::create(c, &spec, &admin.actor)?)
    })
    .await?;
    Ok(
        HttpResponse::build(StatusCode::CREATED).json(ClientCreated {
            client: ClientOut::from(&client),
            client_secret: secret.map(|s| s.expose().to_owned()),
        }),
    )
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "client_id")),
    responses((status = 200, body = ClientOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<ClientOut>, ApiError> {
    let id = path.into_inner();
    let client = run(&state, move |c| Ok(clients::find(c, &id)?)).await?;
    Ok(web::Json(ClientOut::from(&client)))
}

/// A client's registration (its type and secret stay as they are).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientUpdate {
    pub name: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub token_endpoint_auth_method: String,
}

#[utoipa::path(put, path = "/api/v1/clients/{id}", tag = "clients", request_body = ClientUpdate,
    params(("id" = String, Path, description = "client_id")),
    responses((status = 200, body = ClientOut), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "contradicts the client's type", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: Body<ClientUpdate>,
) -> Result<web::Json<ClientOut>, ApiError> {
    let (id, b) = (path.into_inner(), body.into_inner());
    schema::text("name", &b.name, schema::NAME_MAX)?;
    check_uris(&b.redirect_uris, &b.post_logout_redirect_uris)?;
    schema::grant_types(&b.grant_types)?;
    schema::one_of(
        "token_endpoint_auth_method",
        &b.token_endpoint_auth_method,
        &["none", schema::SECRET_METHODS[0], schema::SECRET_METHODS[1]],
    )?;
    let client = run(&state, move |c| {
        let current = clients::find(c, &id)?;
        // What the client's type rules out conflicts with the client as it is.
        let public = current.is_public();
        if public != (b.token_endpoint_auth_method == "none") {
            return Err(ApiError::conflict(if public {
                "this is a public client: it authenticates with none"
            } else {
                "this is a confidential client: it authenticates with client_secret_basic or client_secret_post"
            })
            .field("token_endpoint_auth_method"));
        }
        if public && b.grant_types.iter().any(|g| g == "client_credentials") {
            return Err(ApiError::conflict(
                "a public client cannot use client_credentials: it has no secret",
            )
            .field("grant_types"));
        }
        let (mut spec, placement) = spec_of(&current);
        spec.name = b.name;
        spec.redirect_uris = b.redirect_uris;
        spec.post_logout_redirect_uris = b.post_logout_redirect_uris;
        spec.grant_types = Some(b.grant_types);
        spec.auth_method = Some(b.token_endpoint_auth_method);
        Ok(clients::update(c, &id, &spec, &placement, &admin.actor)?)
    })
    .await?;
    Ok(web::Json(ClientOut::from(&client)))
}

#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = String, Path, description = "client_id")),
    responses((status = 204, description = "deleted, with its tokens and consents"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    run(&state, move |c| Ok(clients::delete(c, &id, &admin.actor)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new secret: shown this once; the old one stops working at once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewSecret {
    pub client_id: String,
    pub client_secret: String,
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/secret", tag = "clients",
    params(("id" = String, Path, description = "client_id")),
    responses((status = 200, body = NewSecret), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "a public client has no secret", body = ErrorBody)))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (for_id, actor) = (id.clone(), admin.actor);
    let secret = run(&state, move |c| {
        if clients::find(c, &for_id)?.is_public() {
            return Err(ApiError::conflict(
                "a public client has no secret to rotate",
            ));
        }
        Ok(clients::rotate_secret(c, &for_id, &actor)?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(NewSecret {
            client_id: id,
            client_secret: secret.expose().to_owned(),
        }))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/policy", tag = "clients",
    params(("id" = String, Path, description = "client_id")),
    responses((status = 200, body = PolicyBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_policy(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<PolicyBody>, ApiError> {
    let id = path.into_inner();
    let client = run(&state, move |c| Ok(clients::find(c, &id)?)).await?;
    Ok(web::Json(PolicyBody::from(&client)))
}

#[utoipa::path(put, path = "/api/v1/clients/{id}/policy", tag = "clients", request_body = PolicyBody,
    params(("id" = String, Path, description = "client_id")),
    responses((status = 200, body = PolicyBody), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "a scope that does not exist, or admin-capable for a public client", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_policy(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: Body<PolicyBody>,
) -> Result<web::Json<PolicyBody>, ApiError> {
    let (id, p) = (path.into_inner(), body.into_inner());
    schema::scope_names("scopes", &p.scopes)?;
    schema::scope_names("default_scopes", &p.default_scopes)?;
    schema::one_of(
        "consent_policy",
        &p.consent_policy,
        &schema::CONSENT_POLICIES,
    )?;
    schema::one_of("token_format", &p.token_format, &schema::TOKEN_FORMATS)?;
    schema::launch_url(p.launch_url.as_deref())?;
    let client = run(&state, move |c| {
        let current = clients::find(c, &id)?;
        if current.is_public() && p.admin_capable {
            return Err(ApiError::conflict(
                "a public client cannot be admin-capable: the admin API needs client credentials",
            )
            .field("admin_capable"));
        }
        let scopes = with_defaults(p.scopes, &p.default_scopes);
        known_scopes(c, &scopes)?;
        let (mut spec, _) = spec_of(&current);
        spec.scopes = Some(scopes);
        spec.default_scopes = Some(p.default_scopes);
        spec.require_pkce = p.require_pkce;
        spec.consent = Some(p.consent_policy);
        spec.token_format = Some(p.token_format);
        spec.access_ttl = p.access_token_ttl;
        spec.refresh_ttl = p.refresh_token_ttl;
        spec.admin_capable = p.admin_capable;
        let placement = Placement {
            launch_url: p.launch_url,
            show_on_portal: p.show_on_portal,
            resource_server: p.resource_server,
        };
        Ok(clients::update(c, &id, &spec, &placement, &admin.actor)?)
    })
    .await?;
    Ok(web::Json(PolicyBody::from(&client)))
}
