//! /api/v1/users: list, create (with a password given or generated and shown
//! once), get, update the profile and role, disable, enable, delete. The
//! rules are `crate::idm::accounts`' (the same the pages, setup and CLI apply).

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
use crate::idm::accounts::{self, AccountChanges, NewAccount, Profile};
use crate::store::users::{self, User};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserOut {
    /// Stable; the `sub` claim.
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id.to_string(),
            username: u.username.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            given_name: u.given_name.clone(),
            family_name: u.family_name.clone(),
            display_name: u.display_name.clone(),
            is_admin: u.is_admin,
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
            last_login_at: u.last_login_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserOut>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = UserList), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<ListQuery>,
) -> Result<web::Json<UserList>, ApiError> {
    query.validate()?;
    let paging = query.paging();
    let offset = paging.offset()?;
    let (limit, q) = (paging.limit(), query.q.clone());
    let found = run(&state, move |c| {
        Ok(users::list(c, q.as_deref(), limit + 1, offset)?)
    })
    .await?;
    let (items, next_cursor) = paging.page(found, offset);
    Ok(web::Json(UserList {
        items: items.iter().map(UserOut::from).collect(),
        next_cursor,
    }))
}

/// A new person. The API never takes a password: it makes one (20
/// characters, about 115 bits), returned once; the person chooses their own
/// on the account page. (A password's quality rules, such as "not a common
/// password", cannot be stated in a schema, and a generated one meets them.)
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserCreate {
    /// 2 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or
    /// digit; unique, ignoring case.
    pub username: String,
    /// Unique, ignoring case; empty or null for none.
    pub email: Option<String>,
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserCreated {
    pub user: UserOut,
    /// The generated password: shown this once.
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserCreate,
    responses((status = 201, body = UserCreated), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "username or email taken", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    body: Body<UserCreate>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    schema::username(&b.username)?;
    schema::email(b.email.as_deref())?;
    let generated = accounts::generate_password();
    let (pw, cost) = (generated.clone(), state.config.bcrypt_cost);
    let user = run(&state, move |c| {
        let password = pw.as_str();
        Ok(accounts::create(
            c,
            &NewAccount {
                username: &b.username,
                email: b.email.as_deref(),
                password,
                password_confirmation: password,
                is_admin: b.is_admin,
            },
            cost,
            &admin.actor,
        )?)
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(UserCreated {
            user: UserOut::from(&user),
            password: generated,
        }))
}

async fn load(state: &web::Data<AppState>, id: String) -> Result<User, ApiError> {
    run(state, move |c| {
        users::find(c, &id)?.ok_or_else(|| ApiError::not_found(format!("no user {id}")))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 200, body = UserOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<UserOut>, ApiError> {
    Ok(web::Json(UserOut::from(
        &load(&state, path.into_inner()).await?,
    )))
}

/// The profile and role; absent or empty profile fields are cleared.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    /// Omit it to leave the role as it is.
    pub is_admin: Option<bool>,
}

#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "users", request_body = UserUpdate,
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 200, body = UserOut), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    body: Body<UserUpdate>,
) -> Result<web::Json<UserOut>, ApiError> {
    let b = body.into_inner();
    schema::email(b.email.as_deref())?;
    for (field, value) in [
        ("given_name", &b.given_name),
        ("family_name", &b.family_name),
        ("display_name", &b.display_name),
    ] {
        schema::at_most(field, value.as_deref().unwrap_or(""), schema::NAME_MAX)?;
    }
    let user = load(&state, path.into_inner()).await?;
    let updated = run(&state, move |c| {
        let changes = AccountChanges {
            profile: Profile {
                email: b.email.as_deref().unwrap_or(""),
                given_name: b.given_name.as_deref().unwrap_or(""),
                family_name: b.family_name.as_deref().unwrap_or(""),
                display_name: b.display_name.as_deref().unwrap_or(""),
            },
            is_admin: b.is_admin,
        };
        Ok(accounts::update(c, &user, &changes, &admin.actor)?)
    })
    .await?;
    Ok(web::Json(UserOut::from(&updated)))
}

async fn set_disabled(
    state: web::Data<AppState>,
    admin: Admin,
    id: String,
    disabled: bool,
) -> Result<web::Json<UserOut>, ApiError> {
    let user = load(&state, id).await?;
    let updated = run(&state, move |c| {
        accounts::set_disabled(c, &user, disabled, &admin.actor)?;
        users::find(c, &user.id)?.ok_or_else(|| ApiError::not_found("the user is gone"))
    })
    .await?;
    Ok(web::Json(UserOut::from(&updated)))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 200, description = "disabled: sessions ended, tokens revoked", body = UserOut),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the only administrator", body = ErrorBody)))]
pub async fn disable(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<UserOut>, ApiError> {
    set_disabled(state, admin, path.into_inner(), true).await
}

#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 200, body = UserOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enable(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<UserOut>, ApiError> {
    set_disabled(state, admin, path.into_inner(), false).await
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "the user id (sub)")),
    responses((status = 204, description = "deleted, with their consents and tokens"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the only administrator", body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = load(&state, path.into_inner()).await?;
    run(&state, move |c| {
        Ok(accounts::delete(c, &user, &admin.actor)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
