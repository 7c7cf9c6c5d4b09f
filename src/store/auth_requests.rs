//! Pending authorization requests: validated requests waiting while the
//! user signs in or decides on consent. Each row has its own id, carried by
//! the login and consent pages, and is bound to the browser that made it by
//! `binding` (the digest of a value in that browser's session): the id alone
//! opens nothing. Taking a request is one DELETE, so of two concurrent
//! decisions on one request exactly one goes ahead.

use diesel::prelude::*;

use crate::db::schema::authorization_requests as requests;
use crate::db::DbConn;
use crate::store::types::ClientId;

/// How many requests one browser may have waiting; older ones make room.
pub const PER_BROWSER: i64 = 10;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = requests)]
pub struct PendingRequest {
    pub id: String,
    pub binding: String,
    pub client_id: ClientId,
    /// The validated request, as JSON.
    pub request: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Stores `row`, keeping only the newest [`PER_BROWSER`] of its browser.
pub fn insert(conn: &mut DbConn, row: &PendingRequest) -> QueryResult<()> {
    diesel::insert_into(requests::table)
        .values(row)
        .execute(conn)?;
    let older: Vec<String> = requests::table
        .filter(requests::binding.eq(&row.binding))
        .order((requests::created_at.desc(), requests::id.desc()))
        .offset(PER_BROWSER)
        .select(requests::id)
        .load(conn)?;
    if !older.is_empty() {
        diesel::delete(requests::table.filter(requests::id.eq_any(&older))).execute(conn)?;
    }
    Ok(())
}

/// The request `id` of the browser with `binding`, while it has not expired.
pub fn find(
    conn: &mut DbConn,
    id: &str,
    binding: &str,
    now: i64,
) -> QueryResult<Option<PendingRequest>> {
    requests::table
        .filter(requests::id.eq(id))
        .filter(requests::binding.eq(binding))
        .filter(requests::expires_at.gt(now))
        .select(PendingRequest::as_select())
        .first(conn)
        .optional()
}

/// Removes and returns the request: `None` when it is unknown, expired,
/// another browser's, or a concurrent call took it first.
pub fn take(
    conn: &mut DbConn,
    id: &str,
    binding: &str,
    now: i64,
) -> QueryResult<Option<PendingRequest>> {
    let Some(found) = find(conn, id, binding, now)? else {
        return Ok(None);
    };
    let n = diesel::delete(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::binding.eq(binding)),
    )
    .execute(conn)?;
    Ok((n == 1).then_some(found))
}

/// Removes requests that expired before `before`; returns how many.
pub fn delete_expired(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::delete(requests::table.filter(requests::expires_at.lt(before))).execute(conn)
}
