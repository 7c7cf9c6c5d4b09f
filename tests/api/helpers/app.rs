//! The real app on a random port of 127.0.0.1 over a fresh database, and
//! `TestApp::set_up()`: an app whose first-run setup is done, through the
//! same headless path as `keyward setup`.

use std::collections::HashMap;

use keyward::app::config::Config;
use keyward::app::startup::Application;
use keyward::app::state::AppState;
use keyward::idm::setup::{self, AdminPassword, SetupInput};

use super::db::TestDb;
use super::pages::{ADMIN, ADMIN_PASSWORD};

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
    /// The running server's state, for what a test does behind its back.
    pub state: AppState,
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

/// A browser whose requests a trusted proxy (the test's 127.0.0.1) forwards
/// for `ip`: for tests with `KEYWARD_TRUSTED_PROXIES=127.0.0.1`.
pub fn browser_from(ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        reqwest::header::HeaderValue::from_str(ip).expect("an address"),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
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
        state,
    } = spawn_instance(&db, extra).await;
    TestApp {
        address,
        http,
        db,
        setup_link,
        state,
    }
}

/// One more server process-alike on an existing database (several instances
/// behind a load balancer share one database).
pub struct Instance {
    pub address: String,
    pub http: reqwest::Client,
    pub setup_link: Option<String>,
    pub state: AppState,
}

pub async fn spawn_instance(db: &TestDb, extra: &[(&str, &str)]) -> Instance {
    let config = test_config(db, extra);
    let app = Application::build(config).expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let setup_link = app.setup_link().map(str::to_owned);
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    Instance {
        address,
        http: browser(),
        setup_link,
        state,
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
    /// An app whose setup is complete: organisation "Acme Ops", the issuer at
    /// its own address, the administrator ADMIN / ADMIN_PASSWORD and an RS256
    /// key, done the way `keyward setup` does it (one test drives the wizard).
    pub async fn set_up() -> TestApp {
        Self::set_up_with(&[]).await
    }

    pub async fn set_up_with(extra: &[(&str, &str)]) -> TestApp {
        let app = spawn_app_with(extra).await;
        let input = SetupInput {
            org_name: "Acme Ops".into(),
            issuer: app.address.clone(),
            admin_username: ADMIN.into(),
            admin_email: "admin@acme.example".into(),
            admin_password: AdminPassword::Plain {
                password: ADMIN_PASSWORD.into(),
                confirmation: ADMIN_PASSWORD.into(),
            },
            alg: keyward::crypto::keys::Algorithm::RS256,
        };
        let state = app.state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = state.db.pool().get().expect("a pooled connection");
            setup::complete(&mut conn, input, None, 4, None).expect("setup completes");
            state.republish(&mut conn);
        })
        .await
        .expect("setup ran");
        app
    }

    /// Republishes keys and metadata on this instance at once, as an admin
    /// change made through the pages does (instead of waiting for the sync
    /// task to notice a change a test made in the database).
    pub async fn republish(&self) {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = state.db.pool().get().expect("a pooled connection");
            state.republish(&mut conn);
        })
        .await
        .expect("republished");
    }

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

/// An admin API key made with the CLI's rules (it belongs to no person).
pub fn api_key(app: &TestApp) -> String {
    let (_, key) = keyward::idm::api_keys::create(
        &mut app.db.conn(),
        "tests",
        None,
        &keyward::store::audit::Actor::cli(),
    )
    .unwrap();
    key.expose().to_owned()
}
