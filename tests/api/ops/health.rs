//! Liveness and readiness (also while the database is down), the security
//! headers every response carries, static assets and unknown paths.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward::app::published::Publisher;
use keyward::app::state::{AppState, Parts};
use keyward::db::DatabaseUrl;
use keyward::db::{self, Db};
use keyward::keys::ring::{KeyRing, KeySet};

use crate::helpers::*;

/// Serves the app with its pool pointed at `pool_url` (a database that may not
/// be there); returns the base address.
fn serve_over(db: &TestDb, pool_url: &DatabaseUrl) -> String {
    let state = AppState::new(Parts {
        config: test_config(db, &[]),
        db: Db::new(db::build_pool(pool_url, 2)),
        keys: Arc::new(KeyRing::new(KeySet::default(), None)),
        published: Arc::new(Publisher::default()),
        setup_complete: true,
        session_key: actix_web::cookie::Key::generate(),
        templates: keyward::web::templates::tera(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(keyward::app::startup::run(listener, state).unwrap());
    address
}

#[tokio::test]
async fn healthz_and_readyz_answer_200() {
    let app = spawn_app().await;

    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let expected = if app.db.is_postgres() {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/healthz", "/static/keyward.css", "/no-such-page"] {
        let res = app.get(path).await;
        let h = res.headers();
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
}

#[tokio::test]
async fn static_assets_are_served_locally() {
    let app = spawn_app().await;
    let res = app.get("/static/keyward.css").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    assert!(res.text().await.unwrap().contains(":root"));
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
    assert_eq!(app.get("/static/nope.js").await.status(), 404);
}

#[tokio::test]
async fn unknown_paths_give_a_page_to_browsers_and_json_to_others() {
    let app = spawn_app().await;
    let res = app.get("/nowhere").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    let res = app
        .http
        .get(app.url("/nowhere"))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Not found"), "{html}");
    assert!(html.contains("/static/keyward.css"));
}

/// Serves the app over a pool whose database is not there (yet): readiness
/// must say 503 quickly, and 200 once the database appears, without a restart.
#[tokio::test]
async fn readyz_is_503_while_the_database_is_down_and_recovers() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("not-yet");
    let down_url = DatabaseUrl::Sqlite(missing_dir.join("k.db").to_string_lossy().into_owned());
    let address = serve_over(&db, &down_url);
    let http = reqwest::Client::new();

    let started = Instant::now();
    let res = http.get(format!("{address}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "database_unavailable");
    // The cause is logged, not shown.
    assert!(!body.to_string().contains("not-yet"), "{body}");
    // Liveness does not depend on the database.
    assert_eq!(
        http.get(format!("{address}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    std::fs::create_dir_all(&missing_dir).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = http
            .get(format!("{address}/readyz"))
            .send()
            .await
            .unwrap()
            .status();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "readyz did not recover: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// PostgreSQL: a stopped server (here: nothing listening on the port) gives a
/// quick 503.
#[tokio::test]
async fn readyz_is_503_quickly_when_postgresql_is_unreachable() {
    let db = TestDb::new();
    // Port 9 (discard) has no PostgreSQL on it.
    let down_url = DatabaseUrl::Postgres("postgres://postgres@127.0.0.1:9/keyward".into());
    let address = serve_over(&db, &down_url);
    let started = Instant::now();
    let res = reqwest::get(format!("{address}/readyz")).await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
}
