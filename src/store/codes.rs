//! Authorization codes, stored by digest. Single use: redemption is one
//! conditional UPDATE, so of concurrent redemptions exactly one succeeds.

use diesel::prelude::*;

use crate::db::schema::authorization_codes as codes;
use crate::db::DbConn;
use crate::store::types::{ClientId, FamilyId, UserId, Words};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = codes)]
pub struct AuthorizationCode {
    pub digest: String,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub redirect_uri: String,
    pub scope: Words<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub auth_time: i64,
    /// Shared by every token the code's redemption issues, so a replay can
    /// revoke them all.
    pub family_id: FamilyId,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    /// The authorization request named its redirect_uri, so the token
    /// request must name it too (RFC 6749 §4.1.3).
    pub redirect_uri_given: bool,
}

/// What a redemption attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// This call consumed the code.
    Redeemed(AuthorizationCode),
    /// The code had been redeemed before: a replay.
    AlreadyUsed(AuthorizationCode),
    /// No such code.
    Unknown,
}

pub fn insert(conn: &mut DbConn, code: &AuthorizationCode) -> QueryResult<()> {
    diesel::insert_into(codes::table)
        .values(code)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, digest: &str) -> QueryResult<Option<AuthorizationCode>> {
    codes::table
        .find(digest)
        .select(AuthorizationCode::as_select())
        .first(conn)
        .optional()
}

/// Marks the code consumed if nobody has; expiry and bindings are the caller's
/// to check on the returned row. On PostgreSQL the claim and the read are one
/// statement (`UPDATE ... RETURNING`).
pub fn redeem(conn: &mut DbConn, digest: &str, at: i64) -> QueryResult<Redemption> {
    let unclaimed = codes::table
        .filter(codes::digest.eq(digest))
        .filter(codes::consumed_at.is_null());
    let won = match &mut *conn {
        DbConn::Pg(pg) => diesel::update(unclaimed)
            .set(codes::consumed_at.eq(at))
            .returning(AuthorizationCode::as_returning())
            .get_result(pg)
            .optional()?,
        DbConn::Sqlite(_) => {
            let claimed = diesel::update(unclaimed)
                .set(codes::consumed_at.eq(at))
                .execute(conn)?
                == 1;
            if claimed {
                find(conn, digest)?
            } else {
                None
            }
        }
    };
    if let Some(code) = won {
        return Ok(Redemption::Redeemed(code));
    }
    Ok(match find(conn, digest)? {
        None => Redemption::Unknown,
        Some(code) => Redemption::AlreadyUsed(code),
    })
}

/// Removes codes that expired before `before`; returns how many.
pub fn delete_expired(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::delete(codes::table.filter(codes::expires_at.lt(before))).execute(conn)
}
