//! Key-value settings shared by every instance: issuer, organisation name, setup
//! state, session key, key-ring version.

use diesel::prelude::*;

use super::now;
use crate::db::schema::settings;
use crate::db::DbConn;

pub const ISSUER: &str = "issuer";
pub const ORG_NAME: &str = "org_name";
pub const SETUP_COMPLETED: &str = "setup_completed";
pub const SETUP_CODE_DIGEST: &str = "setup_code_digest";
pub const SESSION_KEY: &str = "session_key";
pub const KEYS_VERSION: &str = "keys_version";
/// Server-wide token lifetimes in seconds (clients' policies may override).
pub const DEFAULT_ACCESS_TTL: &str = "default_access_token_ttl";
pub const DEFAULT_REFRESH_TTL: &str = "default_refresh_token_ttl";
/// Sessions: seconds of inactivity that end one, and the absolute lifetimes
/// without and with "Keep me signed in".
pub const SESSION_IDLE_TIMEOUT: &str = "session_idle_timeout";
pub const SESSION_LIFETIME: &str = "session_lifetime";
pub const SESSION_REMEMBER_LIFETIME: &str = "session_remember_lifetime";
/// Days the audit log keeps an event.
pub const AUDIT_RETENTION_DAYS: &str = "audit_retention_days";
/// Set once the setup code has opened the wizard (it works once).
pub const SETUP_CODE_SPENT: &str = "setup_code_spent";
/// Bumped when anything the metadata documents or the published settings
/// show changes (scopes, issuer, organisation name, default lifetimes).
pub const METADATA_VERSION: &str = "metadata_version";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = settings)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub updated_at: i64,
}

pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Setting>> {
    settings::table
        .order(settings::key)
        .select(Setting::as_select())
        .load(conn)
}

/// Inserts or replaces a value (an upsert, which the shared backend cannot
/// express, so each backend runs its own `ON CONFLICT`).
pub fn set(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<()> {
    let row = Setting {
        key: key.to_owned(),
        value: value.to_owned(),
        updated_at: now(),
    };
    let changes = (
        settings::value.eq(&row.value),
        settings::updated_at.eq(row.updated_at),
    );
    match conn {
        DbConn::Pg(c) => diesel::insert_into(settings::table)
            .values(&row)
            .on_conflict(settings::key)
            .do_update()
            .set(changes)
            .execute(c),
        DbConn::Sqlite(c) => diesel::insert_into(settings::table)
            .values(&row)
            .on_conflict(settings::key)
            .do_update()
            .set(changes)
            .execute(c),
    }
    .map(|_| ())
}

/// Inserts the value only if the key is absent. Returns whether this call wrote
/// it: of two concurrent callers exactly one gets `true`.
pub fn insert_if_absent(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<bool> {
    let row = Setting {
        key: key.to_owned(),
        value: value.to_owned(),
        updated_at: now(),
    };
    let inserted = match conn {
        DbConn::Pg(c) => diesel::insert_into(settings::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c),
        DbConn::Sqlite(c) => diesel::insert_into(settings::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c),
    }?;
    Ok(inserted == 1)
}

pub fn delete(conn: &mut DbConn, key: &str) -> QueryResult<bool> {
    Ok(diesel::delete(settings::table.find(key)).execute(conn)? == 1)
}

/// Deletes `key` only while it holds `value`; true for the one caller that did.
pub fn delete_if(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<bool> {
    Ok(
        diesel::delete(settings::table.find(key).filter(settings::value.eq(value)))
            .execute(conn)?
            == 1,
    )
}

/// Adds one to an integer setting (missing counts as 0) and returns the new
/// value. The increment happens inside the UPDATE, so concurrent callers never
/// lose one.
pub fn increment(conn: &mut DbConn, key: &str) -> QueryResult<i64> {
    crate::db::transaction(conn, |c| {
        insert_if_absent(c, key, "0")?;
        diesel::update(settings::table.find(key))
            .set((
                settings::value.eq(diesel::dsl::sql::<diesel::sql_types::Text>(
                    "CAST(CAST(value AS BIGINT) + 1 AS TEXT)",
                )),
                settings::updated_at.eq(now()),
            ))
            .execute(c)?;
        let value = get(c, key)?.unwrap_or_default();
        value.parse::<i64>().map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!("setting {key} is not an integer: {e}").into(),
            )
        })
    })
}
