//! People who sign in. The `id` is stable, never reused, and is the `sub` claim.

use diesel::prelude::*;

use super::{like_pattern, lower_nullable, now};
use crate::db::schema::users;
use crate::db::DbConn;
use crate::store::types::UserId;

#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    Queryable,
    Selectable,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub username_key: String,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    /// Further claims (JSON object) that custom scopes may release.
    pub extra_claims: String,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    /// Bumped to end every session issued before.
    pub session_epoch: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
}

/// The case-insensitive form under which usernames and emails are unique.
pub fn lookup_key(value: &str) -> String {
    value.trim().to_lowercase()
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: UserId,
    pub username: String,
    pub username_key: String,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub extra_claims: String,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    pub session_epoch: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl NewUser {
    pub fn new(username: &str, email: Option<&str>, password_hash: Option<String>) -> Self {
        let t = now();
        NewUser {
            id: super::new_id().into(),
            username: username.trim().to_owned(),
            username_key: lookup_key(username),
            email: email.map(|e| e.trim().to_owned()),
            email_key: email.map(lookup_key),
            email_verified: false,
            given_name: None,
            family_name: None,
            display_name: None,
            extra_claims: "{}".into(),
            password_hash,
            is_admin: false,
            disabled: false,
            session_epoch: 0,
            created_at: t,
            updated_at: t,
        }
    }
}

/// Profile fields an admin or the user may change.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct ProfileChanges {
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConn, user: &NewUser) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    find(conn, &user.id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username_key.eq(lookup_key(username)))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email_key.eq(lookup_key(email)))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Users ordered by username, optionally filtered by a substring of the
/// username, email or display name.
pub fn list(
    conn: &mut DbConn,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table.select(User::as_select()).into_boxed();
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = like_pattern(&lookup_key(s));
        query = query.filter(
            users::username_key
                .like(pattern.clone())
                .escape('\\')
                .or(users::email_key.like(pattern.clone()).escape('\\'))
                .or(lower_nullable(users::display_name)
                    .like(pattern)
                    .escape('\\')),
        );
    }
    query
        .order(users::username_key)
        .limit(limit)
        .offset(offset)
        .load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Locks the enabled administrators' rows until the transaction ends, so
/// that of two concurrent changes that each leave one administrator, the
/// second sees the first (PostgreSQL; SQLite's write transactions already
/// run one at a time).
pub fn lock_admins(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT id FROM users WHERE is_admin AND NOT disabled FOR UPDATE")
            .execute(pg)?;
    }
    Ok(())
}

pub fn count_admins(conn: &mut DbConn) -> QueryResult<i64> {
    users::table
        .filter(users::is_admin.eq(true))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)
}

pub fn update_profile(conn: &mut DbConn, id: &str, changes: &ProfileChanges) -> QueryResult<bool> {
    Ok(diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)?
        == 1)
}

/// Replaces the password hash and ends every existing session of the user.
pub fn set_password(conn: &mut DbConn, id: &str, password_hash: &str) -> QueryResult<bool> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::session_epoch.eq(users::session_epoch + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Disabling also ends every session (the epoch moves on).
pub fn set_disabled(conn: &mut DbConn, id: &str, disabled: bool) -> QueryResult<bool> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::disabled.eq(disabled),
            users::session_epoch.eq(users::session_epoch + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn set_admin(conn: &mut DbConn, id: &str, is_admin: bool) -> QueryResult<bool> {
    let n = diesel::update(users::table.find(id))
        .set((users::is_admin.eq(is_admin), users::updated_at.eq(now())))
        .execute(conn)?;
    Ok(n == 1)
}

/// "Sign out everywhere": every session issued before now stops working.
pub fn bump_session_epoch(conn: &mut DbConn, id: &str) -> QueryResult<Option<i64>> {
    crate::db::transaction(conn, |c| {
        diesel::update(users::table.find(id))
            .set(users::session_epoch.eq(users::session_epoch + 1))
            .execute(c)?;
        users::table
            .find(id)
            .select(users::session_epoch)
            .first(c)
            .optional()
    })
}

pub fn record_login(conn: &mut DbConn, id: &str, at: i64) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// Deletes the user; consents, codes and tokens go with it (foreign keys cascade).
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(users::table.find(id)).execute(conn)? == 1)
}
