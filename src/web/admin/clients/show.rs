//! A client's page (with a new secret shown once) and its actions: rotate the
//! secret, disable, enable, delete after a confirmation page.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::*;
use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::clients::{self, ClientError};
use crate::oidc::discovery;
use crate::store::audit::Actor;
use crate::web::admin::{actor, AdminUser};
use crate::web::page::{self, see_other};
use crate::web::session;
use crate::web::PageError;

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
