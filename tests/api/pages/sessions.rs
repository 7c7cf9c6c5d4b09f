//! Server-side sessions, sign-in behind a reverse proxy and under a burst,
//! API keys bound to their creator, secrets at rest, audit noise, the
//! single-use setup code: the findings of the sessions issue, each as it was
//! tried against the release build.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;

use crate::helpers::*;

/// A client without a cookie store, so a test can copy cookies by hand.
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The whole `Set-Cookie` line of the session cookie, attributes included.
fn session_cookie_line(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("keyward_session="))
        .map(str::to_owned)
}

/// The session cookie as a `Cookie` header sends it back (`name=value`).
fn session_cookie(res: &reqwest::Response) -> Option<String> {
    session_cookie_line(res).map(|v| v.split(';').next().unwrap().to_owned())
}

/// Signs in by hand; returns the session cookie and the full Set-Cookie line.
async fn sign_in_by_hand(app: &TestApp, remember: bool) -> (String, String) {
    let http = bare();
    let res = http.get(app.url("/login")).send().await.unwrap();
    let anon = session_cookie(&res).expect("the form starts a session");
    let html = res.text().await.unwrap();
    let mut form = vec![
        ("csrf_token", csrf(&html)),
        ("username", ADMIN.to_owned()),
        ("password", ADMIN_PASSWORD.to_owned()),
    ];
    if remember {
        form.push(("remember", "yes".into()));
    }
    let res = http
        .post(app.url("/login"))
        .header(COOKIE, &anon)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let line = session_cookie_line(&res).unwrap();
    let cookie = line.split(';').next().unwrap().to_owned();
    assert_ne!(cookie, anon, "a new session id at sign-in");
    (cookie, line)
}

