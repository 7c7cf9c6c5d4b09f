//! Sign-in and sign-out. One message for a wrong username or a wrong password,
//! the same bcrypt cost either way, and throttling per account and address.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::state::AppState;
use crate::db::DbError;
use crate::idm::sign_in::{self, Attempt, Outcome};
use crate::store;
use crate::web::page::{self, see_other};
use crate::web::session;
use crate::web::PageError;

const WRONG: &str = "Wrong username or password.";

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    login_hint: Option<String>,
    /// `login`: ask for the password even if a session exists (OIDC prompt=login, max_age).
    prompt: Option<String>,
}

fn login_page(
    state: &web::Data<AppState>,
    session: &Session,
    status: StatusCode,
    username: &str,
    return_to: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let mut ctx = page::context(state, session, None);
    ctx.insert("username", username);
    ctx.insert("return_to", &return_to);
    ctx.insert("error", &error);
    page::render_status(state, status, "pages/login.html", &ctx)
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let return_to = session::safe_return_to(query.return_to.as_deref());
    let force = query.prompt.as_deref() == Some("login");
    if !force && session::current_user(&state, &session).await?.is_some() {
        return Ok(see_other(return_to.as_deref().unwrap_or("/")));
    }
    let hint = query
        .login_hint
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(254)
        .collect::<String>();
    login_page(
        &state,
        &session,
        StatusCode::OK,
        &hint,
        return_to.as_deref(),
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    username: String,
    password: String,
    return_to: Option<String>,
}

pub async fn submit(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let form = form.into_inner();
    let return_to = session::safe_return_to(form.return_to.as_deref());
    let ip = page::client_ip(&req);
    let cost = state.config.bcrypt_cost;
    let username = form.username.trim().to_owned();
    let name = username.clone();
    let outcome = state
        .db
        .run(move |c| -> Result<Outcome, DbError> {
            let attempt = Attempt {
                username: &name,
                password: &form.password,
                ip: ip.as_deref(),
                bcrypt_cost: cost,
                detail: None,
            };
            Ok(sign_in::check(c, &attempt, store::now())?)
        })
        .await?;
    state.metrics.login(match &outcome {
        Outcome::SignedIn(_) => "success",
        Outcome::Wrong => "failure",
        Outcome::Locked(_) => "throttled",
    });
    match outcome {
        Outcome::SignedIn(user) => {
            session::sign_in(&session, &user, store::now());
            Ok(see_other(return_to.as_deref().unwrap_or("/")))
        }
        Outcome::Wrong => login_page(
            &state,
            &session,
            StatusCode::UNAUTHORIZED,
            &username,
            return_to.as_deref(),
            Some(WRONG),
        ),
        Outcome::Locked(wait) => {
            let minutes = sign_in::minutes(wait);
            let message = format!(
                "Too many failed sign-ins for this account or from your network. For your safety, sign-in is paused: try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            );
            login_page(
                &state,
                &session,
                StatusCode::TOO_MANY_REQUESTS,
                &username,
                return_to.as_deref(),
                Some(&message),
            )
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

pub async fn logout(
    session: Session,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    session::sign_out(&session);
    session::set_flash(&session, "You are signed out.");
    Ok(see_other("/login"))
}
