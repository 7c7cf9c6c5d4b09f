//! Login throttling: after 5 failed sign-ins in 15 minutes for one account, or
//! from one address, further attempts are refused until the oldest of those
//! failures is 15 minutes old. Failures are audit events, so every instance
//! sharing the database sees the same count.

use diesel::prelude::*;

use crate::db::schema::audit_events as audit;
use crate::db::DbConn;

pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_FAILURES: i64 = 5;
pub const LOGIN_ACTION: &str = "login";

/// The audit target under which failures for a username are counted (also
/// for usernames that do not exist, so throttling reveals nothing).
pub fn account_target(username: &str) -> String {
    format!("username:{}", crate::store::users::lookup_key(username))
}

fn unlock_at(times: &[i64]) -> Option<i64> {
    (times.len() as i64 >= MAX_FAILURES).then(|| times[MAX_FAILURES as usize - 1] + WINDOW_SECS)
}

/// Seconds until sign-in is allowed again for this account or address, or
/// `None` when it is allowed now.
pub fn locked_for(
    conn: &mut DbConn,
    username: &str,
    ip: Option<&str>,
    now: i64,
) -> QueryResult<Option<i64>> {
    let since = now - WINDOW_SECS;
    let recent = audit::table
        .filter(audit::action.eq(LOGIN_ACTION))
        .filter(audit::outcome.eq("failure"))
        .filter(audit::at.gt(since))
        .select(audit::at)
        .order(audit::at.desc())
        .limit(MAX_FAILURES);
    let by_account: Vec<i64> = recent
        .filter(audit::target.eq(account_target(username)))
        .load(conn)?;
    let mut until = unlock_at(&by_account);
    if let Some(ip) = ip {
        let by_ip: Vec<i64> = recent.filter(audit::ip.eq(ip)).load(conn)?;
        until = until.max(unlock_at(&by_ip));
    }
    Ok(until.filter(|u| *u > now).map(|u| u - now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_most_recent_failure_sets_the_unlock_time() {
        assert_eq!(unlock_at(&[100, 90, 80, 70]), None);
        assert_eq!(unlock_at(&[100, 90, 80, 70, 60]), Some(60 + WINDOW_SECS));
    }
}