async fn account_status_with(app: &TestApp, cookie: &str) -> StatusCode {
    bare()
        .get(app.url("/account"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn sign_out_ends_the_session_even_for_a_copied_cookie() {
    let app = TestApp::set_up().await;
    let (cookie, line) = sign_in_by_hand(&app, false).await;
    assert!(!line.contains("Max-Age"), "ends with the browser: {line}");
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Lax"),
        "{line}"
    );
    let copy = cookie.clone();
    assert_eq!(account_status_with(&app, &cookie).await, 200);
    // Only the digest of the id is stored, and the state is sealed.
    let id = &cookie[cookie.find("kw_ss_").expect("the signed id")..];
    let rows = keyward::store::sessions::find_by_digest(
        &mut app.db.conn(),
        &keyward::crypto::secret::digest(id),
    )
    .unwrap();
    let row = rows.expect("the row is found by the digest of the id");
    assert!(
        !row.data.contains("csrf") && !row.data.contains(ADMIN),
        "sealed state"
    );
    assert_eq!(row.address.as_deref(), Some("127.0.0.1"));

    let html = bare()
        .get(app.url("/account"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = bare()
        .post(app.url("/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf_token", csrf(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The copy taken before sign-out is signed out too: the row is gone.
    assert_eq!(account_status_with(&app, &copy).await, 303);
    // Garbage, a forged id and an unknown id are "signed out", not errors.
    for bad in [
        "keyward_session=nonsense".to_owned(),
        format!("keyward_session={}", "A".repeat(300)),
        format!("keyward_session={}x", &cookie["keyward_session=".len()..]),
    ] {
        assert_eq!(account_status_with(&app, &bad).await, 303, "{bad}");
    }
}

#[tokio::test]
async fn keep_me_signed_in_makes_the_cookie_outlive_the_browser() {
    let app = TestApp::set_up().await;
    let (_, line) = sign_in_by_hand(&app, true).await;
    assert!(line.contains("Max-Age=2592000"), "30 days: {line}");
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_signs_one_out() {
    let app = TestApp::set_up_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let (laptop, phone) = (browser_from("198.51.100.7"), browser_from("203.0.113.50"));
    assert_eq!(
        sign_in(&app, &laptop, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );
    assert_eq!(
        sign_in(&app, &phone, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );
    let (_, html) = get_html(&laptop, &app.url("/account")).await;
    assert!(
        html.contains("198.51.100.7") && html.contains("203.0.113.50"),
        "{html}"
    );
    assert!(html.contains("· this session"));
    // The laptop signs the phone out.
    let admin = keyward::store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap();
    let phone_id = session_from(&app, &admin.id, "203.0.113.50");
    let res = post_form(
        &laptop,
        &app.url(&format!("/account/sessions/{phone_id}/end")),
        &[("csrf_token", &csrf(&html))],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(account_status(&app, &phone).await, 303);
    assert_eq!(get_html(&laptop, &app.url("/account")).await.0, 200);
    assert_eq!(audit_events(&app, "session.end").len(), 1);
}

#[tokio::test]
async fn an_admin_sees_ends_sessions_and_clears_a_throttle() {
    let app = TestApp::set_up_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let member = browser_from("198.51.100.9");
    let ann = add_person(
        &app,
        "ann",
        Some("ann@acme.example"),
        "correct-horse-battery",
        false,
    );
    assert_eq!(
        sign_in(&app, &member, "ann", "correct-horse-battery")
            .await
            .status(),
        303
    );
    let guesser = browser_from("203.0.113.66");
    for _ in 0..5 {
        sign_in(&app, &guesser, "ann@acme.example", "wrong-password-123").await;
    }
    assert_eq!(
        sign_in(&app, &guesser, "ann", "correct-horse-battery")
            .await
            .status(),
        429
    );

    let admin = app.admin().await;
    let page = app.url(&format!("/admin/users/{}", ann.id));
    let (_, html) = get_html(&admin, &page).await;
    assert!(html.contains("198.51.100.9"), "the session: {html}");
    assert!(
        html.contains("203.0.113.66 until"),
        "the blocked address: {html}"
    );
    let res = post_form(
        &admin,
        &format!("{page}/unlock"),
        &[("csrf_token", &csrf(&html))],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        sign_in(&app, &guesser, "ann", "correct-horse-battery")
            .await
            .status(),
        303
    );

    let sid = session_from(&app, &ann.id, "198.51.100.9");
    let (_, html) = get_html(&admin, &page).await;
    let res = post_form(
        &admin,
        &format!("{page}/sessions/{sid}/end"),
        &[("csrf_token", &csrf(&html))],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(account_status(&app, &member).await, 303);
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_address_changes_nothing() {
    let app = TestApp::set_up().await;
    for i in 0..5 {
        let spoofer = browser_from(&format!("192.0.2.{i}"));
        assert_eq!(
            sign_in(&app, &spoofer, ADMIN, "wrong-password-123")
                .await
                .status(),
            401
        );
    }
    // Every attempt counted against the real address, 127.0.0.1.
    assert_eq!(
        sign_in(&app, &browser_from("192.0.2.200"), ADMIN, ADMIN_PASSWORD)
            .await
            .status(),
        429
    );
    let failures = audit_events(&app, "login");
    assert!(
        failures
            .iter()
            .all(|e| e.ip.as_deref() == Some("127.0.0.1")),
        "{failures:?}"
    );
}

#[tokio::test]
async fn parallel_guesses_cannot_overshoot_and_email_counts_as_the_account() {
    let app = TestApp::set_up().await;
    let attempts: Vec<_> = (0..30)
        .map(|i| {
            let name = if i % 2 == 0 {
                ADMIN
            } else {
                "admin@acme.example"
            };
            let http = browser();
            let app = &app;
            async move {
                sign_in(app, &http, name, "wrong-password-123")
                    .await
                    .status()
                    .as_u16()
            }
        })
        .collect();
    let statuses = join_all(attempts).await;
    let guessed = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(guessed, 5, "five guesses, no more: {statuses:?}");
    // The rest were told to wait: throttled, or refused by the saturated
    // password checks before they were counted.
    assert!(
        statuses.iter().all(|s| [401, 429, 503].contains(s)),
        "{statuses:?}"
    );
    let failures = audit_events(&app, "login")
        .into_iter()
        .filter(|e| e.action == "login" && e.outcome == "failure")
        .count();
    assert_eq!(failures, 5, "five failures recorded");
}

#[tokio::test]
async fn a_sign_in_burst_neither_exhausts_the_pool_nor_slows_the_token_endpoint() {
    let app = TestApp::set_up_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let machine = app.register(TestClient::confidential().with(|s| {
        s.grant_types = Some(vec!["client_credentials".into()]);
        s.scopes = Some(vec![]);
    }));
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let http = browser_from(&format!("198.51.100.{}", i + 1));
            let app = &app;
            async move {
                let res = sign_in(app, &http, ADMIN, ADMIN_PASSWORD).await;
                let retry = res.headers().contains_key("retry-after");
                (res.status().as_u16(), retry)
            }
        })
        .collect();
    let token = async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let started = std::time::Instant::now();
        let res = exchange(&app, &machine, &[("grant_type", "client_credentials")]).await;
        (res.status().as_u16(), started.elapsed())
    };
    let (answers, (token_status, _took)) = tokio::join!(join_all(burst), token);
    assert_eq!(
        token_status, 200,
        "the token endpoint answers during the burst"
    );
    for (status, retry) in &answers {
        assert!(
            *status == 303 || (*status == 503 && *retry),
            "signed in, or told to retry: {answers:?}"
        );
    }
    assert!(answers.iter().any(|(s, _)| *s == 303));
}

#[tokio::test]
async fn api_keys_stop_with_their_creator_and_at_their_expiry() {
    let app = TestApp::set_up().await;
    let ops = add_person(&app, "ops", None, "correct-horse-battery", true);
    let mut conn = app.db.conn();
    let by_ops = keyward::store::audit::Actor::new(ops.id.to_string(), None);
    let (_, key) = keyward::idm::api_keys::create(&mut conn, "ops script", None, &by_ops).unwrap();
    let (_, short) = keyward::idm::api_keys::create(
        &mut conn,
        "short",
        Some(1),
        &keyward::store::audit::Actor::cli(),
    )
    .unwrap();
    drop(conn);
    let status = |key: String| {
        let (h, url) = (app.http.clone(), app.url("/api/v1/users"));
        async move { h.get(url).bearer_auth(key).send().await.unwrap().status() }
    };
    assert_eq!(status(key.expose().into()).await, 200);
    assert_eq!(status(short.expose().into()).await, 200);
    // Disabled: the key stops at once; enabled again, it works again.
    let mut conn = app.db.conn();
    keyward::idm::accounts::set_disabled(
        &mut conn,
        &ops,
        true,
        &keyward::store::audit::Actor::cli(),
    )
    .unwrap();
    assert_eq!(status(key.expose().into()).await, 401);
    keyward::idm::accounts::set_disabled(
        &mut conn,
        &ops,
        false,
        &keyward::store::audit::Actor::cli(),
    )
    .unwrap();
    assert_eq!(status(key.expose().into()).await, 200);
    // Deleted: stopped for good.
    keyward::idm::accounts::delete(&mut conn, &ops, &keyward::store::audit::Actor::cli()).unwrap();
    assert_eq!(status(key.expose().into()).await, 401);
    // Expired: a day later it stops by itself.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE admin_api_keys SET expires_at = 1 WHERE name = 'short'"),
        &mut conn,
    )
    .unwrap();
    assert_eq!(status(short.expose().into()).await, 401);
    let listed = keyward::idm::api_keys::list(&mut conn, keyward::store::now()).unwrap();
    let states: Vec<_> = listed.iter().map(|v| v.state).collect();
    assert!(states.contains(&keyward::idm::api_keys::KeyState::Expired));
    assert!(states.contains(&keyward::idm::api_keys::KeyState::OwnerInactive));
}

#[tokio::test]
async fn the_cookie_key_is_sealed_and_a_wrong_key_refuses_to_start() {
    let db = TestDb::new();
    let kek = "0f".repeat(32);
    let first = spawn_instance(&db, &[("KEYWARD_KEY_ENCRYPTION_KEY", &kek)]).await;
    drop(first);
    let stored = keyward::store::settings::get(&mut db.conn(), "session_key")
        .unwrap()
        .unwrap();
    assert!(stored.starts_with("aes256gcm:"), "sealed at rest");
    let wrong = test_config(&db, &[("KEYWARD_KEY_ENCRYPTION_KEY", &"1e".repeat(32))]);
    let err = keyward::app::startup::Application::build(wrong)
        .err()
        .expect("refuses to start");
    assert!(
        err.to_string().contains("KEYWARD_KEY_ENCRYPTION_KEY"),
        "{err:#}"
    );
    let after = keyward::store::settings::get(&mut db.conn(), "session_key")
        .unwrap()
        .unwrap();
    assert_eq!(after, stored, "nothing changed");
    let none = test_config(&db, &[]);
    assert!(
        keyward::app::startup::Application::build(none).is_err(),
        "no key: no start"
    );
}

#[tokio::test]
async fn anonymous_api_noise_is_logged_once_a_minute_and_old_events_purge() {
    let app = TestApp::set_up_with(&[("KEYWARD_METRICS_PUBLIC", "true")]).await;
    for _ in 0..30 {
        let res = app.get("/api/v1/users").await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(audit_events(&app, "api.refused").len(), 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("keyward_api_refused_total 30"),
        "every one counted: {metrics}"
    );
    // Retention: events older than the setting (180 days) go with the cleanup.
    let mut conn = app.db.conn();
    let now = keyward::store::now();
    let kept = keyward::app::tasks::purge_expired(&mut conn, now).unwrap();
    assert_eq!(kept.audit_events, 0);
    let purged = keyward::app::tasks::purge_expired(&mut conn, now + 181 * 86_400).unwrap();
    assert!(purged.audit_events >= 1, "{purged:?}");
}

#[tokio::test]
async fn the_setup_link_works_once() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().unwrap();
    let first = browser();
    assert_eq!(first.get(&link).send().await.unwrap().status(), 303);
    assert_eq!(get_html(&first, &app.url("/setup")).await.0, 200);
    let second = browser();
    let res = second.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 403, "spent by the first opening");
    assert_eq!(audit_events(&app, "setup.code_spent").len(), 1);
}

#[tokio::test]
async fn https_issuers_get_hsts_and_secure_cookies() {
    let app = spawn_app_with(&[("KEYWARD_ISSUER", "https://id.acme.example")]).await;
    let res = bare().get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        res.headers()["strict-transport-security"].to_str().unwrap(),
        "max-age=31536000"
    );
    let line = session_cookie_line(&res).unwrap_or_default();
    assert!(line.is_empty() || line.contains("Secure"), "{line}");
    let plain = spawn_app().await;
    let res = bare().get(plain.url("/healthz")).send().await.unwrap();
    assert!(!res.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn instances_on_one_database_share_sessions_and_sign_outs() {
    let app = TestApp::set_up().await;
    let other = spawn_instance(&app.db, &[]).await;
    let (cookie, _) = sign_in_by_hand(&app, false).await;
    let on_other = |path: &str| {
        bare()
            .get(format!("{}{path}", other.address))
            .header(COOKIE, &cookie)
            .send()
    };
    let res = on_other("/account").await.unwrap();
    assert_eq!(res.status(), 200, "the other instance knows the session");
    let html = res.text().await.unwrap();
    let res = bare()
        .post(format!("{}/logout", other.address))
        .header(COOKIE, &cookie)
        .form(&[("csrf_token", csrf(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        account_status_with(&app, &cookie).await,
        303,
        "signed out on the first too"
    );
}

#[tokio::test]
async fn an_expired_or_idle_session_is_signed_out_without_an_error() {
    let app = TestApp::set_up().await;
    let (cookie, _) = sign_in_by_hand(&app, false).await;
    let (idle, _) = sign_in_by_hand(&app, false).await;
    let mut conn = app.db.conn();
    let digest = |c: &str| keyward::crypto::secret::digest(&c[c.find("kw_ss_").unwrap()..]);
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE sessions SET expires_at = 1 WHERE secret_digest = '{}'",
            digest(&cookie)
        )),
        &mut conn,
    )
    .unwrap();
    // Unused for longer than the idle timeout (8 hours).
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE sessions SET last_seen_at = last_seen_at - 9 * 3600 WHERE secret_digest = '{}'",
            digest(&idle)
        )),
        &mut conn,
    )
    .unwrap();
    for c in [&cookie, &idle] {
        let res = bare()
            .get(app.url("/account"))
            .header(COOKIE, c)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert!(res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login"));
    }
    let purged = keyward::app::tasks::purge_expired(&mut conn, keyward::store::now()).unwrap();
    assert!(purged.sessions >= 2, "{purged:?}");
}

#[tokio::test]
async fn the_dashboard_warns_while_keys_are_stored_in_plain_text() {
    let app = TestApp::set_up().await;
    let (_, html) = get_html(&app.admin().await, &app.url("/admin")).await;
    assert!(html.contains("stored in plain text"), "{html}");
    let sealed = TestApp::set_up_with(&[("KEYWARD_KEY_ENCRYPTION_KEY", &"0f".repeat(32))]).await;
    let (_, html) = get_html(&sealed.admin().await, &sealed.url("/admin")).await;
    assert!(!html.contains("stored in plain text"));
}

#[tokio::test]
async fn lifetimes_follow_the_kind_of_session() {
    let app = TestApp::set_up().await;
    let row_of = |cookie: &str| {
        keyward::store::sessions::find_by_digest(
            &mut app.db.conn(),
            &keyward::crypto::secret::digest(&cookie[cookie.find("kw_ss_").unwrap()..]),
        )
        .unwrap()
        .unwrap()
    };
    let res = bare().get(app.url("/login")).send().await.unwrap();
    let anon = row_of(&session_cookie(&res).unwrap());
    assert_eq!(anon.user_id, None);
    assert_eq!(
        anon.idle_timeout, 3_600,
        "a sign-in form's session goes within the hour"
    );
    let (browser_session, _) = sign_in_by_hand(&app, false).await;
    let s = row_of(&browser_session);
    assert_eq!(
        (s.idle_timeout, s.expires_at - s.created_at),
        (8 * 3_600, 24 * 3_600)
    );
    assert!(!s.persistent);
    let (kept, _) = sign_in_by_hand(&app, true).await;
    let k = row_of(&kept);
    assert_eq!(
        (k.idle_timeout, k.expires_at - k.created_at),
        (0, 30 * 86_400)
    );
    assert!(k.persistent && k.user_id.is_some());
}
