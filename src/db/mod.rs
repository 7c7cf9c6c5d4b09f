//! Persistence: one connection type over PostgreSQL and SQLite, an r2d2 pool that
//! picks the backend from the URL scheme, the embedded migrations, and the one
//! helper that moves blocking Diesel work off the async workers.

pub mod batch;
mod database_url;
pub mod schema;

pub use database_url::DatabaseUrl;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// How long a request waits for a pooled connection before it answers 503.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);
/// SQLite waits this long on a locked database before it reports "busy".
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
/// Key of the PostgreSQL advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x006b_6579_7761_7264;

/// A connection to either backend. Plain CRUD compiles once for both; the few
/// statements the shared backend cannot express `match` on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DbConn::Pg(_) => "postgresql",
            DbConn::Sqlite(_) => "sqlite",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Postgres(String),
    #[error("cannot open SQLite database {path}: {cause}")]
    Sqlite { path: String, cause: String },
    #[error("cannot apply migrations: {0}")]
    Migration(String),
    #[error("the database connection was lost: {0}")]
    Lost(String),
}

/// Collapses libpq's multi-line messages so a start-up failure stays one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn connect_pg(url: &str) -> Result<PgConnection, ConnectError> {
    PgConnection::establish(url).map_err(|e| ConnectError::Postgres(one_line(&e.to_string())))
}

fn connect_sqlite(path: &str) -> Result<SqliteConnection, ConnectError> {
    let fail = |cause: String| ConnectError::Sqlite {
        path: path.to_owned(),
        cause: one_line(&cause),
    };
    let mut conn = SqliteConnection::establish(path).map_err(|e| fail(e.to_string()))?;
    // busy_timeout first: switching to WAL takes a lock, and connections
    // opened at the same moment must wait for it rather than fail.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
         PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
    ))
    .map_err(|e| fail(e.to_string()))?;
    Ok(conn)
}

/// Opens one connection for the backend the URL names.
pub fn connect(url: &DatabaseUrl) -> Result<DbConn, ConnectError> {
    match url {
        DatabaseUrl::Postgres(u) => connect_pg(u).map(DbConn::Pg),
        DatabaseUrl::Sqlite(path) => connect_sqlite(path).map(DbConn::Sqlite),
    }
}

/// Like [`connect`], but creates a missing PostgreSQL database first (through the
/// server's `postgres` maintenance database) so a fresh server needs no manual step.
pub fn connect_or_create(url: &DatabaseUrl) -> Result<DbConn, ConnectError> {
    let missing = match url {
        DatabaseUrl::Postgres(raw) => {
            pg_database_name(raw).map(|n| format!("database \"{n}\" does not exist"))
        }
        DatabaseUrl::Sqlite(_) => None,
    };
    match (connect(url), url, missing) {
        (Err(ConnectError::Postgres(message)), DatabaseUrl::Postgres(raw), Some(missing))
            if message.contains(&missing) =>
        {
            create_pg_database(raw).map_err(|cause| {
                ConnectError::Postgres(format!("{message}; creating it failed: {cause}"))
            })?;
            connect(url)
        }
        (result, _, _) => result,
    }
}

/// The database a PostgreSQL URL names (its path, percent-decoded).
fn pg_database_name(raw: &str) -> Option<String> {
    let parsed = url::Url::parse(raw).ok()?;
    let name = parsed.path().trim_start_matches('/');
    if name.is_empty() {
        return None;
    }
    Some(
        url::form_urlencoded::parse(format!("n={name}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| name.to_owned()),
    )
}

fn create_pg_database(raw: &str) -> Result<(), String> {
    let name = pg_database_name(raw).ok_or("the URL names no database")?;
    let mut parsed = url::Url::parse(raw).map_err(|e| e.to_string())?;
    parsed.set_path("/postgres");
    let mut admin = connect_pg(parsed.as_str()).map_err(|e| e.to_string())?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    admin
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .map_err(|e| one_line(&e.to_string()))?;
    tracing::info!(database = %name, "created the PostgreSQL database");
    Ok(())
}

/// Applies every pending migration of the connection's backend; returns the
/// versions applied. On PostgreSQL an advisory lock keeps two instances that
/// start together from racing.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, ConnectError> {
    let fail = |e: &dyn std::fmt::Display| ConnectError::Migration(one_line(&e.to_string()));
    let applied = match conn {
        DbConn::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| fail(&e))?;
            let result = c
                .run_pending_migrations(PG_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
            let unlock = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            let applied = result.map_err(|e| fail(&e))?;
            unlock.map_err(|e| fail(&e))?;
            applied
        }
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| fail(&e))?
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    Ok(applied)
}

/// The r2d2 manager: establishes connections for the URL's backend only, so a
/// failure names its real cause, and sets the SQLite PRAGMAs on each connection.
pub struct Manager {
    url: DatabaseUrl,
}

/// How long a connection that answered a ping is trusted without another one.
/// Under load this saves a round trip per checkout; after an outage a dead
/// connection is found within this time (and its request answered 503).
const VALIDATION_INTERVAL: Duration = Duration::from_secs(1);

