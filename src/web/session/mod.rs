//! The login session (actix-session over the `sessions` table, see
//! [`store`]), CSRF tokens, flash messages, and the signed-in user. A session
//! names the user and the user's session epoch; bumping the epoch (password
//! change, disabling, "sign out everywhere") ends every session issued before,
//! on top of the rows those actions delete.

pub mod store;

use actix_session::Session;
use actix_web::web;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use super::PageError;
use crate::app::state::AppState;
use crate::crypto::secret::constant_time_eq;
use crate::store::users::{self, User};

pub const COOKIE_NAME: &str = "keyward_session";
use store::entry::{AUTH_TIME, USER_ID};
const EPOCH: &str = "epoch";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
/// The secret that ties this browser's waiting authorization requests to it.
const REQUESTS: &str = "requests";

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(CSRF) {
        return t;
    }
    let t = random_token();
    let _ = session.insert(CSRF, &t);
    t
}

/// The digest stored with this browser's waiting authorization requests,
/// made on first use. Only this session holds the value it digests.
pub fn request_binding(session: &Session) -> String {
    if let Some(b) = existing_request_binding(session) {
        return b;
    }
    let value = random_token();
    let _ = session.insert(REQUESTS, &value);
    crate::crypto::secret::digest(&value)
}

/// [`request_binding`], if this session has one yet.
pub fn existing_request_binding(session: &Session) -> Option<String> {
    session
        .get::<String>(REQUESTS)
        .ok()
        .flatten()
        .map(|v| crate::crypto::secret::digest(&v))
}

/// Checks a form's `csrf_token` against the session's (constant time).
pub fn check_csrf(session: &Session, presented: &str) -> Result<(), PageError> {
    match session.get::<String>(CSRF) {
        Ok(Some(expected)) if !presented.is_empty() && constant_time_eq(&expected, presented) => Ok(()),
        _ => Err(PageError::Forbidden(
            "This form has expired or did not come from this site. Go back, reload the page and try again.".into(),
        )),
    }
}

pub fn set_flash(session: &Session, message: &str) {
    let _ = session.insert(FLASH, message);
}

pub fn take_flash(session: &Session) -> Option<String> {
    session.remove_as::<String>(FLASH).and_then(Result::ok)
}

/// A signed-in user, with the time they last entered their password.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub auth_time: i64,
}

/// How a session began, for the session list.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// "Keep me signed in": the cookie outlives the browser.
    pub remember: bool,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// RFC 8176 methods, e.g. `["pwd"]`.
    pub amr: Vec<&'static str>,
}

impl Start {
    /// A start from this request: its client address and user agent.
    pub fn from_request(
        req: &actix_web::HttpRequest,
        remember: bool,
        amr: Vec<&'static str>,
    ) -> Self {
        Start {
            remember,
            address: super::client::client_ip(req),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(300).collect()),
            amr,
        }
    }
}

/// Starts a session for `user`: a new session id (against fixation), the
/// user's epoch, the authentication time, and a fresh CSRF token; the
/// binding of waiting authorization requests is kept.
pub fn sign_in(session: &Session, user: &User, auth_time: i64, start: &Start) {
    use store::entry;
    // The requests this browser was signing in for stay its own.
    let requests = session.get::<String>(REQUESTS).ok().flatten();
    session.renew();
    session.clear();
    if let Some(r) = requests {
        let _ = session.insert(REQUESTS, r);
    }
    let _ = session.insert(USER_ID, &user.id);
    let _ = session.insert(EPOCH, user.session_epoch);
    let _ = session.insert(AUTH_TIME, auth_time);
    let _ = session.insert(CSRF, random_token());
    let _ = session.insert(entry::REMEMBER, start.remember);
    let _ = session.insert(entry::AMR, &start.amr);
    if let Some(a) = &start.address {
        let _ = session.insert(entry::ADDRESS, a);
    }
    if let Some(ua) = &start.user_agent {
        let _ = session.insert(entry::USER_AGENT, ua);
    }
}

