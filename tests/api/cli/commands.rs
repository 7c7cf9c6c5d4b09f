//! The `keyward` binary as an operator runs it.

use std::process::Command;

use crate::helpers::*;

#[test]
fn help_documents_every_subcommand() {
    let out = keyward("unused.db").run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in ["serve", "migrate"] {
        assert!(help.contains(sub), "--help lacks {sub}: {help}");
    }
    assert!(help.contains("DATABASE_URL"));
}

#[test]
fn migrate_applies_the_migrations_once() {
    let db = TestDb::empty();
    let out = keyward(&db.raw_url()).run(&["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("8 migration(s) applied"), "{stdout}");
    let again = keyward(&db.raw_url()).run(&["migrate"]);
    assert!(again.status.success());
    assert!(String::from_utf8(again.stdout)
        .unwrap()
        .starts_with("0 migration(s) applied"));
}

#[test]
fn a_malformed_setting_stops_the_start_with_one_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .env_clear()
        .env("KEYWARD_BIND", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("keyward: KEYWARD_BIND: 'not-an-address'"),
        "{stderr}"
    );
}

#[test]
fn a_bad_trusted_proxy_list_stops_the_start_naming_the_entry() {
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .env_clear()
        .env("KEYWARD_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("keyward: KEYWARD_TRUSTED_PROXIES:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("'proxy.internal' is not an IP address or CIDR range"),
        "{stderr}"
    );
}

#[test]
fn an_unopenable_database_stops_the_start_with_its_real_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("k.db");
    let out = keyward(&path.to_string_lossy()).run(&["serve"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("keyward: cannot open SQLite database"),
        "{stderr}"
    );
    assert!(last.contains("missing-dir"), "{stderr}");
}

/// Runs against the suite's PostgreSQL server (KEYWARD_TEST_DATABASE_URL); on
/// the SQLite run the case above covers the same rule.
#[test]
fn a_postgres_authentication_failure_is_named() {
    let Some(base) = crate::helpers::pg_base_url() else {
        return;
    };
    let mut u = url::Url::parse(&base).unwrap();
    u.set_username("keyward_no_such_role").unwrap();
    u.set_password(Some("wrong")).unwrap();
    u.set_path("/x");
    let out = keyward(u.as_str()).run(&["serve"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("keyward: cannot connect to PostgreSQL:"),
        "{stderr}"
    );
    assert!(stderr.contains("keyward_no_such_role"), "{stderr}");
    assert!(
        !stderr.contains("wrong"),
        "the password must not be printed: {stderr}"
    );
    assert!(
        !stderr.contains("creating it"),
        "a missing role is not a missing database: {stderr}"
    );
}

/// A missing PostgreSQL database is created on first start.
#[test]
fn a_missing_postgres_database_is_created() {
    let Some(base) = crate::helpers::pg_base_url() else {
        return;
    };
    let name = format!("keyward_create_{}", uuid::Uuid::new_v4().simple());
    let mut u = url::Url::parse(&base).unwrap();
    u.set_path(&format!("/{name}"));
    let out = keyward(u.as_str()).run(&["migrate"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Clean up before asserting.
    u.set_path("/postgres");
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(u.as_str()).unwrap();
    diesel::connection::SimpleConnection::batch_execute(
        &mut admin,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .unwrap();
    assert!(out.status.success(), "{stderr}");
}

#[tokio::test]
async fn health_probes_the_running_server() {
    let app = crate::helpers::spawn_app().await;
    let bind = app.address.trim_start_matches("http://").to_owned();
    let probe = |args: &'static [&'static str], bind: String| {
        Command::new(env!("CARGO_BIN_EXE_keyward"))
            .args(args)
            .env_clear()
            .env("KEYWARD_BIND", bind)
            .output()
            .unwrap()
    };
    let b = bind.clone();
    let out = tokio::task::spawn_blocking(move || probe(&["health", "--ready"], b))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "/readyz: 200"
    );
    // Nothing listens on port 9: the probe fails.
    let out = tokio::task::spawn_blocking(move || probe(&["health"], "127.0.0.1:9".into()))
        .await
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn the_user_cli_adds_lists_changes_and_disables_users() {
    use keyward::crypto::password;
    use keyward::store::users;
    let db = TestDb::new();
    let url = db.raw_url();

    let out = keyward(&url).stdin("plum-tractor-lantern\n").run(&[
        "user",
        "add",
        "Alice",
        "--email",
        "alice@example.com",
        "--admin",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alice = users::find_by_username(&mut db.conn(), "alice")
        .unwrap()
        .unwrap();
    assert!(alice.is_admin);
    let hash = alice.password_hash.clone().unwrap();
    assert!(
        hash.starts_with("$2b$04$"),
        "bcrypt with the configured cost"
    );
    assert!(password::verify("plum-tractor-lantern", &hash));

    // Generated password, printed once in the JSON.
    let out = keyward(&url)
        .stdin("")
        .run(&["user", "add", "bob", "--generate", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bob = users::find_by_username(&mut db.conn(), "bob")
        .unwrap()
        .unwrap();
    assert_eq!(created["id"], bob.id.as_str());
    assert!(password::verify(
        created["password"].as_str().unwrap(),
        bob.password_hash.as_deref().unwrap()
    ));

    // Refusals name the problem and create nothing.
    for (args, stdin, expected) in [
        (
            vec!["user", "add", "ALICE"],
            "another-good-password\n",
            "username: This username is taken.",
        ),
        (
            vec!["user", "add", "carol", "--email", "ALICE@example.com"],
            "another-good-password\n",
            "email: Another account uses this email.",
        ),
        (
            vec!["user", "add", "carol"],
            "password1234\n",
            "common passwords",
        ),
        (vec!["user", "add", "carol"], "short\n", "at least 12"),
        (
            vec!["user", "add", "c a r o l"],
            "another-good-password\n",
            "username:",
        ),
        (
            vec!["user", "add", "carol", "--email", "nope"],
            "another-good-password\n",
            "email:",
        ),
        (
            vec!["user", "add", "carol"],
            "",
            "no password on standard input",
        ),
    ] {
        let out = keyward(&url).stdin(stdin).run(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(users::count(&mut db.conn()).unwrap(), 2);

    let out = keyward(&url).stdin("").run(&["user", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec!["Alice", "bob"]);
    assert!(
        list.to_string().find("password").is_none(),
        "no hashes in listings"
    );

    let out = keyward(&url)
        .stdin("a-brand-new-secret\n")
        .run(&["user", "passwd", "alice"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = users::find_by_username(&mut db.conn(), "alice")
        .unwrap()
        .unwrap();
    assert!(password::verify(
        "a-brand-new-secret",
        after.password_hash.as_deref().unwrap()
    ));
    assert_eq!(after.session_epoch, alice.session_epoch + 1, "sessions end");

    let out = keyward(&url).stdin("").run(&["user", "disable", "bob"]);
    assert!(out.status.success());
    assert!(
        users::find_by_username(&mut db.conn(), "bob")
            .unwrap()
            .unwrap()
            .disabled
    );
    let out = keyward(&url).stdin("").run(&["user", "disable", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no such user: nobody"));
}

#[test]
fn headless_setup_follows_the_wizard_rules_and_completes_once() {
    use keyward::store::{self, settings};
    let db = TestDb::new();
    let url = db.raw_url();
    let setup = |args: &[&str], stdin: &str| {
        let mut all = vec!["setup"];
        all.extend_from_slice(args);
        keyward(&url).stdin(stdin).run(&all)
    };
    let base = [
        "--org",
        "Acme",
        "--issuer",
        "https://id.acme.example",
        "--admin",
        "root",
        "--email",
        "root@acme.example",
    ];

    // The same refusals as the wizard, and nothing is stored.
    for (args, stdin, expected) in [
        (base.to_vec(), "password1234\n", "common passwords"),
        (base.to_vec(), "short\n", "at least 12"),
        (
            [
                "--org",
                "Acme",
                "--issuer",
                "http://id.acme.example",
                "--admin",
                "root",
                "--email",
                "root@acme.example",
            ]
            .to_vec(),
            "quiet-harbour-morning\n",
            "https",
        ),
        (
            [
                "--org",
                "Acme",
                "--issuer",
                "https://id.acme.example",
                "--admin",
                "r t",
                "--email",
                "root@acme.example",
            ]
            .to_vec(),
            "quiet-harbour-morning\n",
            "username",
        ),
        (
            [
                "--org",
                "",
                "--issuer",
                "https://id.acme.example",
                "--admin",
                "root",
                "--email",
                "root@acme.example",
            ]
            .to_vec(),
            "quiet-harbour-morning\n",
            "1 to 100",
        ),
    ] {
        let out = setup(&args, stdin);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let mut conn = db.conn();
    assert!(!keyward::idm::setup::is_complete(&mut conn).unwrap());
    assert_eq!(store::users::count(&mut conn).unwrap(), 0);

    let mut args = base.to_vec();
    args.extend(["--alg", "EdDSA"]);
    let out = setup(&args, "quiet-harbour-morning\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("https://id.acme.example/.well-known/openid-configuration"),
        "{stdout}"
    );
    assert!(keyward::idm::setup::is_complete(&mut conn).unwrap());
    assert_eq!(
        settings::get(&mut conn, settings::ISSUER)
            .unwrap()
            .as_deref(),
        Some("https://id.acme.example")
    );
    assert_eq!(
        settings::get(&mut conn, settings::ORG_NAME)
            .unwrap()
            .as_deref(),
        Some("Acme")
    );
    let root = store::users::find_by_username(&mut conn, "root")
        .unwrap()
        .unwrap();
    assert!(root.is_admin);
    let keys = store::keys::list(&mut conn).unwrap();
    assert_eq!(
        (keys.len(), keys[0].alg.as_str(), keys[0].status.as_str()),
        (1, "EdDSA", "active")
    );

    // Once only.
    let out = setup(&args, "quiet-harbour-morning\n");
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("setup is already complete"));
    let out = keyward(&url).run(&["setup-code"]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn setup_code_replaces_the_previous_link() {
    let app = crate::helpers::spawn_app().await;
    let first = app.setup_link.clone().unwrap();
    let url = app.db.raw_url();
    let out = tokio::task::spawn_blocking(move || keyward(&url).run(&["setup-code"]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let code = printed.split("code=").nth(1).unwrap().to_owned();
    assert!(
        code.starts_with("kw_setup_") && code.len() > 40,
        "{printed}"
    );
    // The old link is spent; the new one opens setup.
    let http = crate::helpers::browser();
    assert_eq!(http.get(&first).send().await.unwrap().status(), 403);
    let res = http
        .get(app.url(&format!("/setup?code={code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        http.get(app.url("/setup")).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn a_preset_setup_code_opens_setup() {
    let app =
        crate::helpers::spawn_app_with(&[("KEYWARD_SETUP_CODE", "automation-code-0123456789")])
            .await;
    assert!(app
        .setup_link
        .as_deref()
        .unwrap()
        .ends_with("/setup?code=automation-code-0123456789"));
    let http = crate::helpers::browser();
    assert_eq!(
        http.get(app.url("/setup?code=automation-code-0123456789"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        http.get(app.url("/setup")).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn user_sessions_and_unlock_from_the_command_line() {
    let app = TestApp::set_up_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let url = app.db.raw_url();
    let laptop = browser_from("198.51.100.31");
    assert_eq!(
        sign_in(&app, &laptop, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );
    let guesser = browser_from("203.0.113.31");
    for _ in 0..5 {
        sign_in(&app, &guesser, ADMIN, "wrong-password-123").await;
    }
    assert_eq!(
        sign_in(&app, &guesser, ADMIN, ADMIN_PASSWORD)
            .await
            .status(),
        429
    );

    let out = keyward(&url).run(&["user", "sessions", ADMIN, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["address"] == "198.51.100.31"),
        "{list}"
    );

    let out = keyward(&url).run(&["user", "unlock", ADMIN]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("unlocked"));
    assert_eq!(
        sign_in(&app, &guesser, ADMIN, ADMIN_PASSWORD)
            .await
            .status(),
        303
    );
    let out = keyward(&url).run(&["user", "unlock", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such user: nobody"));
}

#[tokio::test]
async fn settings_are_shown_and_changed_from_the_command_line() {
    let app = TestApp::set_up().await;
    let url = app.db.raw_url();
    let out = keyward(&url).run(&["settings", "show", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = json_of(&out);
    assert_eq!(shown["org_name"], "Acme Ops");
    assert_eq!(shown["session_idle_timeout"], 8 * 3600);

    let out = keyward(&url).run(&[
        "settings",
        "set",
        "--session-idle-timeout",
        "1800",
        "--org-name",
        "Acme Platform",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = json_of(&out);
    assert_eq!(saved["session_idle_timeout"], 1800);
    assert_eq!(saved["org_name"], "Acme Platform");
    assert_eq!(
        saved["default_access_token_ttl"],
        shown["default_access_token_ttl"]
    );
    assert_eq!(audit_events(&app, "settings.update").len(), 1);

    // Out of range: one line naming the setting, nothing changed.
    let out = keyward(&url).run(&["settings", "set", "--session-idle-timeout", "5"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("session_idle_timeout"), "{err}");
    let out = keyward(&url).run(&["settings", "show"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1800 s"), "{text}");
}