/// A pooled connection and when it last proved alive. Dereferences to
/// [`DbConn`], so handlers see a plain connection.
pub struct Checked {
    conn: DbConn,
    /// `None` after a failure: ping before the next use.
    validated: Option<std::time::Instant>,
}

impl std::ops::Deref for Checked {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Checked {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Checked;
    type Error = ConnectError;

    fn connect(&self) -> Result<Checked, ConnectError> {
        Ok(Checked {
            conn: connect(&self.url)?,
            validated: Some(std::time::Instant::now()),
        })
    }

    fn is_valid(&self, conn: &mut Checked) -> Result<(), ConnectError> {
        if conn
            .validated
            .is_some_and(|t| t.elapsed() < VALIDATION_INTERVAL)
        {
            return Ok(());
        }
        conn.conn
            .ping()
            .map_err(|e| ConnectError::Lost(one_line(&e.to_string())))?;
        conn.validated = Some(std::time::Instant::now());
        Ok(())
    }

    fn has_broken(&self, conn: &mut Checked) -> bool {
        conn.conn.is_broken()
    }
}

/// Logs pool connection failures at most once every 10 seconds: during an
/// outage r2d2 retries constantly, and one line says as much as a thousand.
#[derive(Debug, Default)]
struct QuietErrorHandler {
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl r2d2::HandleError<ConnectError> for QuietErrorHandler {
    fn handle_error(&self, error: ConnectError) {
        let mut last = match self.last.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            *last = Some(std::time::Instant::now());
            tracing::error!(error = %error, "database connection failed");
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Builds the pool without opening connections up front: start-up has already
/// proved the database reachable, and a later outage must not stop the process.
pub fn build_pool(url: &DatabaseUrl, max_size: u32) -> Pool {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(CHECKOUT_TIMEOUT)
        .test_on_check_out(true)
        .error_handler(Box::new(QuietErrorHandler::default()))
        .build_unchecked(Manager { url: url.clone() })
}

/// What can go wrong with one unit of database work.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(diesel::result::Error),
    #[error("the blocking task was cancelled")]
    Cancelled,
    /// Concurrent transactions kept winning, even after retries: 503.
    #[error("the database is busy: {0}")]
    Busy(String),
}

impl From<diesel::result::Error> for DbError {
    /// A connection lost mid-request is an outage (503), not a failed query.
    fn from(e: diesel::result::Error) -> Self {
        if is_connection_lost(&e) {
            DbError::Unavailable(one_line(&e.to_string()))
        } else if is_contention(&e) {
            DbError::Busy(one_line(&e.to_string()))
        } else {
            DbError::Query(e)
        }
    }
}

/// Whether a query failed because the connection to the server is gone.
pub fn is_connection_lost(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            _
        )
    )
}

/// Runs `work` (which opens and commits its own transaction) so that its
/// commit survives a power cut on SQLite too: SQLite in WAL mode with
/// `synchronous = NORMAL` (the connections' default, and fast) syncs the WAL
/// only at checkpoints, so a crash may lose the last commits; for this one it
/// is `FULL`. The pragma cannot change inside a transaction: called inside
/// one, `work` runs as it is and the outer commit decides. PostgreSQL
/// commits durably by default.
pub fn durably<T, E>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E> {
    let DbConn::Sqlite(lite) = conn else {
        return work(conn);
    };
    let full = lite.batch_execute("PRAGMA synchronous = FULL").is_ok();
    let result = work(conn);
    if full {
        if let DbConn::Sqlite(lite) = conn {
            if let Err(e) = lite.batch_execute("PRAGMA synchronous = NORMAL") {
                tracing::warn!(error = %e, "restoring synchronous = NORMAL failed");
            }
        }
    }
    result
}

/// For the current transaction only: commit without waiting for the WAL
/// flush (PostgreSQL; SQLite in WAL mode does not wait for an fsync per
/// commit anyway). For rows whose loss in a crash costs a retry, never data.
pub fn relax_commit(conn: &mut DbConn) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Pg(pg) => pg.batch_execute("SET LOCAL synchronous_commit = off"),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Whether a query failed only because of a concurrent transaction: a
/// PostgreSQL serialization failure or deadlock, or SQLite still locked
/// after its busy timeout. Run again, the work may well succeed.
pub fn is_contention(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("deadlock detected")
                || m.contains("database is locked")
                || m.contains("database table is locked")
        }
        _ => false,
    }
}

/// Errors that can say whether they are [`is_contention`]: the bound of
/// [`transaction`], which retries those.
pub trait Contention {
    fn is_contention(&self) -> bool;
}

impl Contention for diesel::result::Error {
    fn is_contention(&self) -> bool {
        is_contention(self)
    }
}

impl Contention for DbError {
    fn is_contention(&self) -> bool {
        matches!(self, DbError::Busy(_))
    }
}

/// How often [`transaction`] runs work again that lost to a concurrent one.
const CONTENTION_RETRIES: u32 = 8;

