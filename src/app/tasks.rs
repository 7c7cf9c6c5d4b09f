//! Housekeeping that every instance runs now and then: expired codes and
//! tokens leave the database. Harmless when instances run it concurrently.

use crate::db::DbConn;
use crate::store::{codes, tokens};

/// Codes are kept a while past their expiry so a late replay is still
/// recognised (and revokes what the code issued).
pub const CODE_GRACE_SECS: i64 = 600;
pub const INTERVAL_SECS: u64 = 600;

/// Deletes codes expired more than [`CODE_GRACE_SECS`] ago and tokens past
/// their expiry; returns (codes, tokens) deleted.
pub fn purge_expired(conn: &mut DbConn, now: i64) -> diesel::QueryResult<(usize, usize)> {
    let c = codes::delete_expired(conn, now - CODE_GRACE_SECS)?;
    let t = tokens::delete_expired(conn, now)?;
    Ok((c, t))
}
