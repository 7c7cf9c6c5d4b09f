//! `/admin/keys`: the signing keys (kid, algorithm, status, age); rotate to a
//! new key of a chosen algorithm; retire or revoke one after a confirmation.
//! The lifecycle rules are `crate::keys::lifecycle`'s, the same the CLI applies.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::app::state::AppState;
use crate::crypto::keys::Algorithm;
use crate::db::DbError;
use crate::keys::lifecycle::{self, LifecycleError};
use crate::store::{self, keys};
use crate::web::admin::{actor, confirm_page, AdminUser, Confirm};
use crate::web::page::{self, see_other};
use crate::web::pages::login::CsrfForm;
use crate::web::session;
use crate::web::PageError;

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let all = state
        .db
        .run(|c| keys::list(c).map_err(DbError::from))
        .await?;
    let now = store::now();
    let rows: Vec<_> = all
        .iter()
        .map(|k| {
            json!({
                "kid": k.kid,
                "alg": k.alg,
                "status": k.status,
                "age_days": (now - k.created_at) / 86_400,
                "created": crate::util::time::rfc3339(k.created_at),
                "encrypted": k.encrypted,
            })
        })
        .collect();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert("keys", &rows);
    ctx.insert("algorithms", &["RS256", "ES256", "EdDSA"]);
    ctx.insert(
        "rotation_days",
        &crate::web::admin::dashboard::KEY_ROTATION_DAYS,
    );
    page::render(&state, "admin/keys/list.html", &ctx)
}

#[derive(Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    alg: String,
}

/// The change, then the served key set reloaded at once on this instance
/// (the others follow within their sync interval).
async fn change(
    state: &web::Data<AppState>,
    work: impl FnOnce(&mut crate::db::DbConn) -> Result<String, LifecycleError> + Send + 'static,
) -> Result<Result<String, String>, PageError> {
    let st = state.clone();
    let outcome = state
        .db
        .run(move |c| {
            let done = match work(c) {
                Ok(message) => message,
                Err(LifecycleError::Db(e)) => return Err(DbError::from(e)),
                Err(refused) => return Ok(Err(refused.to_string())),
            };
            st.republish(c);
            Ok(Ok(done))
        })
        .await?;
    Ok(outcome)
}

fn finish(session: &Session, outcome: Result<String, String>) -> HttpResponse {
    match outcome {
        Ok(message) | Err(message) => session::set_flash(session, &message),
    }
    see_other("/admin/keys")
}

pub async fn rotate(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<RotateForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let alg: Algorithm = form
        .alg
        .parse()
        .map_err(|_| PageError::BadRequest("Choose RS256, ES256 or EdDSA.".into()))?;
    let (kek, actor) = (state.keys.encryption_key().cloned(), actor(&admin, &req));
    let outcome = change(&state, move |c| {
        let kid = lifecycle::rotate(c, kek.as_ref(), alg, 2048, &actor)?;
        Ok(format!("A new {alg} key {kid} signs from now on; the one it replaces stays published until its retention ends."))
    })
    .await?;
    Ok(finish(&session, outcome))
}

/// GET: confirm retiring or revoking a key.
pub async fn confirm(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let (kid, step) = path.into_inner();
    let message = match step.as_str() {
        "retire" => "A retired key signs nothing new; it stays in the JWKS until its retention ends, so tokens it signed keep verifying.",
        "revoke" => "A revoked key leaves the JWKS at once: every token it signed stops verifying everywhere. Do this when the key may be compromised.",
        _ => return Err(PageError::NotFound),
    };
    let lookup = kid.clone();
    state
        .db
        .run(move |c| keys::find(c, &lookup).map_err(DbError::from))
        .await?
        .ok_or(PageError::NotFound)?;
    let retire = step == "retire";
    confirm_page(
        &state,
        &session,
        &admin,
        &Confirm {
            heading: format!("{} key {kid}?", if retire { "Retire" } else { "Revoke" }),
            message,
            action: format!("/admin/keys/{kid}/{step}"),
            button: if retire {
                "Retire the key"
            } else {
                "Revoke the key"
            },
            back: "/admin/keys",
        },
    )
}

pub async fn apply(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&session, &form.csrf_token)?;
    let (kid, step) = path.into_inner();
    let actor = actor(&admin, &req);
    let outcome = match step.as_str() {
        "retire" => {
            change(&state, move |c| {
                lifecycle::retire(c, &kid, &actor)?;
                Ok(format!("Key {kid} is retired."))
            })
            .await?
        }
        "revoke" => {
            change(&state, move |c| {
                lifecycle::revoke(c, &kid, &actor)?;
                Ok(format!("Key {kid} is revoked."))
            })
            .await?
        }
        _ => return Err(PageError::NotFound),
    };
    Ok(finish(&session, outcome))
}
