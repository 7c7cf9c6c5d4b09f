//! The first-run wizard, without JavaScript: (1) organisation and issuer,
//! (2) the first admin, (3) the signing algorithm, (4) a summary. The setup
//! code from the start-up log opens it; the steps' answers wait in the
//! (encrypted) session until the last step completes setup in one transaction.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::state::AppState;
use crate::crypto::keys::Algorithm;
use crate::db::DbError;
use crate::idm::setup::{self, AdminPassword, SetupError, SetupInput};
use crate::oidc::discovery;
use crate::web::page::{self, see_other};
use crate::web::session;
use crate::web::PageError;

const OPENED: &str = "setup_opened";
const ORG: &str = "setup_org";
const ADMIN: &str = "setup_admin";
const DONE: &str = "setup_done";

#[derive(Serialize, Deserialize, Default, Clone)]
struct OrgStep {
    org_name: String,
    issuer: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct AdminStep {
    username: String,
    email: String,
    password_hash: String,
}

#[derive(Serialize, Deserialize)]
struct Done {
    issuer: String,
    kid: String,
    alg: String,
}

#[derive(Deserialize)]
pub struct SetupQuery {
    code: Option<String>,
    step: Option<u8>,
}

fn no_code() -> PageError {
    PageError::Forbidden(
        "Setup needs the one-time setup link. Keyward prints it when it starts \
         (look for \"Finish setup\" in its output); `keyward setup-code` prints a new one."
            .into(),
    )
}

async fn setup_complete(state: &web::Data<AppState>) -> Result<bool, PageError> {
    if state
        .setup_complete
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return Ok(true);
    }
    let done = state
        .db
        .run(|c| setup::is_complete(c).map_err(DbError::from))
        .await?;
    if done {
        state
            .setup_complete
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(done)
}

/// The issuer a browser reached us at, to pre-fill step 1.
fn issuer_guess(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn errors_ctx(ctx: &mut tera::Context, errors: &HashMap<&str, String>) {
    ctx.insert("errors", errors);
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, PageError> {
    if session.get::<Done>(DONE).ok().flatten().is_some() {
        return done_page(&state, &session).await;
    }
    if setup_complete(&state).await? {
        return Ok(see_other("/"));
    }
    if let Some(code) = query.code.as_deref() {
        let code = code.to_owned();
        let valid = state
            .db
            .run(move |c| setup::spend_code(c, &code).map_err(DbError::from))
            .await?;
        if !valid {
            return Err(no_code());
        }
        session.renew();
        let _ = session.insert(OPENED, true);
        // Drop the code from the address bar.
        return Ok(see_other("/setup"));
    }
    if session.get::<bool>(OPENED).ok().flatten() != Some(true) {
        return Err(no_code());
    }
    let org = session.get::<OrgStep>(ORG).ok().flatten();
    let admin = session.get::<AdminStep>(ADMIN).ok().flatten();
    let step = match (query.step, &org, &admin) {
        (Some(1), _, _) | (_, None, _) => 1,
        (Some(2), _, _) | (_, Some(_), None) => 2,
        _ => 3,
    };
    let mut ctx = page::context(&state, &session, None);
    ctx.insert("step", &step);
    errors_ctx(&mut ctx, &HashMap::new());
    match step {
        1 => {
            let form = org.unwrap_or(OrgStep {
                org_name: String::new(),
                issuer: state
                    .config
                    .issuer
                    .clone()
                    .unwrap_or_else(|| issuer_guess(&req)),
            });
            ctx.insert("form", &form);
            page::render(&state, "pages/setup/org.html", &ctx)
        }
        2 => {
            let form = admin
                .map(|a| serde_json::json!({ "username": a.username, "email": a.email }))
                .unwrap_or_else(|| serde_json::json!({ "username": "", "email": "" }));
            ctx.insert("form", &form);
            page::render(&state, "pages/setup/admin.html", &ctx)
        }
        _ => {
            let (Some(org), Some(admin)) = (org, admin) else {
                return Ok(see_other("/setup?step=1"));
            };
            ctx.insert("org_name_pending", &org.org_name);
            ctx.insert("issuer_pending", &org.issuer);
            ctx.insert(
                "admin_pending",
                &format!("{} <{}>", admin.username, admin.email),
            );
            page::render(&state, "pages/setup/key.html", &ctx)
        }
    }
}

fn opened(session: &Session) -> Result<(), PageError> {
    match session.get::<bool>(OPENED).ok().flatten() {
        Some(true) => Ok(()),
        _ => Err(no_code()),
    }
}

#[derive(Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    csrf_token: String,
    org_name: String,
    issuer: String,
}

pub async fn save_org(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<OrgForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    opened(&session)?;
    let mut errors = HashMap::new();
    if let Err(e) = setup::check_org_name(&form.org_name) {
        errors.insert("org_name", e.user_message());
    }
    let issuer = match state.config.issuer.clone() {
        // KEYWARD_ISSUER fixes the issuer; the form cannot change it.
        Some(fixed) => fixed,
        None => match setup::check_issuer(&form.issuer) {
            Ok(i) => i,
            Err(e) => {
                errors.insert("issuer", e.user_message());
                form.issuer.clone()
            }
        },
    };
    if !errors.is_empty() {
        let mut ctx = page::context(&state, &session, None);
        ctx.insert("step", &1);
        ctx.insert(
            "form",
            &OrgStep {
                org_name: form.org_name.clone(),
                issuer: form.issuer.clone(),
            },
        );
        errors_ctx(&mut ctx, &errors);
        return page::render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/setup/org.html",
            &ctx,
        );
    }
    let _ = session.insert(
        ORG,
        OrgStep {
            org_name: form.org_name.trim().to_owned(),
            issuer,
        },
    );
    Ok(see_other("/setup"))
}

#[derive(Deserialize)]
pub struct AdminForm {
    #[serde(default)]
    csrf_token: String,
    username: String,
    email: String,
    password: String,
    password_confirmation: String,
}

pub async fn save_admin(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<AdminForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    opened(&session)?;
    let form = form.into_inner();
    if let Err(e) = setup::check_admin(
        &form.username,
        &form.email,
        &form.password,
        &form.password_confirmation,
    ) {
        let mut errors = HashMap::new();
        errors.insert(e.field().unwrap_or("password"), e.user_message());
        let mut ctx = page::context(&state, &session, None);
        ctx.insert("step", &2);
        ctx.insert(
            "form",
            &serde_json::json!({ "username": form.username, "email": form.email }),
        );
        errors_ctx(&mut ctx, &errors);
        return page::render_status(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/setup/admin.html",
            &ctx,
        );
    }
    let cost = state.config.bcrypt_cost;
    let password = form.password;
    let hash = web::block(move || crate::crypto::password::hash(&password, cost))
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let _ = session.insert(
        ADMIN,
        AdminStep {
            username: form.username.trim().to_owned(),
            email: form.email.trim().to_owned(),
            password_hash: hash,
        },
    );
    Ok(see_other("/setup"))
}

#[derive(Deserialize)]
pub struct FinishForm {
    #[serde(default)]
    csrf_token: String,
    alg: String,
}

pub async fn finish(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<FinishForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    opened(&session)?;
    let (Some(org), Some(admin)) = (
        session.get::<OrgStep>(ORG).ok().flatten(),
        session.get::<AdminStep>(ADMIN).ok().flatten(),
    ) else {
        return Ok(see_other("/setup"));
    };
    let alg: Algorithm = form
        .alg
        .parse()
        .map_err(|_| PageError::BadRequest("Choose RS256, ES256 or EdDSA.".into()))?;
    let input = SetupInput {
        org_name: org.org_name,
        issuer: org.issuer,
        admin_username: admin.username,
        admin_email: admin.email,
        admin_password: AdminPassword::Hashed(admin.password_hash),
        alg,
    };
    let st = state.clone();
    let ip = page::client_ip(&req);
    let outcome = state
        .db
        .run(move |c| {
            let outcome = setup::complete(
                c,
                input,
                st.keys.encryption_key(),
                st.config.bcrypt_cost,
                ip,
            );
            if outcome.is_ok() {
                if let Err(e) = crate::app::published::sync(
                    c,
                    &st.keys,
                    &st.published,
                    st.config.issuer.as_deref(),
                ) {
                    tracing::error!(error = %e, "publishing after setup failed");
                }
            }
            Ok::<_, DbError>(outcome)
        })
        .await?;
    match outcome {
        Ok(done) => {
            state
                .setup_complete
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(admin = %done.admin.username, issuer = %done.issuer, "setup complete");
            let start = session::Start::from_request(&req, false, vec!["pwd"]);
            session::sign_in(&session, &done.admin, crate::store::now(), &start);
            let _ = session.insert(
                DONE,
                Done {
                    issuer: done.issuer,
                    kid: done.kid,
                    alg: alg.as_str().into(),
                },
            );
            Ok(see_other("/setup"))
        }
        Err(SetupError::AlreadyComplete) => {
            session.purge();
            Err(PageError::Conflict(
                "Setup was completed by someone else a moment ago. Sign in with that account."
                    .into(),
            ))
        }
        Err(e) if e.field().is_some() => Err(PageError::BadRequest(e.user_message())),
        Err(e) => Err(PageError::Internal(e.to_string())),
    }
}

async fn done_page(
    state: &web::Data<AppState>,
    session: &Session,
) -> Result<HttpResponse, PageError> {
    let done: Done = session
        .get(DONE)
        .ok()
        .flatten()
        .ok_or(PageError::NotFound)?;
    let Some(user) = session::current_user(state, session).await? else {
        return Ok(see_other("/login"));
    };
    session.remove(DONE);
    for key in [OPENED, ORG, ADMIN] {
        session.remove(key);
    }
    let mut ctx = page::context(state, session, Some(&user));
    ctx.insert("step", &4);
    ctx.insert(
        "discovery_url",
        &discovery::endpoint(&done.issuer, discovery::OPENID_CONFIGURATION_PATH),
    );
    ctx.insert("issuer", &done.issuer);
    ctx.insert("kid", &done.kid);
    ctx.insert("alg", &done.alg);
    page::render(state, "pages/setup/done.html", &ctx)
}
