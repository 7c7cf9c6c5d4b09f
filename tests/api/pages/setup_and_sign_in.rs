//! Setup, sign-in, sessions and the account page, driven the way a browser
//! drives them: real forms, real cookies, CSRF tokens read from the pages.

use crate::helpers::*;

#[tokio::test]
async fn before_setup_pages_lead_to_setup_and_setup_needs_the_code() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/account"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), "/setup", "{path}");
    }
    let (status, html) = get_html(&app.http, &app.url("/setup")).await;
    assert_eq!(status, 403);
    assert!(html.contains("keyward setup-code"), "{html}");
    let (status, _) = get_html(&app.http, &app.url("/setup?code=kw_setup_wrong")).await;
    assert_eq!(status, 403);
    // Protocol endpoints are not gated.
    assert_eq!(app.get("/.well-known/jwks.json").await.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn the_wizard_validates_each_step_and_completes_setup() {
    let app = spawn_app().await;
    let http = browser();
    let link = app.setup_link.clone().unwrap();
    assert!(
        link.starts_with(&format!("{}/setup?code=kw_setup_", app.address)),
        "{link}"
    );
    assert_eq!(http.get(&link).send().await.unwrap().status(), 303);

    // Step 1: the issuer is pre-filled from the request; a bad one is refused.
    let (status, html) = get_html(&http, &app.url("/setup")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("value=\"{}\"", app.address)),
        "issuer pre-filled"
    );
    let token = csrf(&html);
    let res = post_form(
        &http,
        &app.url("/setup/org"),
        &[
            ("csrf_token", &token),
            ("org_name", "Acme"),
            ("issuer", "http://id.example.com"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("must use https"), "{html}");
    assert!(html.contains("value=\"Acme\""), "typed values are kept");
    let res = post_form(
        &http,
        &app.url("/setup/org"),
        &[
            ("csrf_token", "forged"),
            ("org_name", "Acme"),
            ("issuer", &app.address),
        ],
    )
    .await;
    assert_eq!(res.status(), 403, "CSRF");
    let res = post_form(
        &http,
        &app.url("/setup/org"),
        &[
            ("csrf_token", &token),
            ("org_name", "Acme <Ops>"),
            ("issuer", &app.address),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);

    // Step 2: the password rules.
    let (_, html) = get_html(&http, &app.url("/setup")).await;
    assert!(html.contains("The first administrator"));
    for (pw, confirm, expected) in [
        ("password1234", "password1234", "common passwords"),
        ("short", "short", "at least 12"),
        (
            "plum-tractor-lantern",
            "plum-tractor-lanterns",
            "do not match",
        ),
    ] {
        let res = post_form(
            &http,
            &app.url("/setup/admin"),
            &[
                ("csrf_token", &token),
                ("username", ADMIN),
                ("email", "admin@acme.example"),
                ("password", pw),
                ("password_confirmation", confirm),
            ],
        )
        .await;
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains(expected), "{pw}: {html}");
        assert!(
            !html.contains(pw) || pw == "short",
            "a typed password is never echoed back"
        );
    }
    let res = post_form(
        &http,
        &app.url("/setup/admin"),
        &[
            ("csrf_token", &token),
            ("username", ADMIN),
            ("email", "admin@acme.example"),
            ("password", ADMIN_PASSWORD),
            ("password_confirmation", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);

    // Step 3: the algorithm; RS256 preselected.
    let (_, html) = get_html(&http, &app.url("/setup")).await;
    assert!(html.contains("value=\"RS256\" checked"));
    assert!(html.contains("Acme &lt;Ops&gt;"), "escaped");
    let res = post_form(
        &http,
        &app.url("/setup/finish"),
        &[("csrf_token", &token), ("alg", "ES256")],
    )
    .await;
    assert_eq!(res.status(), 303);

    // Step 4: the summary, signed in as the new admin.
    let (status, html) = get_html(&http, &app.url("/setup")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Keyward is ready"));
    assert!(html.contains(&format!("{}/.well-known/openid-configuration", app.address)));
    let doc: serde_json::Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], app.address.as_str());
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    let (status, html) = get_html(&http, &app.url("/account")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Acme &lt;Ops&gt;"),
        "the organisation name is on every page"
    );

    // The code is spent; setup now leads home.
    let res = browser().get(&link).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn two_concurrent_completions_have_exactly_one_winner() {
    let app = spawn_app().await;
    let (a, b) = (browser(), browser());
    // Both run steps 1 and 2, then finish at the same moment. The code works
    // once, so the second browser opens the wizard with a fresh one.
    let mut forms = vec![];
    for (i, http) in [&a, &b].into_iter().enumerate() {
        let link = if i == 0 {
            app.setup_link.clone().unwrap()
        } else {
            let code = keyward::idm::setup::issue_code(&mut app.db.conn(), None)
                .unwrap()
                .unwrap();
            app.url(&format!("/setup?code={}", code.expose()))
        };
        http.get(&link).send().await.unwrap();
        let (_, html) = get_html(http, &app.url("/setup")).await;
        let token = csrf(&html);
        post_form(
            http,
            &app.url("/setup/org"),
            &[
                ("csrf_token", &token),
                ("org_name", "Acme"),
                ("issuer", &app.address),
            ],
        )
        .await;
        post_form(
            http,
            &app.url("/setup/admin"),
            &[
                ("csrf_token", &token),
                ("username", ADMIN),
                ("email", "admin@acme.example"),
                ("password", ADMIN_PASSWORD),
                ("password_confirmation", ADMIN_PASSWORD),
            ],
        )
        .await;
        forms.push(token);
    }
    let url = app.url("/setup/finish");
    let form_a = [("csrf_token", forms[0].as_str()), ("alg", "RS256")];
    let form_b = [("csrf_token", forms[1].as_str()), ("alg", "RS256")];
    let (ra, rb) = tokio::join!(post_form(&a, &url, &form_a), post_form(&b, &url, &form_b));
    let mut statuses = vec![ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![303, 409]);
    let mut conn = app.db.conn();
    assert_eq!(keyward::store::users::count(&mut conn).unwrap(), 1);
    assert_eq!(keyward::store::keys::list(&mut conn).unwrap().len(), 1);
}

#[tokio::test]
async fn login_errors_do_not_reveal_whether_a_user_exists() {
    let app = TestApp::set_up().await;
    let http = browser();
    let wrong_password = sign_in(&app, &http, ADMIN, "not-the-password").await;
    assert_eq!(wrong_password.status(), 401);
    let body_a = wrong_password.text().await.unwrap();
    let no_such_user = sign_in(&app, &http, "ghost", "not-the-password").await;
    assert_eq!(no_such_user.status(), 401);
    let body_b = no_such_user.text().await.unwrap();
    assert!(body_a.contains("Wrong username or password."));
    assert_eq!(
        body_a.replace(ADMIN, "X"),
        body_b.replace("ghost", "X"),
        "the two answers differ only in the echoed username"
    );

    // Field names and autocomplete hints that password managers rely on.
    let (_, html) = get_html(&http, &app.url("/login?login_hint=alice%40acme.example")).await;
    assert!(html.contains("name=\"username\"") && html.contains("autocomplete=\"username\""));
    assert!(
        html.contains("name=\"password\"") && html.contains("autocomplete=\"current-password\"")
    );
    assert!(
        html.contains("value=\"alice@acme.example\""),
        "login_hint pre-fills"
    );
}

#[tokio::test]
async fn csrf_is_required_on_every_form() {
    let app = TestApp::set_up().await;
    let http = browser();
    get_html(&http, &app.url("/login")).await;
    let missing = post_form(
        &http,
        &app.url("/login"),
        &[("username", ADMIN), ("password", ADMIN_PASSWORD)],
    )
    .await;
    assert_eq!(missing.status(), 403);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("This form has expired"));
    let wrong = post_form(
        &http,
        &app.url("/login"),
        &[
            ("csrf_token", "wrong"),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 403);
    // A token from another browser's session is not accepted either.
    let other = browser();
    let (_, html) = get_html(&other, &app.url("/login")).await;
    let foreign = post_form(
        &http,
        &app.url("/login"),
        &[
            ("csrf_token", &csrf(&html)),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(foreign.status(), 403);

    assert_eq!(
        sign_in(&app, &http, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );
    let forms: [(&str, &[(&str, &str)]); 5] = [
        ("/logout", &[]),
        (
            "/account/profile",
            &[
                ("display_name", "x"),
                ("given_name", "x"),
                ("family_name", "x"),
                ("email", "x@acme.example"),
            ],
        ),
        (
            "/account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "quiet-harbour-morning"),
                ("new_password_confirmation", "quiet-harbour-morning"),
            ],
        ),
        ("/account/sign-out-everywhere", &[]),
        ("/account/consents/revoke", &[("client_id", "x")]),
    ];
    for (path, fields) in forms {
        let mut form = vec![("csrf_token", "forged")];
        form.extend_from_slice(fields);
        let res = post_form(&http, &app.url(path), &form).await;
        assert_eq!(res.status(), 403, "{path}");
    }
    // Nothing changed: still signed in, password unchanged.
    assert_eq!(get_html(&http, &app.url("/account")).await.0, 200);
    // A malformed form is a clear 400, not a crash.
    let res = http
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%")
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == 400 || res.status() == 403,
        "{}",
        res.status()
    );
}

#[tokio::test]
async fn signing_in_and_out_with_a_renewed_session() {
    let app = TestApp::set_up().await;
    let http = browser();
    let (_, html) = get_html(&http, &app.url("/login")).await;
    let before = csrf(&html);
    let res = post_form(
        &http,
        &app.url("/login"),
        &[
            ("csrf_token", &before),
            ("username", "ADMIN"),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "usernames are case-insensitive");
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("keyward_session="));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http issuer: {cookie}");
    assert_eq!(location(&res), "/");
    let (status, html) = get_html(&http, &app.url("/")).await;
    assert_eq!(status, 200);
    assert!(html.contains("No apps are on the portal yet"));
    assert_ne!(csrf(&html), before, "the CSRF token changes at sign-in");

    // Sign in by email works too.
    assert_eq!(
        sign_in(&app, &browser(), "Admin@Acme.example", ADMIN_PASSWORD)
            .await
            .status(),
        303
    );

    // Sign out: POST with CSRF only.
    assert!(app
        .http
        .get(app.url("/logout"))
        .send()
        .await
        .unwrap()
        .status()
        .is_client_error());
    let res = post_form(&http, &app.url("/logout"), &[("csrf_token", &csrf(&html))]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let res = http.get(app.url("/account")).send().await.unwrap();
    assert_eq!(location(&res), "/login?return_to=/account");
}

#[tokio::test]
async fn return_to_is_followed_only_within_the_site() {
    let app = TestApp::set_up().await;
    for (return_to, expected) in [
        ("/account", "/account"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
    ] {
        let http = browser();
        let (_, html) = get_html(&http, &app.url("/login")).await;
        let res = post_form(
            &http,
            &app.url("/login"),
            &[
                ("csrf_token", &csrf(&html)),
                ("username", ADMIN),
                ("password", ADMIN_PASSWORD),
                ("return_to", return_to),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), expected, "{return_to}");
    }
}

#[tokio::test]
async fn throttling_engages_per_account_and_per_address() {
    let app = TestApp::set_up_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let attacker = browser_from("203.0.113.7");
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, &attacker, ADMIN, "wrong-password-123")
                .await
                .status(),
            401
        );
    }
    // From that address even the right password waits now, told plainly,
    // with Retry-After.
    let res = sign_in(&app, &attacker, ADMIN, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429);
    let wait: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    let html = res.text().await.unwrap();
    assert!(html.contains("try again in 15 minutes"), "{html}");
    // The person, from their own address, is not locked out.
    let owner = browser_from("198.51.100.20");
    assert_eq!(
        sign_in(&app, &owner, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );

    // Per address: twenty failures spread over made-up names lock that
    // address only.
    let app = TestApp::set_up_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let noisy = browser_from("203.0.113.8");
    for i in 0..20 {
        assert_eq!(
            sign_in(&app, &noisy, &format!("someone{i}"), "wrong-password-123")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        sign_in(&app, &noisy, ADMIN, ADMIN_PASSWORD).await.status(),
        429
    );
    let elsewhere = browser_from("203.0.113.9");
    assert_eq!(
        sign_in(&app, &elsewhere, ADMIN, ADMIN_PASSWORD)
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn a_bumped_epoch_ends_older_sessions() {
    let app = TestApp::set_up().await;
    let (a, b) = (browser(), browser());
    assert_eq!(sign_in(&app, &a, ADMIN, ADMIN_PASSWORD).await.status(), 303);
    assert_eq!(sign_in(&app, &b, ADMIN, ADMIN_PASSWORD).await.status(), 303);

    // A changes the password: A stays signed in, B is signed out.
    let (_, html) = get_html(&a, &app.url("/account")).await;
    let res = post_form(
        &a,
        &app.url("/account/password"),
        &[
            ("csrf_token", &csrf(&html)),
            ("current_password", ADMIN_PASSWORD),
            ("new_password", "quiet-harbour-morning"),
            ("new_password_confirmation", "quiet-harbour-morning"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(get_html(&a, &app.url("/account")).await.0, 200);
    assert_eq!(
        b.get(app.url("/account")).send().await.unwrap().status(),
        303
    );

    // "Sign out everywhere" ends A's session too.
    assert_eq!(
        sign_in(&app, &b, ADMIN, "quiet-harbour-morning")
            .await
            .status(),
        303
    );
    let (_, html) = get_html(&a, &app.url("/account")).await;
    let res = post_form(
        &a,
        &app.url("/account/sign-out-everywhere"),
        &[("csrf_token", &csrf(&html))],
    )
    .await;
    assert_eq!(location(&res), "/login");
    assert_eq!(
        a.get(app.url("/account")).send().await.unwrap().status(),
        303
    );
    assert_eq!(
        b.get(app.url("/account")).send().await.unwrap().status(),
        303
    );

    // Disabling the user (CLI or admin) ends sessions as well.
    let c = browser();
    assert_eq!(
        sign_in(&app, &c, ADMIN, "quiet-harbour-morning")
            .await
            .status(),
        303
    );
    let mut conn = app.db.conn();
    let user = keyward::store::users::find_by_username(&mut conn, ADMIN)
        .unwrap()
        .unwrap();
    // The only administrator cannot be disabled: add another first.
    keyward::idm::accounts::create(
        &mut conn,
        &keyward::idm::accounts::NewAccount {
            username: "second-admin",
            email: None,
            password: "quiet-harbour-lamp-88",
            password_confirmation: "quiet-harbour-lamp-88",
            is_admin: true,
        },
        4,
        &"test".into(),
    )
    .unwrap();
    keyward::idm::accounts::set_disabled(&mut conn, &user, true, &"test".into()).unwrap();
    assert_eq!(
        c.get(app.url("/account")).send().await.unwrap().status(),
        303
    );
    assert_eq!(
        sign_in(&app, &c, ADMIN, "quiet-harbour-morning")
            .await
            .status(),
        401,
        "disabled users cannot sign in"
    );
}

#[tokio::test]
async fn the_account_page_edits_the_profile_and_password() {
    let app = TestApp::set_up().await;
    let http = browser();
    sign_in(&app, &http, ADMIN, ADMIN_PASSWORD).await;
    let (_, html) = get_html(&http, &app.url("/account")).await;
    let token = csrf(&html);
    assert!(html.contains("You have not allowed any app"));

    let res = post_form(
        &http,
        &app.url("/account/profile"),
        &[
            ("csrf_token", &token),
            ("display_name", "Ada"),
            ("given_name", "Ada"),
            ("family_name", "Lovelace"),
            ("email", "not-an-email"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Enter an email address"));
    assert!(html.contains("value=\"Lovelace\""), "typed values are kept");

    let res = post_form(
        &http,
        &app.url("/account/profile"),
        &[
            ("csrf_token", &token),
            ("display_name", "Ada"),
            ("given_name", "Ada"),
            ("family_name", "Lovelace"),
            ("email", "ada@acme.example"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(&http, &app.url("/account")).await;
    assert!(html.contains("Your profile is saved."));
    let user = keyward::store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap();
    assert_eq!(user.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(user.email.as_deref(), Some("ada@acme.example"));

    // The wrong current password, and a weak new one.
    let res = post_form(
        &http,
        &app.url("/account/password"),
        &[
            ("csrf_token", &token),
            ("current_password", "nope-nope-nope"),
            ("new_password", "quiet-harbour-morning"),
            ("new_password_confirmation", "quiet-harbour-morning"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not your current password"));
    let res = post_form(
        &http,
        &app.url("/account/password"),
        &[
            ("csrf_token", &token),
            ("current_password", ADMIN_PASSWORD),
            ("new_password", "password1234"),
            ("new_password_confirmation", "password1234"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("common passwords"));
}

#[tokio::test]
async fn consents_show_on_the_account_page_and_revoke_with_their_tokens() {
    use keyward::store::{self, clients, consents, tokens};
    let app = TestApp::set_up().await;
    let mut conn = app.db.conn();
    let user = store::users::find_by_username(&mut conn, ADMIN)
        .unwrap()
        .unwrap();
    let t = store::now();
    let client = clients::Client {
        id: "grafana".into(),
        name: "Grafana".into(),
        client_type: "confidential".parse().unwrap(),
        secret_digest: None,
        redirect_uris: "https://grafana.example/cb".parse().unwrap(),
        post_logout_redirect_uris: Default::default(),
        grant_types: "authorization_code".parse().unwrap(),
        token_endpoint_auth_method: "client_secret_basic".parse().unwrap(),
        allowed_scopes: "openid profile".parse().unwrap(),
        default_scopes: "openid".parse().unwrap(),
        require_pkce: false,
        consent_policy: "once".parse().unwrap(),
        token_format: "opaque".parse().unwrap(),
        access_token_ttl: None,
        refresh_token_ttl: None,
        launch_url: Some("https://grafana.example/".into()),
        show_on_portal: true,
        resource_server: false,
        admin_capable: false,
        disabled: false,
        created_at: t,
        updated_at: t,
        revision: 0,
    };
    clients::insert(&mut conn, &client).unwrap();
    let evil = clients::Client {
        id: "evil".into(),
        name: "Evil".into(),
        launch_url: Some("javascript:alert(1)".into()),
        ..client.clone()
    };
    clients::insert(&mut conn, &evil).unwrap();
    consents::grant(
        &mut conn,
        &user.id,
        "grafana",
        &["openid".into(), "profile".into()],
    )
    .unwrap();
    let rt = tokens::Token {
        id: store::new_id(),
        digest: "d1".into(),
        kind: "refresh".parse().unwrap(),
        format: "opaque".parse().unwrap(),
        client_id: "grafana".into(),
        user_id: Some(user.id.clone()),
        scope: "openid".into(),
        family_id: Some("f".into()),
        auth_time: Some(t),
        created_at: t,
        expires_at: t + 3600,
        family_expires_at: None,
        rotated_at: None,
        revoked_at: None,
        kid: None,
    };
    tokens::insert(&mut conn, &rt).unwrap();

    let http = browser();
    sign_in(&app, &http, ADMIN, ADMIN_PASSWORD).await;
    let (_, portal) = get_html(&http, &app.url("/")).await;
    assert!(
        portal.contains("href=\"https://grafana.example/\""),
        "{portal}"
    );
    assert!(
        !portal.contains("javascript:"),
        "only web links reach the portal"
    );

    let (_, html) = get_html(&http, &app.url("/account")).await;
    assert!(html.contains("Grafana") && html.contains("openid profile"));
    let res = post_form(
        &http,
        &app.url("/account/consents/revoke"),
        &[("csrf_token", &csrf(&html)), ("client_id", "grafana")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(&http, &app.url("/account")).await;
    assert!(html.contains("Access revoked"));
    assert!(html.contains("You have not allowed any app"));
    assert!(
        tokens::find(&mut conn, &rt.id)
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some(),
        "its refresh tokens are revoked"
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_issuer_is_https() {
    let app = spawn_app_with(&[("KEYWARD_ISSUER", "https://id.acme.example")]).await;
    assert!(app
        .setup_link
        .as_deref()
        .unwrap()
        .starts_with("https://id.acme.example/setup?code="));
    let http = browser();
    let res = http
        .get(
            app.setup_link
                .clone()
                .unwrap()
                .replace("https://id.acme.example", &app.address),
        )
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn pages_cannot_be_framed() {
    let app = TestApp::set_up().await;
    let res = app.get("/login").await;
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(res.headers()["cache-control"], "no-store");
}
