//! Sign-in and sign-out. One message for a wrong username or a wrong password,
//! the same bcrypt cost either way, and throttling per account and address.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::state::AppState;
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
    /// "Keep me signed in" (a checkbox: present when ticked).
    remember: Option<String>,
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
    let username = form.username.trim().to_owned();
    let remember = form.remember.is_some();
    let attempt = Attempt {
        username: username.clone(),
        password: form.password,
        ip: page::client_ip(&req),
        bcrypt_cost: state.config.bcrypt_cost,
        detail: None,
    };
    let outcome = sign_in::check(&state.db, &state.hashes, attempt).await?;
    state.metrics.login(outcome.label());
    match outcome {
        Outcome::SignedIn(user) => {
            let start = session::Start::from_request(&req, remember, vec!["pwd"]);
            session::sign_in(&session, &user, store::now(), &start);
            Ok(see_other(return_to.as_deref().unwrap_or("/")))
        }
        Outcome::Busy => {
            let mut res = login_page(
                &state,
                &session,
                StatusCode::SERVICE_UNAVAILABLE,
                &username,
                return_to.as_deref(),
                Some("Many people are signing in right now. Wait a moment and try again."),
            )?;
            retry_after(&mut res, sign_in::BUSY_RETRY_SECS);
            Ok(res)
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
            let mut res = login_page(
                &state,
                &session,
                StatusCode::TOO_MANY_REQUESTS,
                &username,
                return_to.as_deref(),
                Some(&message),
            )?;
            retry_after(&mut res, wait);
            Ok(res)
        }
    }
}

fn retry_after(res: &mut HttpResponse, secs: i64) {
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.max(1).to_string()) {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, v);
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
