//! `/admin`: the administrators' pages. Anonymous visitors go to the sign-in
//! page (and come back), signed-in people who are not administrators get 403.
//! This module holds the gate, the confirmation page and the routes' shared
//! helpers; `dashboard` is the landing page.

pub mod apikeys;
pub mod audit;
pub mod clients;
pub mod dashboard;
pub mod keys;
pub mod scopes;
pub mod settings;
pub mod users;

use actix_session::Session;
use actix_web::{web, HttpResponse};

use crate::app::state::AppState;
use crate::store::audit::Actor;
use crate::web::page;
use crate::web::session::{self, SignedIn};
use crate::web::PageError;

/// The gate every admin page passes, as an extractor: a signed-in
/// administrator. Anonymous visitors are sent to sign in (and back to the page
/// they asked for, or to /admin after a form post); others get 403.
pub struct AdminUser(pub SignedIn);

impl actix_web::FromRequest for AdminUser {
    type Error = PageError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_session::SessionExt;
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| PageError::Internal("no application state".into()))?;
            let session = req.get_session();
            match session::current_user(&state, &session).await? {
                None => {
                    let back = if req.method() == actix_web::http::Method::GET {
                        req.path()
                    } else {
                        "/admin"
                    };
                    let query = url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("return_to", back)
                        .finish();
                    Err(PageError::SignIn(format!("/login?{query}")))
                }
                Some(u) if u.user.is_admin => Ok(AdminUser(u)),
                Some(_) => Err(PageError::Forbidden(
                    "This page is for administrators. Ask one if you need access.".into(),
                )),
            }
        })
    }
}

/// What a confirmation page for a destructive step asks.
pub struct Confirm<'a> {
    pub heading: String,
    pub message: &'a str,
    /// Where the confirming form posts.
    pub action: String,
    pub button: &'a str,
    /// Where Cancel goes.
    pub back: &'a str,
}

pub fn confirm_page(
    state: &web::Data<AppState>,
    session: &Session,
    admin: &SignedIn,
    confirm: &Confirm,
) -> Result<HttpResponse, PageError> {
    let mut ctx = page::context(state, session, Some(admin));
    ctx.insert("heading", &confirm.heading);
    ctx.insert("message", confirm.message);
    ctx.insert("action", &confirm.action);
    ctx.insert("button", confirm.button);
    ctx.insert("back", confirm.back);
    page::render(state, "admin/confirm.html", &ctx)
}

/// The admin as the audit log records them: their id and the address the
/// request came from.
pub fn actor(admin: &SignedIn, req: &actix_web::HttpRequest) -> Actor {
    Actor::new(admin.user.id.clone(), page::client_ip(req))
}
