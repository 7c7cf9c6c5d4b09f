//! The credential check: the one place a username and password become a
//! signed-in person, for the sign-in page and the password grant alike.
//! Throttled per account and per address (`throttle`); a missing user costs
//! the same bcrypt as a wrong password; every attempt is an audit event, which
//! is also what the throttle counts.

use crate::crypto::password;
use crate::db::DbConn;
use crate::idm::throttle;
use crate::store::{audit, users, users::User};

/// One attempt to sign in.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// A username, or an email address, as typed (surrounding white space is
    /// ignored).
    pub username: &'a str,
    pub password: &'a str,
    /// The address the attempt came from.
    pub ip: Option<&'a str>,
    pub bcrypt_cost: u32,
    /// What the success event records beyond who, e.g. the grant and client.
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    SignedIn(Box<User>),
    /// Unknown user, wrong password or disabled account: one answer for all.
    Wrong,
    /// Too many recent failures; seconds until the next attempt is allowed.
    Locked(i64),
}

/// Minutes to wait, rounded up, for a message.
pub fn minutes(wait_secs: i64) -> i64 {
    (wait_secs + 59) / 60
}

/// Checks `attempt`. Blocking (bcrypt): call it off the async workers.
#[tracing::instrument(skip_all, fields(ip = attempt.ip))]
pub fn check(conn: &mut DbConn, attempt: &Attempt, now: i64) -> diesel::QueryResult<Outcome> {
    let name = attempt.username.trim();
    let ip = attempt.ip.map(str::to_owned);
    if let Some(wait) = throttle::locked_for(conn, name, attempt.ip, now)? {
        audit::record(
            conn,
            &audit::NewAuditEvent::new("login.throttled", false)
                .target(throttle::account_target(name))
                .ip(ip),
        )?;
        return Ok(Outcome::Locked(wait));
    }
    let user = match users::find_by_username(conn, name)? {
        Some(u) => Some(u),
        None if name.contains('@') => users::find_by_email(conn, name)?,
        None => None,
    };
    // The hash runs on this blocking thread either way, so a missing user
    // costs what a wrong password costs.
    let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(hash) => password::verify(attempt.password, hash),
        None => password::verify_dummy(attempt.password, attempt.bcrypt_cost),
    };
    match user {
        Some(u) if ok && !u.disabled => {
            users::record_login(conn, &u.id, now)?;
            let mut event = audit::NewAuditEvent::new(throttle::LOGIN_ACTION, true)
                .actor(u.id.clone())
                .target(throttle::account_target(&u.username))
                .ip(ip);
            if let Some(detail) = &attempt.detail {
                event = event.detail(detail.clone());
            }
            audit::record(conn, &event)?;
            Ok(Outcome::SignedIn(Box::new(u)))
        }
        _ => {
            tracing::info!("sign-in refused");
            audit::record(
                conn,
                &audit::NewAuditEvent::new(throttle::LOGIN_ACTION, false)
                    .target(throttle::account_target(name))
                    .ip(ip),
            )?;
            Ok(Outcome::Wrong)
        }
    }
}