/// A session as the lists show it (times to the minute, UTC).
pub fn view_json(v: &crate::idm::sessions::SessionView) -> serde_json::Value {
    let when = crate::util::time::minute;
    serde_json::json!({
        "id": v.id, "current": v.current, "device": v.device, "address": v.address,
        "created_at": when(v.created_at), "last_seen_at": when(v.last_seen_at),
        "expires_at": when(v.expires_at), "persistent": v.persistent, "methods": v.methods,
    })
}

/// The public id of this session's row (absent on the request that started it).
pub fn session_id(session: &Session) -> Option<String> {
    session
        .get::<String>(store::entry::SESSION_ID)
        .ok()
        .flatten()
}

pub fn sign_out(session: &Session) {
    session.purge();
}

/// The signed-in user, if the session names one whose epoch is current and
/// who is not disabled; a stale session is cleared.
pub async fn current_user(
    state: &web::Data<AppState>,
    session: &Session,
) -> Result<Option<SignedIn>, PageError> {
    let Some(claim) = claim(session) else {
        return Ok(None);
    };
    // Usually read together with the session (one query); on the request
    // that started the session, from the database.
    let user = match loaded_user(session) {
        Some(user) => Some(user),
        None => {
            let id = claim.user_id.clone();
            state
                .db
                .run(move |c| users::find(c, &id).map_err(crate::db::DbError::from))
                .await?
        }
    };
    Ok(confirm(session, claim, user))
}

/// The user's row as it was read together with this session, if it was.
fn loaded_user(session: &Session) -> Option<User> {
    session.get::<User>(store::entry::USER_ROW).ok().flatten()
}

/// Who the session says is signed in, before the database confirms it.
pub struct Claim {
    pub user_id: String,
    epoch: i64,
    auth_time: i64,
}

pub fn claim(session: &Session) -> Option<Claim> {
    match (
        session.get::<String>(USER_ID),
        session.get::<i64>(EPOCH),
        session.get::<i64>(AUTH_TIME),
    ) {
        (Ok(Some(user_id)), Ok(Some(epoch)), Ok(Some(auth_time))) => Some(Claim {
            user_id,
            epoch,
            auth_time,
        }),
        _ => None,
    }
}

/// The signed-in user if `claim` holds for the user's current row (enabled,
/// same session epoch); otherwise the session ends. For handlers that read
/// the user together with other rows in one unit of work.
pub fn confirm(session: &Session, claim: Claim, user: Option<users::User>) -> Option<SignedIn> {
    match user {
        Some(user) if !user.disabled && user.session_epoch == claim.epoch => Some(SignedIn {
            user,
            auth_time: claim.auth_time,
        }),
        _ => {
            session.purge();
            None
        }
    }
}

/// Keeps the session valid after the user's own epoch bump (not used by
/// "sign out everywhere", which ends this session too).
pub fn set_epoch(session: &Session, epoch: i64) {
    let _ = session.insert(EPOCH, epoch);
}

/// Only a same-origin relative path may be a `return_to`: one leading `/`,
/// not `//` or `/\` (which browsers treat as another host), no control chars.
pub fn safe_return_to(candidate: Option<&str>) -> Option<String> {
    let c = candidate?.trim();
    let ok = c.starts_with('/')
        && !c.starts_with("//")
        && !c.starts_with("/\\")
        && !c.chars().any(|ch| ch.is_control() || ch == '\\')
        && c.len() <= 2048;
    ok.then(|| c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_to_is_a_same_origin_path_only() {
        assert_eq!(
            safe_return_to(Some("/account")).as_deref(),
            Some("/account")
        );
        assert_eq!(
            safe_return_to(Some("/authorize?client_id=a&x=1")).as_deref(),
            Some("/authorize?client_id=a&x=1")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
            "",
            "javascript:alert(1)",
            "/\\/evil",
        ] {
            assert_eq!(safe_return_to(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_return_to(None), None);
    }
}