/// Transactions run again after losing to a concurrent one, and those that
/// still lost after every retry, since the start (for the metrics).
static RETRIED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static GAVE_UP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// (retried, gave up): see [`transaction`].
pub fn contention_counts() -> (u64, u64) {
    use std::sync::atomic::Ordering::Relaxed;
    (RETRIED.load(Relaxed), GAVE_UP.load(Relaxed))
}

/// Runs `work` in a transaction that cannot fail merely because another
/// one ran at the same time. On SQLite it begins `IMMEDIATE`: it takes the
/// write lock up front (waiting up to the busy timeout), so it never fails
/// to upgrade a read lock half-way, the "database is locked" of a deferred
/// transaction. On PostgreSQL a deadlock or serialization failure rolls the
/// work back and runs it again, a bounded number of times with a short
/// random pause. Called inside a transaction, it is a savepoint and the
/// outer call retries.
pub fn transaction<T, E, F>(conn: &mut DbConn, mut work: F) -> Result<T, E>
where
    F: FnMut(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error> + Contention,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let nested = match conn {
        DbConn::Pg(pg) => AnsiTransactionManager::transaction_manager_status_mut(pg)
            .transaction_depth()?
            .is_some(),
        DbConn::Sqlite(lite) => AnsiTransactionManager::transaction_manager_status_mut(lite)
            .transaction_depth()?
            .is_some(),
    };
    if nested {
        return conn.transaction(work);
    }
    let mut attempt = 0;
    loop {
        let result = match conn {
            DbConn::Pg(_) => conn.transaction(&mut work),
            DbConn::Sqlite(lite) => {
                AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?;
                let result = work(conn);
                let DbConn::Sqlite(lite) = conn else {
                    unreachable!("the connection does not change backend")
                };
                match result {
                    Ok(value) => AnsiTransactionManager::commit_transaction(lite)
                        .map(|()| value)
                        .map_err(E::from),
                    Err(e) => {
                        AnsiTransactionManager::rollback_transaction(lite)?;
                        Err(e)
                    }
                }
            }
        };
        match result {
            Err(e) if e.is_contention() && attempt < CONTENTION_RETRIES => {
                attempt += 1;
                RETRIED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let pause = 2 + rand::random::<u64>() % (5 * u64::from(attempt));
                tracing::debug!(
                    attempt,
                    pause_ms = pause,
                    "a concurrent transaction won; running again"
                );
                std::thread::sleep(Duration::from_millis(pause));
            }
            Err(e) if e.is_contention() => {
                GAVE_UP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(
                    attempts = attempt + 1,
                    "concurrent transactions kept winning; giving up"
                );
                return Err(e);
            }
            other => return other,
        }
    }
}

/// Whether a statement broke a unique index (a concurrent insert won).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

impl DbError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Query(e) if is_unique_violation(e))
    }
}

/// The pool, shared by handlers. `run` is the one way handlers reach the database.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    pub fn new(pool: Pool) -> Self {
        Db { pool }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Runs `work` on a pooled connection on actix's blocking thread pool.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| DbError::Unavailable(one_line(&e.to_string())))?;
            let result = work(&mut conn);
            if result.is_err() {
                // Whatever failed, prove the connection alive before its next use.
                conn.validated = None;
            }
            result
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Checks that the database answers within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> Result<(), DbError> {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool
                .get_timeout(timeout)
                .map_err(|e| DbError::Unavailable(one_line(&e.to_string())))?;
            let result = diesel::sql_query("SELECT 1").execute(&mut **conn);
            if result.is_err() {
                conn.validated = None;
            }
            result?;
            Ok(())
        })
        .await
        .map_err(|_| DbError::Cancelled)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::QueryableByName)]
    struct Level {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }

    fn level(conn: &mut DbConn) -> i32 {
        let DbConn::Sqlite(lite) = conn else {
            unreachable!()
        };
        diesel::sql_query("PRAGMA synchronous")
            .get_result::<Level>(lite)
            .unwrap()
            .synchronous
    }

    #[test]
    fn durably_commits_with_full_sync_then_goes_back_to_normal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let mut conn = DbConn::Sqlite(connect_sqlite(path.to_str().unwrap()).unwrap());
        assert_eq!(level(&mut conn), 1, "NORMAL by default");
        let inside = durably(&mut conn, |c| Ok::<_, diesel::result::Error>(level(c))).unwrap();
        assert_eq!(inside, 2, "FULL for the durable unit of work");
        assert_eq!(level(&mut conn), 1, "NORMAL again after it");
        // Inside an open transaction the level cannot change: the work runs anyway.
        let ran = conn
            .transaction(|c| durably(c, |c| Ok::<_, diesel::result::Error>(level(c))))
            .unwrap();
        assert_eq!(ran, 1);
    }

    #[test]
    fn libpq_messages_become_one_line() {
        assert_eq!(
            one_line("connection failed:\nFATAL:  password authentication failed\n"),
            "connection failed: FATAL: password authentication failed"
        );
    }
}
