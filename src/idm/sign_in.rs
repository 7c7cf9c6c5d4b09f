//! The credential check: the one place a username and password become a
//! signed-in person, for the sign-in page and the password grant alike.
//!
//! Three steps, so that no database connection is held while bcrypt runs:
//! resolve the account and count the attempt ([`throttle::reserve`]); verify
//! the password on the bounded [`HashPool`]; record the outcome. A missing
//! user costs the same bcrypt as a wrong password, and every attempt is an
//! audit event (throttled ones at most once a minute per address).

use crate::crypto::hash_pool::HashPool;
use crate::crypto::password;
use crate::db::{Db, DbConn, DbError};
use crate::idm::throttle::{self, AccountKey, Reservation};
use crate::store::{self, audit, users, users::User};

/// One attempt to sign in.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// A username, or an email address, as typed (surrounding white space is
    /// ignored).
    pub username: String,
    pub password: String,
    /// The address the attempt came from.
    pub ip: Option<String>,
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
    /// Every password check is taken; the attempt was not counted.
    Busy,
}

impl Outcome {
    /// The outcome's label in metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::SignedIn(_) => "success",
            Outcome::Wrong => "failure",
            Outcome::Locked(_) => "throttled",
            Outcome::Busy => "busy",
        }
    }
}

/// Seconds a caller is asked to wait when the checks are saturated.
pub const BUSY_RETRY_SECS: i64 = 2;

/// Minutes to wait, rounded up, for a message.
pub fn minutes(wait_secs: i64) -> i64 {
    (wait_secs + 59) / 60
}

/// The user a typed name means: a username, else an email address.
pub fn resolve(conn: &mut DbConn, typed: &str) -> diesel::QueryResult<Option<User>> {
    let name = typed.trim();
    match users::find_by_username(conn, name)? {
        Some(u) => Ok(Some(u)),
        None if name.contains('@') => users::find_by_email(conn, name),
        None => Ok(None),
    }
}

enum Prepared {
    Locked(i64),
    Check(Box<Option<User>>, AccountKey, Reservation),
}

/// Checks `attempt`.
#[tracing::instrument(skip_all, fields(ip = attempt.ip))]
pub async fn check(db: &Db, hashes: &HashPool, attempt: Attempt) -> Result<Outcome, DbError> {
    // Saturated: refused before any query, and not counted as an attempt.
    let Ok(place) = hashes.admit() else {
        return Ok(Outcome::Busy);
    };
    let typed = attempt.username.trim().to_owned();
    let ip = attempt.ip.clone();
    let prepared = db
        .run(move |c| -> Result<Prepared, DbError> {
            let user = resolve(c, &typed)?;
            let account = AccountKey::of(user.as_ref(), &typed);
            let now = store::now();
            Ok(match throttle::reserve(c, &account, ip.as_deref(), now)? {
                Ok(reservation) => Prepared::Check(Box::new(user), account, reservation),
                Err(wait) => {
                    audit::record_noise(
                        c,
                        audit::NewAuditEvent::new("login.throttled", false)
                            .target(account.as_str())
                            .ip(ip),
                    )?;
                    Prepared::Locked(wait)
                }
            })
        })
        .await?;
    let (user, account, reservation) = match prepared {
        Prepared::Locked(wait) => return Ok(Outcome::Locked(wait)),
        Prepared::Check(user, account, reservation) => (*user, account, reservation),
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let (typed_password, cost) = (attempt.password.clone(), attempt.bcrypt_cost);
    // The hash runs either way, so a missing user costs what a wrong
    // password costs.
    let verified = hashes
        .run_admitted(place, move || match hash {
            Some(h) => password::verify(&typed_password, &h),
            None => password::verify_dummy(&typed_password, cost),
        })
        .await;
    db.run(move |c| finish(c, &attempt, user, &account, reservation, verified.ok()))
        .await
}

fn finish(
    conn: &mut DbConn,
    attempt: &Attempt,
    user: Option<User>,
    account: &AccountKey,
    reservation: Reservation,
    verified: Option<bool>,
) -> Result<Outcome, DbError> {
    let Some(ok) = verified else {
        throttle::give_back(conn, reservation)?;
        return Ok(Outcome::Busy);
    };
    let ip = attempt.ip.clone();
    match user {
        Some(u) if ok && !u.disabled => {
            throttle::succeeded(conn, reservation)?;
            users::record_login(conn, &u.id, store::now())?;
            let mut event = audit::NewAuditEvent::new(throttle::LOGIN_ACTION, true)
                .actor(u.id.clone())
                .target(account.as_str())
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
                    .target(account.as_str())
                    .ip(ip),
            )?;
            Ok(Outcome::Wrong)
        }
    }
}
