//! Access and refresh tokens, stored by SHA-256 digest (opaque tokens and JWTs
//! alike, so introspection and revocation look every token up the same way).

use diesel::prelude::*;

use crate::db::schema::tokens;
use crate::db::DbConn;

pub const KIND_ACCESS: &str = "access";
pub const KIND_REFRESH: &str = "refresh";
pub const FORMAT_OPAQUE: &str = "opaque";
pub const FORMAT_JWT: &str = "jwt";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = tokens)]
pub struct Token {
    /// The JWT `jti`, or a random id for opaque tokens.
    pub id: String,
    pub digest: String,
    pub kind: String,
    pub format: String,
    pub client_id: String,
    /// `None` for client-credentials tokens.
    pub user_id: Option<String>,
    pub scope: String,
    /// Tokens descending from one code or one refresh chain share a family.
    pub family_id: Option<String>,
    pub auth_time: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    /// The absolute end of a refresh family, however often it rotates.
    pub family_expires_at: Option<i64>,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Token {
    pub fn is_active(&self, at: i64) -> bool {
        self.revoked_at.is_none() && self.rotated_at.is_none() && self.expires_at > at
    }
}

pub fn insert(conn: &mut DbConn, token: &Token) -> QueryResult<()> {
    diesel::insert_into(tokens::table)
        .values(token)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<Token>> {
    tokens::table
        .filter(tokens::digest.eq(digest))
        .select(Token::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Token>> {
    tokens::table
        .find(id)
        .select(Token::as_select())
        .first(conn)
        .optional()
}

/// Marks a refresh token used, only if it is still unused and unrevoked.
/// Returns whether this call won: of concurrent rotations exactly one does.
pub fn mark_rotated(conn: &mut DbConn, id: &str, at: i64) -> QueryResult<bool> {
    let n = diesel::update(
        tokens::table
            .filter(tokens::id.eq(id))
            .filter(tokens::rotated_at.is_null())
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::rotated_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke(conn: &mut DbConn, id: &str, at: i64) -> QueryResult<bool> {
    let n = diesel::update(
        tokens::table
            .filter(tokens::id.eq(id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every token of a family; returns how many were still unrevoked.
pub fn revoke_family(conn: &mut DbConn, family_id: &str, at: i64) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::family_id.eq(family_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn revoke_for_user_and_client(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &str,
    at: i64,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::client_id.eq(client_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn revoke_for_user(conn: &mut DbConn, user_id: &str, at: i64) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn count_active(conn: &mut DbConn, at: i64) -> QueryResult<i64> {
    tokens::table
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::rotated_at.is_null())
        .filter(tokens::expires_at.gt(at))
        .count()
        .get_result(conn)
}

/// Removes tokens that expired before `before` (a rotated or revoked token is
/// kept until then, so reuse of it is still recognised); returns how many.
pub fn delete_expired(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::delete(tokens::table.filter(tokens::expires_at.lt(before))).execute(conn)
}
