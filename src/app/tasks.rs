//! Housekeeping that every instance runs now and then: expired codes,
//! pending authorization requests, tokens and sessions leave the database, counters whose window closed are dropped,
//! and the audit log keeps its retention. Harmless when instances run it
//! concurrently.

use crate::db::DbConn;
use crate::idm::{site, throttle};
use crate::store::{audit, auth_requests, codes, counters, sessions, tokens};

/// Codes are kept a while past their expiry so a late replay is still
/// recognised (and revokes what the code issued).
pub const CODE_GRACE_SECS: i64 = 600;
pub const INTERVAL_SECS: u64 = 600;

/// What one cleanup deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub codes: usize,
    pub requests: usize,
    pub tokens: usize,
    pub sessions: usize,
    pub counters: usize,
    pub audit_events: usize,
}

impl Purged {
    pub fn is_empty(&self) -> bool {
        *self == Purged::default()
    }
}

/// Deletes codes expired more than [`CODE_GRACE_SECS`] ago, pending
/// requests, tokens and sessions past their end, counters whose longest window has closed, and
/// audit events older than the retention setting.
pub fn purge_expired(conn: &mut DbConn, now: i64) -> diesel::QueryResult<Purged> {
    let retention_days = site::audit_retention_days(conn)?;
    Ok(Purged {
        codes: codes::delete_expired(conn, now - CODE_GRACE_SECS)?,
        requests: auth_requests::delete_expired(conn, now)?,
        tokens: tokens::delete_expired(conn, now)?,
        sessions: sessions::purge_expired(conn, now)?,
        counters: counters::purge(conn, now - throttle::WINDOW_SECS)?,
        audit_events: audit::purge(conn, now - retention_days * 86_400)?,
    })
}
