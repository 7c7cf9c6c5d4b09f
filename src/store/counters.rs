//! Fixed-window counters shared by every instance: sign-in failures (per
//! account, per address, per account from one address) and the audit log's
//! once-a-minute summaries of anonymous noise. A bump is one atomic upsert, so
//! parallel requests each see their own count.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::schema::counters;
use crate::db::DbConn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = counters)]
pub struct Counter {
    pub key: String,
    pub window_start: i64,
    pub count: i64,
}

impl Counter {
    /// When the window this count belongs to closes.
    pub fn ends_at(&self, window: i64) -> i64 {
        self.window_start + window
    }
}

const BUMP_SQL: &str = "INSERT INTO counters (key, window_start, count) VALUES ($1, $2, 1) \
     ON CONFLICT (key) DO UPDATE SET \
       count = CASE WHEN counters.window_start <= $3 THEN 1 ELSE counters.count + 1 END, \
       window_start = CASE WHEN counters.window_start <= $3 THEN $2 ELSE counters.window_start END \
     RETURNING key, window_start, count";

/// Adds one to `key`'s count in the window of `window` seconds that is open
/// at `now` (a window older than that starts afresh); returns the new count.
pub fn bump(conn: &mut DbConn, key: &str, now: i64, window: i64) -> QueryResult<Counter> {
    let stale = now - window;
    match conn {
        DbConn::Pg(pg) => diesel::sql_query(BUMP_SQL)
            .bind::<Text, _>(key)
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(stale)
            .get_result(pg),
        DbConn::Sqlite(lite) => diesel::sql_query(BUMP_SQL.replace('$', "?"))
            .bind::<Text, _>(key)
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(stale)
            .get_result(lite),
    }
}

/// Takes back one bump (an attempt that was not made after all).
pub fn unbump(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::update(counters::table.find(key).filter(counters::count.gt(0)))
        .set(counters::count.eq(counters::count - 1))
        .execute(conn)
        .map(|_| ())
}

/// The counts among `keys` whose window is still open at `now`.
pub fn live(
    conn: &mut DbConn,
    keys: &[String],
    now: i64,
    window: i64,
) -> QueryResult<Vec<Counter>> {
    counters::table
        .filter(counters::key.eq_any(keys))
        .filter(counters::window_start.gt(now - window))
        .select(Counter::as_select())
        .load(conn)
}

/// Open-window counts whose key starts with `prefix`.
pub fn live_with_prefix(
    conn: &mut DbConn,
    prefix: &str,
    now: i64,
    window: i64,
) -> QueryResult<Vec<Counter>> {
    counters::table
        .filter(
            counters::key
                .like(format!("{}%", super::escape_like(prefix)))
                .escape('\\'),
        )
        .filter(counters::window_start.gt(now - window))
        .order(counters::key)
        .select(Counter::as_select())
        .load(conn)
}

pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<Counter>> {
    counters::table
        .find(key)
        .select(Counter::as_select())
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::delete(counters::table.find(key))
        .execute(conn)
        .map(|_| ())
}

/// Deletes `key` and every key starting with `prefix`.
pub fn clear(conn: &mut DbConn, key: &str, prefix: &str) -> QueryResult<usize> {
    diesel::delete(
        counters::table.filter(
            counters::key.eq(key).or(counters::key
                .like(format!("{}%", super::escape_like(prefix)))
                .escape('\\')),
        ),
    )
    .execute(conn)
}

/// Deletes counters whose window began before `before`.
pub fn purge(conn: &mut DbConn, before: i64) -> QueryResult<usize> {
    diesel::delete(counters::table.filter(counters::window_start.lt(before))).execute(conn)
}
