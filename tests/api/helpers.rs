//! Test fixtures: a fresh database per test and the real app on a random port.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use keyward::app::config::Config;
use keyward::app::startup::Application;
use keyward::db::DatabaseUrl;
use keyward::db::{self, DbConn};

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

impl TestDb {
    pub fn new() -> Self {
        match pg_base_url() {
            Some(base) => {
                let name = format!("keyward_test_{}", uuid::Uuid::new_v4().simple());
                let admin_url = pg_url_with_database(&base, "postgres");
                let mut admin = diesel::PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
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

/// A configuration for tests: a random port, the given database, cheap bcrypt.
pub fn test_config(db: &TestDb, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("KEYWARD_BIND".into(), "127.0.0.1:0".into()),
        ("DATABASE_URL".into(), db.raw_url()),
        ("KEYWARD_BCRYPT_COST".into(), "4".into()),
        ("KEYWARD_DB_POOL_SIZE".into(), "4".into()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("a valid test configuration")
}

/// The real application, serving on a random port of 127.0.0.1.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub setup_link: Option<String>,
}

/// A client that keeps cookies and does not follow redirects, like a browser
/// whose every step the test checks.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new();
    let Instance {
        address,
        http,
        setup_link,
    } = spawn_instance(&db, extra).await;
    TestApp {
        address,
        http,
        db,
        setup_link,
    }
}

/// One more server process-alike on an existing database (several instances
/// behind a load balancer share one database).
pub struct Instance {
    pub address: String,
    pub http: reqwest::Client,
    pub setup_link: Option<String>,
}

pub async fn spawn_instance(db: &TestDb, extra: &[(&str, &str)]) -> Instance {
    let config = test_config(db, extra);
    let app = Application::build(config).expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let setup_link = app.setup_link().map(str::to_owned);
    tokio::spawn(app.run_until_stopped());
    Instance {
        address,
        http: browser(),
        setup_link,
    }
}

/// Polls `check` every 100 ms until it holds or `secs` pass; returns whether
/// it held.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if check().await {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

/// Polls all the futures together (what `futures::future::join_all` does).
pub async fn join_all<Fut: std::future::Future>(futs: Vec<Fut>) -> Vec<Fut::Output> {
    let mut pinned: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<Fut::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every future finished"))
        .collect()
}
