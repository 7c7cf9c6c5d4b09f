//! Sign-in throttling that an attacker cannot turn against the team.
//!
//! Failures are counted three ways, in fixed windows of 15 minutes, in the
//! database (so every instance sees the same counts):
//! - per account from one address: 5 failures block that address for that
//!   account only; the same person signing in from elsewhere is not affected;
//! - per account from anywhere: a high ceiling of 50 blocks the account from
//!   every address (a distributed guessing run);
//! - per address across accounts: 20 failures block that address only.
//!
//! A username and an email address resolve to the same account before
//! counting; names that match nobody are counted under a digest of the name,
//! so throttling tells nothing about which accounts exist. An attempt is
//! counted *before* its password is checked (one atomic upsert per counter)
//! and taken back if it succeeds, so parallel attempts cannot get more
//! guesses through than the limits allow.

use crate::db::DbConn;
use crate::store::counters::{self, Counter};
use crate::store::users::User;

pub const WINDOW_SECS: i64 = 15 * 60;
pub const PER_ACCOUNT_AND_ADDRESS: i64 = 5;
pub const PER_ACCOUNT: i64 = 50;
pub const PER_ADDRESS: i64 = 20;
pub const LOGIN_ACTION: &str = "login";

/// The account an attempt is against, as the counters and the audit log name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountKey(String);

impl AccountKey {
    pub fn of(user: Option<&User>, typed: &str) -> Self {
        match user {
            Some(u) => AccountKey::user(u.id.as_str()),
            None => AccountKey(format!(
                "name:{}",
                &crate::crypto::secret::digest(&crate::store::users::lookup_key(typed))[..32]
            )),
        }
    }
    pub fn user(id: &str) -> Self {
        AccountKey(format!("user:{id}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The counters one attempt bumps, with their limits.
fn keys(account: &AccountKey, ip: Option<&str>) -> Vec<(String, i64)> {
    let mut keys = vec![(format!("login:{}", account.0), PER_ACCOUNT)];
    if let Some(ip) = ip {
        keys.push((format!("login:{}@{ip}", account.0), PER_ACCOUNT_AND_ADDRESS));
        keys.push((format!("login:ip:{ip}"), PER_ADDRESS));
    }
    keys
}

/// Seconds until the first of `counts` that is at its limit reopens.
fn wait(counts: &[Counter], limits: &[(String, i64)], now: i64) -> Option<i64> {
    counts
        .iter()
        .filter(|c| {
            limits
                .iter()
                .any(|(k, limit)| *k == c.key && c.count >= *limit)
        })
        .map(|c| c.ends_at(WINDOW_SECS) - now)
        .filter(|w| *w > 0)
        .max()
}

/// An attempt that may go ahead: its counts are taken, to be given back if
/// it succeeds.
#[derive(Debug)]
pub struct Reservation {
    keys: Vec<String>,
}

/// Counts an attempt against `account` from `ip`, or says how many seconds
/// until one is allowed. Attempts refused here are not counted.
pub fn reserve(
    conn: &mut DbConn,
    account: &AccountKey,
    ip: Option<&str>,
    now: i64,
) -> diesel::QueryResult<Result<Reservation, i64>> {
    let limits = keys(account, ip);
    let names: Vec<String> = limits.iter().map(|(k, _)| k.clone()).collect();
    if let Some(w) = wait(
        &counters::live(conn, &names, now, WINDOW_SECS)?,
        &limits,
        now,
    ) {
        return Ok(Err(w));
    }
    let mut bumped = Vec::with_capacity(names.len());
    for key in &names {
        bumped.push(counters::bump(conn, key, now, WINDOW_SECS)?);
    }
    // Over a limit only because parallel attempts got in first: this one is
    // refused, and its counts go back.
    let over = bumped
        .iter()
        .filter(|c| {
            limits
                .iter()
                .any(|(k, limit)| *k == c.key && c.count > *limit)
        })
        .map(|c| c.ends_at(WINDOW_SECS) - now)
        .max();
    if let Some(w) = over {
        for key in &names {
            counters::unbump(conn, key)?;
        }
        return Ok(Err(w.max(1)));
    }
    Ok(Ok(Reservation { keys: names }))
}

/// A successful sign-in: its own attempt is not a failure, and the failures
/// from this address against this account are forgiven.
pub fn succeeded(conn: &mut DbConn, reservation: Reservation) -> diesel::QueryResult<()> {
    for key in &reservation.keys {
        if key.contains('@') {
            counters::delete(conn, key)?;
        } else {
            counters::unbump(conn, key)?;
        }
    }
    Ok(())
}

/// An attempt that was not made after all (the checks were saturated).
pub fn give_back(conn: &mut DbConn, reservation: Reservation) -> diesel::QueryResult<()> {
    for key in &reservation.keys {
        counters::unbump(conn, key)?;
    }
    Ok(())
}

/// What the account's counters say now, for the admin's user page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// Failures in the current window, from anywhere.
    pub failures: i64,
    /// When the account is blocked from every address, until then.
    pub blocked_until: Option<i64>,
    /// Addresses blocked for this account, with when each reopens.
    pub blocked_addresses: Vec<(String, i64)>,
}

pub fn status(conn: &mut DbConn, user_id: &str, now: i64) -> diesel::QueryResult<Status> {
    let account = format!("login:{}", AccountKey::user(user_id).0);
    let rows = counters::live_with_prefix(conn, &account, now, WINDOW_SECS)?;
    let mut status = Status {
        failures: 0,
        blocked_until: None,
        blocked_addresses: Vec::new(),
    };
    for c in rows {
        if c.key == account {
            status.failures = c.count;
            if c.count >= PER_ACCOUNT {
                status.blocked_until = Some(c.ends_at(WINDOW_SECS));
            }
        } else if let Some(ip) = c.key.strip_prefix(&format!("{account}@")) {
            if c.count >= PER_ACCOUNT_AND_ADDRESS {
                status
                    .blocked_addresses
                    .push((ip.to_owned(), c.ends_at(WINDOW_SECS)));
            }
        }
    }
    Ok(status)
}

/// Forgets the account's failures (an admin's "unlock"); true if any were kept.
pub fn clear(conn: &mut DbConn, user_id: &str) -> diesel::QueryResult<bool> {
    let account = format!("login:{}", AccountKey::user(user_id).0);
    Ok(counters::clear(conn, &account, &format!("{account}@"))? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_counter_at_its_limit() {
        let account = AccountKey::user("u1");
        let limits = keys(&account, Some("10.0.0.1"));
        let c = |key: &str, count| Counter {
            key: key.into(),
            window_start: 1_000,
            count,
        };
        let below = [c("login:user:u1@10.0.0.1", 4), c("login:user:u1", 4)];
        assert_eq!(wait(&below, &limits, 1_100), None);
        let at = [c("login:user:u1@10.0.0.1", 5)];
        assert_eq!(wait(&at, &limits, 1_100), Some(1_000 + WINDOW_SECS - 1_100));
        // Another address's failures are another key: not these limits.
        let other = [c("login:user:u1@10.0.0.2", 9)];
        assert_eq!(wait(&other, &limits, 1_100), None);
    }

    #[test]
    fn unknown_names_are_counted_without_saying_so() {
        let a = AccountKey::of(None, " Nobody ");
        assert_eq!(a, AccountKey::of(None, "nobody"));
        assert!(a.as_str().starts_with("name:") && !a.as_str().contains("nobody"));
    }
}
