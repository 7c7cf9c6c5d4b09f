//! `/admin`: the administrators' pages. Anonymous visitors go to the sign-in
//! page (and come back), signed-in people who are not administrators get 403.
//! This module holds the gate and the dashboard.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::page;
use super::session::{self, SignedIn};
use super::PageError;
use crate::db::DbError;
use crate::oidc::discovery;
use crate::state::AppState;
use crate::store::{self, audit, keys};
use crate::{throttle, timefmt};

/// A signing key older than this earns a dashboard warning.
pub const KEY_ROTATION_DAYS: i64 = 90;
/// How many audit events the dashboard shows.
const LATEST_EVENTS: i64 = 10;

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
    page::render(state, "admin_confirm.html", &ctx)
}

/// The admin as the audit log records them: their id and the address the
/// request came from.
pub fn actor(admin: &SignedIn, req: &actix_web::HttpRequest) -> audit::Actor {
    audit::Actor::new(admin.user.id.clone(), page::client_ip(req))
}

/// Reloads the key ring and republishes the metadata on this instance at once
/// after a change (the other instances follow within their sync interval).
pub fn republish(conn: &mut crate::db::DbConn, state: &AppState) {
    if let Err(e) = discovery::sync(
        conn,
        &state.keys,
        &state.published,
        state.config.issuer.as_deref(),
    ) {
        tracing::warn!(error = %e, "republishing after a change failed; the sync task will");
    }
}

/// What the dashboard shows, read in one unit of work.
struct Overview {
    users: i64,
    clients: i64,
    active_tokens: i64,
    logins_24h: i64,
    failed_logins_24h: i64,
    events: Vec<audit::AuditEvent>,
    /// Usernames of the events' actors, by user id.
    names: std::collections::HashMap<String, String>,
    keys: Vec<keys::SigningKey>,
}

pub async fn dashboard(
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
) -> Result<HttpResponse, PageError> {
    let now = store::now();
    let o = state
        .db
        .run(move |c| -> Result<Overview, DbError> {
            let day_ago = now - 86_400;
            let events = audit::list(
                c,
                &audit::Filter {
                    action_prefix: None,
                    actor: None,
                    before: None,
                    limit: LATEST_EVENTS,
                },
            )?;
            let names = actor_names(c, &events)?;
            Ok(Overview {
                users: store::users::count(c)?,
                clients: store::clients::count(c)?,
                active_tokens: store::tokens::count_active(c, now)?,
                logins_24h: audit::count_since(c, throttle::LOGIN_ACTION, "success", day_ago)?,
                failed_logins_24h: audit::count_since(
                    c,
                    throttle::LOGIN_ACTION,
                    "failure",
                    day_ago,
                )?,
                events,
                names,
                keys: keys::list(c)?,
            })
        })
        .await?;
    let snapshot = state.published.snapshot();
    let issuer = snapshot.issuer.clone();
    let mut ctx = page::context(&state, &session, Some(&admin));
    ctx.insert(
        "counts",
        &json!({
            "users": o.users,
            "clients": o.clients,
            "active_tokens": o.active_tokens,
            "logins_24h": o.logins_24h,
            "failed_logins_24h": o.failed_logins_24h,
        }),
    );
    ctx.insert(
        "discovery_url",
        &issuer
            .as_deref()
            .map(|i| discovery::endpoint(i, "/.well-known/openid-configuration")),
    );
    ctx.insert("warnings", &warnings(issuer.as_deref(), &o.keys, now));
    let events: Vec<_> = o
        .events
        .iter()
        .map(|e| {
            json!({
                "at": timefmt::rfc3339(e.at),
                "actor": e.actor.as_ref().map(|a| o.names.get(a).unwrap_or(a)),
                "action": e.action,
                "target": e.target,
                "outcome": e.outcome,
                "ip": e.ip,
            })
        })
        .collect();
    ctx.insert("events", &events);
    page::render(&state, "admin_dashboard.html", &ctx)
}

/// The usernames of the users among the events' actors (others, such as
/// `client:ID` or `cli`, are shown as they are).
pub fn actor_names(
    conn: &mut crate::db::DbConn,
    events: &[audit::AuditEvent],
) -> diesel::QueryResult<std::collections::HashMap<String, String>> {
    let mut names = std::collections::HashMap::new();
    for actor in events.iter().filter_map(|e| e.actor.as_deref()) {
        if names.contains_key(actor) {
            continue;
        }
        if let Some(u) = store::users::find(conn, actor)? {
            names.insert(actor.to_owned(), u.username);
        }
    }
    Ok(names)
}

/// Things worth acting on, in plain words.
pub fn warnings(issuer: Option<&str>, signing_keys: &[keys::SigningKey], now: i64) -> Vec<String> {
    let mut out = Vec::new();
    let active: Vec<&keys::SigningKey> = signing_keys
        .iter()
        .filter(|k| k.status == keys::STATUS_ACTIVE)
        .collect();
    if active.is_empty() {
        out.push(
            "There is no active signing key: no ID token or JWT can be issued. Rotate a key."
                .into(),
        );
    }
    for k in active {
        let days = (now - k.created_at) / 86_400;
        if days > KEY_ROTATION_DAYS {
            out.push(format!(
                "The {} signing key {} is {days} days old (rotate keys every {KEY_ROTATION_DAYS} days).",
                k.alg, k.kid
            ));
        }
    }
    match issuer {
        None => {
            out.push("No issuer is configured yet, so apps cannot discover this server.".into())
        }
        Some(i) if i.starts_with("http://") => out.push(format!(
            "The issuer {i} is plain http: fine on this machine, but apps elsewhere need https."
        )),
        Some(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(status: &str, created_at: i64) -> keys::SigningKey {
        keys::SigningKey {
            kid: "k1".into(),
            alg: "RS256".into(),
            private_key: String::new(),
            encrypted: false,
            public_jwk: "{}".into(),
            status: status.into(),
            created_at,
            retired_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn warns_about_old_or_missing_keys_and_plain_http() {
        let now = 1_000 * 86_400;
        assert!(warnings(
            Some("https://id.example"),
            &[key("active", now - 86_400)],
            now
        )
        .is_empty());
        let old = warnings(
            Some("https://id.example"),
            &[key("active", now - 91 * 86_400)],
            now,
        );
        assert_eq!(old.len(), 1);
        assert!(old[0].contains("91 days old"), "{old:?}");
        let none = warnings(Some("https://id.example"), &[key("retired", now)], now);
        assert!(none[0].contains("no active signing key"));
        let http = warnings(Some("http://127.0.0.1:8080"), &[key("active", now)], now);
        assert!(http[0].contains("plain http"));
        assert!(warnings(None, &[key("active", now)], now)[0].contains("No issuer"));
    }
}
