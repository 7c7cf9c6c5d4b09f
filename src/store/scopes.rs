//! Scopes: what a client may ask for, the text the consent page shows, and the
//! claims each one releases. Built-in scopes cannot be deleted.

use diesel::prelude::*;

use super::{join_list, now, split_list};
use crate::db::schema::scopes;
use crate::db::DbConn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = scopes)]
pub struct Scope {
    pub name: String,
    pub description: String,
    /// Space-separated claim names.
    pub claims: String,
    pub builtin: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Scope {
    pub fn new(name: &str, description: &str, claims: &[String]) -> Self {
        let t = now();
        Scope {
            name: name.to_owned(),
            description: description.to_owned(),
            claims: join_list(claims),
            builtin: false,
            created_at: t,
            updated_at: t,
        }
    }

    pub fn claim_names(&self) -> Vec<String> {
        split_list(&self.claims)
    }
}

pub fn insert(conn: &mut DbConn, scope: &Scope) -> QueryResult<()> {
    diesel::insert_into(scopes::table)
        .values(scope)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, name: &str) -> QueryResult<Option<Scope>> {
    scopes::table
        .find(name)
        .select(Scope::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Scope>> {
    scopes::table
        .order((scopes::builtin.desc(), scopes::name))
        .select(Scope::as_select())
        .load(conn)
}

/// The named scopes that exist, in table order.
pub fn find_many(conn: &mut DbConn, names: &[String]) -> QueryResult<Vec<Scope>> {
    scopes::table
        .filter(scopes::name.eq_any(names))
        .order(scopes::name)
        .select(Scope::as_select())
        .load(conn)
}

pub fn update(
    conn: &mut DbConn,
    name: &str,
    description: &str,
    claims: &[String],
) -> QueryResult<bool> {
    let n = diesel::update(scopes::table.find(name))
        .set((
            scopes::description.eq(description),
            scopes::claims.eq(join_list(claims)),
            scopes::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Deletes a custom scope; built-in scopes are never deleted (returns false).
pub fn delete_custom(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    let n = diesel::delete(
        scopes::table
            .filter(scopes::name.eq(name))
            .filter(scopes::builtin.eq(false)),
    )
    .execute(conn)?;
    Ok(n == 1)
}
