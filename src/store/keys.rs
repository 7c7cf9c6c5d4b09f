//! Signing keys: `active` (signs; one per algorithm), `retired` (still published
//! for verification), `revoked` (gone from the JWKS at once).

use diesel::prelude::*;

use super::now;
use crate::db::schema::signing_keys as keys;
use crate::db::DbConn;
use crate::store::types::{KeyStatus, Kid};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = keys)]
pub struct SigningKey {
    /// RFC 7638 JWK thumbprint.
    pub kid: Kid,
    pub alg: String,
    /// PKCS#8 PEM, or its AES-256-GCM encryption when `encrypted`.
    pub private_key: String,
    pub encrypted: bool,
    pub public_jwk: String,
    pub status: KeyStatus,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub fn insert(conn: &mut DbConn, key: &SigningKey) -> QueryResult<()> {
    diesel::insert_into(keys::table)
        .values(key)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, kid: &str) -> QueryResult<Option<SigningKey>> {
    keys::table
        .find(kid)
        .select(SigningKey::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<SigningKey>> {
    keys::table
        .order(keys::created_at.desc())
        .select(SigningKey::as_select())
        .load(conn)
}

/// Locks the active keys' rows until the transaction ends, so that two
/// concurrent retirements cannot both count the other as still active
/// (PostgreSQL; SQLite's write transactions already run one at a time).
pub fn lock_active(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT kid FROM signing_keys WHERE status = 'active' FOR UPDATE")
            .execute(pg)?;
    }
    Ok(())
}

/// Active and retired keys: what the key ring loads and the JWKS publishes.
pub fn list_published(conn: &mut DbConn) -> QueryResult<Vec<SigningKey>> {
    keys::table
        .filter(keys::status.ne(KeyStatus::Revoked))
        .order(keys::created_at.desc())
        .select(SigningKey::as_select())
        .load(conn)
}

/// Makes `key` the active key for its algorithm and retires the one it
/// replaces, in one transaction.
pub fn rotate(conn: &mut DbConn, key: &SigningKey) -> QueryResult<()> {
    crate::db::transaction(conn, |c| {
        let t = now();
        diesel::update(
            keys::table
                .filter(keys::alg.eq(&key.alg))
                .filter(keys::status.eq(KeyStatus::Active)),
        )
        .set((keys::status.eq(KeyStatus::Retired), keys::retired_at.eq(t)))
        .execute(c)?;
        insert(c, key)
    })
}

pub fn retire(conn: &mut DbConn, kid: &str) -> QueryResult<bool> {
    let n = diesel::update(
        keys::table
            .find(kid)
            .filter(keys::status.eq(KeyStatus::Active)),
    )
    .set((
        keys::status.eq(KeyStatus::Retired),
        keys::retired_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke(conn: &mut DbConn, kid: &str) -> QueryResult<bool> {
    let n = diesel::update(
        keys::table
            .find(kid)
            .filter(keys::status.ne(KeyStatus::Revoked)),
    )
    .set((
        keys::status.eq(KeyStatus::Revoked),
        keys::revoked_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The keys retired before `before`: those whose retention is over.
pub fn retired_before(conn: &mut DbConn, before: i64) -> QueryResult<Vec<String>> {
    keys::table
        .filter(keys::status.eq(KeyStatus::Retired))
        .filter(keys::retired_at.lt(before))
        .select(keys::kid)
        .load::<Kid>(conn)
        .map(|kids| kids.into_iter().map(Kid::into_string).collect())
}

/// Revokes retired keys retired before `before` (their retention is over).
pub fn expire_retired(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::update(
        keys::table
            .filter(keys::status.eq(KeyStatus::Retired))
            .filter(keys::retired_at.lt(before)),
    )
    .set((
        keys::status.eq(KeyStatus::Revoked),
        keys::revoked_at.eq(now()),
    ))
    .execute(conn)
}

/// How many keys have each status.
pub fn count_by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    keys::table
        .group_by(keys::status)
        .select((keys::status, diesel::dsl::count_star()))
        .load(conn)
}
