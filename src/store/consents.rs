//! Remembered consent: which scopes a user granted to a client.

use diesel::prelude::*;

use super::{join_list, now, split_list, tokens};
use crate::db::schema::{clients, consents};
use crate::db::DbConn;
use crate::store::types::{ClientId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct Consent {
    pub user_id: UserId,
    pub client_id: ClientId,
    pub scopes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Consent {
    pub fn scope_list(&self) -> Vec<String> {
        split_list(&self.scopes)
    }
}

/// A consent with the client's display name, for the account and admin pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentWithClient {
    pub consent: Consent,
    pub client_name: String,
}

pub fn find(conn: &mut DbConn, user_id: &str, client_id: &str) -> QueryResult<Option<Consent>> {
    consents::table
        .find((user_id, client_id))
        .select(Consent::as_select())
        .first(conn)
        .optional()
}

/// Adds `scopes` to what the user has granted the client (the union is kept).
pub fn grant(
    conn: &mut DbConn,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
) -> QueryResult<Consent> {
    crate::db::transaction(conn, |c| {
        let t = now();
        match find(c, user_id, client_id)? {
            Some(existing) => {
                let mut all = existing.scope_list();
                for s in scopes {
                    if !all.contains(s) {
                        all.push(s.clone());
                    }
                }
                diesel::update(consents::table.find((user_id, client_id)))
                    .set((
                        consents::scopes.eq(join_list(&all)),
                        consents::updated_at.eq(t),
                    ))
                    .execute(c)?;
            }
            None => {
                let row = Consent {
                    user_id: user_id.into(),
                    client_id: client_id.into(),
                    scopes: join_list(scopes),
                    created_at: t,
                    updated_at: t,
                };
                diesel::insert_into(consents::table)
                    .values(&row)
                    .execute(c)?;
            }
        }
        find(c, user_id, client_id)?.ok_or(diesel::result::Error::NotFound)
    })
}

pub fn list_for_user(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<ConsentWithClient>> {
    let rows: Vec<(Consent, String)> = consents::table
        .inner_join(clients::table)
        .filter(consents::user_id.eq(user_id))
        .order(clients::name)
        .select((Consent::as_select(), clients::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(consent, client_name)| ConsentWithClient {
            consent,
            client_name,
        })
        .collect())
}

/// Forgets the consent and revokes the client's tokens for the user, in one
/// transaction. Returns whether a consent existed.
pub fn revoke(conn: &mut DbConn, user_id: &str, client_id: &str) -> QueryResult<bool> {
    crate::db::transaction(conn, |c| {
        let n = diesel::delete(consents::table.find((user_id, client_id))).execute(c)?;
        tokens::revoke_for_user_and_client(c, user_id, client_id, now())?;
        Ok(n == 1)
    })
}
