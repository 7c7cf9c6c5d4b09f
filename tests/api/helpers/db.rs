//! A database that exists for one test: a SQLite file in a temporary
//! directory, or a PostgreSQL database made from a migrated template and
//! dropped when the test ends.

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use keyward::db::{self, DatabaseUrl, DbConn};

pub const TEST_DATABASE_VAR: &str = "KEYWARD_TEST_DATABASE_URL";

/// A database that exists for one test: a SQLite file in a temporary directory,
/// or a uniquely named PostgreSQL database dropped when the test ends.
pub struct TestDb {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg: Option<PgTestDb>,
}

struct PgTestDb {
    admin_url: String,
    name: String,
}

/// The PostgreSQL server URL the suite runs against, if any. A set variable that
/// is not a postgres:// URL is a mistake, not a reason to fall back silently.
pub fn pg_base_url() -> Option<String> {
    let raw = std::env::var(TEST_DATABASE_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())?;
    assert!(
        raw.starts_with("postgres://") || raw.starts_with("postgresql://"),
        "{TEST_DATABASE_VAR} must be a postgres:// URL, got {raw:?}"
    );
    Some(raw)
}

fn pg_url_with_database(base: &str, name: &str) -> String {
    let mut u = url::Url::parse(base).expect("a valid PostgreSQL URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// The migrated template every PostgreSQL test database is copied from,
/// named after the migrations it holds (so a new migration makes a new
/// template): made once per server, then `CREATE DATABASE ... TEMPLATE`.
fn pg_template(admin: &mut diesel::PgConnection, base: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = format!("keyward_test_template_{}", migrations_tag());
            // One process at a time makes it; the others find it made.
            admin
                .batch_execute("SELECT pg_advisory_lock(727001)")
                .expect("lock the template");
            let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &format!("EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"),
            ))
            .get_result(admin)
            .expect("look for the template");
            if !exists {
                let building = format!("{name}_building");
                admin
                    .batch_execute(&format!(
                        "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                    ))
                    .expect("drop a half-made template");
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{building}\""))
                    .expect("create the template");
                let mut conn = db::connect(&DatabaseUrl::Postgres(pg_url_with_database(
                    base, &building,
                )))
                .expect("connect to the template");
                db::run_migrations(&mut conn).expect("migrate the template");
                drop(conn);
                admin
                    .batch_execute(&format!(
                        "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                    ))
                    .expect("publish the template");
            }
            admin
                .batch_execute("SELECT pg_advisory_unlock(727001)")
                .expect("unlock the template");
            name
        })
        .clone()
}

/// A migrated SQLite file that each test copies.
fn sqlite_template() -> &'static std::path::Path {
    static TEMPLATE: OnceLock<(tempfile::TempDir, std::path::PathBuf)> = OnceLock::new();
    let (_, path) = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("template.db");
        let mut conn = db::connect(&DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()))
            .expect("open the template");
        db::run_migrations(&mut conn).expect("migrate the template");
        // Everything in the main file, so a plain copy is the whole database.
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE")
            .expect("checkpoint the template");
        drop(conn);
        (dir, path)
    });
    path
}

/// The migrations' names, hashed: what the template holds.
fn migrations_tag() -> String {
    use sha2::Digest;
    let mut names: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
            .expect("the migrations folder")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
    names.sort();
    let digest = sha2::Sha256::digest(names.join("\n").as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

impl TestDb {
    /// A migrated database (copied from the template: no migrations to run).
    pub fn new() -> Self {
        Self::make(true)
    }

    /// A database with no tables at all, for what migrations themselves do.
    pub fn empty() -> Self {
        Self::make(false)
    }

    fn make(migrated: bool) -> Self {
        match pg_base_url() {
            Some(base) => {
                let name = format!("keyward_test_{}", uuid::Uuid::new_v4().simple());
                let admin_url = pg_url_with_database(&base, "postgres");
                let mut admin = diesel::PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
                let create = if migrated {
                    let template = pg_template(&mut admin, &base);
                    format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")
                } else {
                    format!("CREATE DATABASE \"{name}\"")
                };
                admin
                    .batch_execute(&create)
                    .expect("create the test database");
                TestDb {
                    url: DatabaseUrl::Postgres(pg_url_with_database(&base, &name)),
                    _dir: None,
                    pg: Some(PgTestDb { admin_url, name }),
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let path = dir.path().join("keyward.db");
                if migrated {
                    std::fs::copy(sqlite_template(), &path).expect("copy the template");
                }
                TestDb {
                    url: DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()),
                    _dir: Some(dir),
                    pg: None,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// The URL as DATABASE_URL would carry it.
    pub fn raw_url(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(u) => u.clone(),
            DatabaseUrl::Sqlite(p) => format!("sqlite://{p}"),
        }
    }

    /// A migrated connection.
    pub fn conn(&self) -> DbConn {
        let mut conn = db::connect(&self.url).expect("connect to the test database");
        db::run_migrations(&mut conn).expect("migrate the test database");
        conn
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(pg) = &self.pg {
            if let Ok(mut admin) = diesel::PgConnection::establish(&pg.admin_url) {
                let _ = admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    pg.name
                ));
            }
        }
    }
}
