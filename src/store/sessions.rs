//! Server-side sessions. The cookie carries a random id; a row is found by the
//! id's SHA-256 digest, and its state (`data`) is sealed with a key derived
//! from the id, so the table alone neither opens a session nor reads one.

use diesel::prelude::*;

use crate::db::schema::{sessions, users};
use crate::db::DbConn;
use crate::store::types::UserId;
use crate::store::users::User;

/// `last_seen_at` is written at most this often, so a busy session does not
/// write on every request (the idle timeout is this coarse too).
pub const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    /// A public handle (not the secret), for "sign out this session".
    pub id: String,
    pub secret_digest: String,
    pub user_id: Option<UserId>,
    pub data: String,
    /// "Keep me signed in": the cookie outlives the browser.
    pub persistent: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Seconds of inactivity that end the session; 0 for none.
    pub idle_timeout: i64,
    /// The absolute end.
    pub expires_at: i64,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub auth_time: Option<i64>,
    /// How the user signed in (JSON array of RFC 8176 values).
    pub amr: Option<String>,
}

impl SessionRow {
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at
            && (self.idle_timeout == 0 || now < self.last_seen_at + self.idle_timeout)
    }
}

/// What a changed session writes back.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = sessions, treat_none_as_null = true)]
pub struct SessionChange {
    pub user_id: Option<UserId>,
    pub data: String,
    pub last_seen_at: i64,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub auth_time: Option<i64>,
    pub amr: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .filter(sessions::secret_digest.eq(digest))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// The session with this digest and, in the same query, its user's row (the
/// one read a signed-in request needs).
pub fn find_with_user(
    conn: &mut DbConn,
    digest: &str,
) -> QueryResult<Option<(SessionRow, Option<User>)>> {
    sessions::table
        .left_join(users::table)
        .filter(sessions::secret_digest.eq(digest))
        .select((SessionRow::as_select(), Option::<User>::as_select()))
        .first(conn)
        .optional()
}

/// Writes a changed state; false when the row is gone (ended meanwhile).
pub fn update(conn: &mut DbConn, digest: &str, change: &SessionChange) -> QueryResult<bool> {
    let n = diesel::update(sessions::table.filter(sessions::secret_digest.eq(digest)))
        .set(change)
        .execute(conn)?;
    Ok(n == 1)
}

pub fn touch(conn: &mut DbConn, digest: &str, now: i64) -> QueryResult<()> {
    diesel::update(sessions::table.filter(sessions::secret_digest.eq(digest)))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::secret_digest.eq(digest)))
        .execute(conn)
        .map(|_| ())
}

/// The user's live sessions, most recently used first.
pub fn list_for_user(
    conn: &mut DbConn,
    user_id: &UserId,
    now: i64,
) -> QueryResult<Vec<SessionRow>> {
    let rows: Vec<SessionRow> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().filter(|r| r.is_live(now)).collect())
}

/// Ends one of the user's sessions by its public id; false if there is none.
pub fn delete_for_user(conn: &mut DbConn, user_id: &UserId, id: &str) -> QueryResult<bool> {
    let n = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every session of the user, except the one whose public id is `keep`.
pub fn delete_all_for_user(
    conn: &mut DbConn,
    user_id: &UserId,
    keep: Option<&str>,
) -> QueryResult<usize> {
    let all = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(id) => diesel::delete(all.filter(sessions::id.ne(id))).execute(conn),
        None => diesel::delete(all).execute(conn),
    }
}

/// Live sessions: (signed in, anonymous). Idle-expired rows not yet purged
/// count until the cleanup takes them.
pub fn count_live(conn: &mut DbConn, now: i64) -> QueryResult<(i64, i64)> {
    let live = sessions::table.filter(sessions::expires_at.gt(now));
    let signed_in: i64 = live
        .filter(sessions::user_id.is_not_null())
        .count()
        .get_result(conn)?;
    let anonymous: i64 = live
        .filter(sessions::user_id.is_null())
        .count()
        .get_result(conn)?;
    Ok((signed_in, anonymous))
}

/// Deletes sessions past their absolute end or idle timeout.
pub fn purge_expired(conn: &mut DbConn, now: i64) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at.le(now).or(sessions::idle_timeout
                .gt(0)
                .and((sessions::last_seen_at + sessions::idle_timeout).le(now))),
        ),
    )
    .execute(conn)
}
