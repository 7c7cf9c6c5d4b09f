//! The authorization code flow end to end over HTTP, with a cookie-keeping
//! client posting the real login and consent forms; refresh rotation; userinfo.

use reqwest::Response;
use serde_json::Value;

use crate::helpers::*;

async fn userinfo(app: &TestApp, token: &str) -> Response {
    app.http
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn ring(app: &TestApp) -> keyward::keys::ring::KeyRing {
    keyward::keys::ring::KeyRing::new(
        keyward::keys::ring::load(&mut app.db.conn(), None).unwrap(),
        None,
    )
}

#[tokio::test]
async fn the_code_flow_with_consent_once_id_token_and_userinfo() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("once"));
    let http = browser();
    let q = run_flow(&app, &http, &authorize_url(&app, &client, &[]), true).await;
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], app.address.as_str(), "RFC 9207");
    let code = &q["code"];
    assert!(code.starts_with("kw_ac_") && code.len() >= 6 + 43);

    let res = redeem(&app, &client, code).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "openid profile email");
    assert!(body["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("kw_rt_"));
    let id = ring(&app)
        .verify(body["id_token"].as_str().unwrap())
        .unwrap();
    let c = &id.claims;
    assert_eq!(c["iss"], app.address.as_str());
    assert_eq!(c["aud"], client.id.as_str());
    assert_eq!(c["azp"], client.id.as_str());
    assert_eq!(c["nonce"], "n-1");
    assert!(c["auth_time"].is_i64() && c["at_hash"].is_string());
    assert_eq!(c["email"], "admin@acme.example");
    assert_eq!(id.header["kid"], id.kid.as_str());

    let info: Value = userinfo(&app, body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], c["sub"]);
    assert_eq!(info["preferred_username"], ADMIN);
    assert_eq!(info["email"], "admin@acme.example");
    // POST with the token in the body works too.
    let res = app
        .http
        .post(app.url("/userinfo"))
        .form(&[("access_token", body["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Consent was remembered: the next request goes straight back with a code.
    let res = http
        .get(authorize_url(&app, &client, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with(REDIRECT), "{}", location(&res));
    // The account page lists the app.
    let (_, html) = get_html(&http, &app.url("/account")).await;
    assert!(html.contains("Wiki"));
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_what_it_issued() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let q = app.code_flow(&client, &[]).await;
    let first: Value = redeem(&app, &client, &q["code"])
        .await
        .json()
        .await
        .unwrap();
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.status(), 200);
    let res = redeem(&app, &client, &q["code"]).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let res = userinfo(&app, access).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let res = exchange(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(res.status(), 400, "the refresh token went with it");
}

#[tokio::test]
async fn code_bindings_are_checked() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let other = app.register(TestClient::confidential().consent("skip"));
    let http = browser();
    for (form_fn, why) in [
        (
            Box::new(|code: &str| {
                vec![
                    ("grant_type", "authorization_code".to_string()),
                    ("code", code.to_string()),
                    ("redirect_uri", REDIRECT.to_string()),
                    ("code_verifier", VERIFIER.replace('d', "e")),
                ]
            }) as Box<dyn Fn(&str) -> Vec<(&'static str, String)>>,
            "wrong verifier",
        ),
        (
            Box::new(|code: &str| {
                vec![
                    ("grant_type", "authorization_code".to_string()),
                    ("code", code.to_string()),
                    ("redirect_uri", REDIRECT.to_string()),
                ]
            }),
            "no verifier",
        ),
        (
            Box::new(|code: &str| {
                vec![
                    ("grant_type", "authorization_code".to_string()),
                    ("code", code.to_string()),
                    ("redirect_uri", "https://app.example/other".to_string()),
                    ("code_verifier", VERIFIER.to_string()),
                ]
            }),
            "other redirect_uri",
        ),
    ] {
        let q = run_flow(&app, &http, &authorize_url(&app, &client, &[]), true).await;
        let form: Vec<(&str, String)> = form_fn(&q["code"]);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = exchange(&app, &client, &form).await;
        assert_eq!(res.status(), 400, "{why}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_grant",
            "{why}"
        );
    }
    // Another client's code.
    let q = run_flow(&app, &http, &authorize_url(&app, &client, &[]), true).await;
    let res = redeem(&app, &other, &q["code"]).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(redeem(&app, &client, "kw_ac_unknown").await.status(), 400);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let other = app.register(TestClient::confidential().consent("skip"));
    let q = app
        .code_flow(&client, &[("scope", "openid profile offline_access")])
        .await;
    let first: Value = redeem(&app, &client, &q["code"])
        .await
        .json()
        .await
        .unwrap();
    let rt1 = first["refresh_token"].as_str().unwrap();

    // Another client's refresh token is invalid_grant (not invalid_client).
    let res = exchange(
        &app,
        &other,
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // Wider is refused, narrower is fine.
    let res = exchange(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt1),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let res = exchange(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt1),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    assert_eq!(second["scope"], "openid");
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    let id = ring(&app)
        .verify(second["id_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        id.claims["sub"],
        ring(&app)
            .verify(first["id_token"].as_str().unwrap())
            .unwrap()
            .claims["sub"]
    );

    // Reusing the rotated token fails and revokes the family, rt2 included.
    let res = exchange(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let res = exchange(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        userinfo(&app, second["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn bad_clients_and_redirect_uris_get_a_page_never_a_redirect() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let http = browser();
    sign_in(&app, &http, ADMIN, ADMIN_PASSWORD).await;
    for url in [
        format!(
            "{}/authorize?response_type=code&client_id=kwc_nobody&redirect_uri={REDIRECT}",
            app.address
        ),
        format!(
            "{}/authorize?response_type=code&redirect_uri={REDIRECT}",
            app.address
        ),
        authorize_url(&app, &client, &[]).replace(
            "redirect_uri=https%3A%2F%2Fapp.example%2Fcb",
            "redirect_uri=https%3A%2F%2Fapp.example%2Fcb%2Fextra",
        ),
        authorize_url(&app, &client, &[]).replace(
            "redirect_uri=https%3A%2F%2Fapp.example%2Fcb",
            "redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        ),
    ] {
        let res = http.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 400, "{url}");
        assert!(res.headers().get("location").is_none());
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "no CORS on /authorize"
        );
    }
}

#[tokio::test]
async fn authorization_errors_redirect_with_state_and_iss() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let public = app.register(TestClient::public().consent("skip"));
    let http = browser();
    sign_in(&app, &http, ADMIN, ADMIN_PASSWORD).await;
    let long_state = "s".repeat(128);
    let base = |c: &App, pairs: &[(&str, &str)]| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &c.id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("state", &long_state);
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        format!("{}/authorize?{}", app.address, q.finish())
    };
    for (url, code) in [
        (base(&client, &[("scope", "openid")]), "invalid_request"),
        (
            base(&client, &[("response_type", "token")]),
            "unsupported_response_type",
        ),
        (
            base(
                &client,
                &[("response_type", "code"), ("scope", "openid admin")],
            ),
            "invalid_scope",
        ),
        (
            base(
                &client,
                &[
                    ("response_type", "code"),
                    ("code_challenge", CHALLENGE),
                    ("code_challenge_method", "plain"),
                ],
            ),
            "invalid_request",
        ),
        (
            base(&public, &[("response_type", "code"), ("scope", "openid")]),
            "invalid_request",
        ),
        (
            base(
                &client,
                &[
                    ("response_type", "code"),
                    ("request", "eyJhbGciOiJub25lIn0.e30."),
                ],
            ),
            "request_not_supported",
        ),
        (
            base(
                &client,
                &[("response_type", "code"), ("prompt", "none login")],
            ),
            "invalid_request",
        ),
    ] {
        let res = http.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 303, "{url}");
        let q = query_of(&location(&res));
        assert_eq!(q["error"], code, "{url}");
        assert_eq!(q["state"], long_state, "state intact");
        assert_eq!(q["iss"], app.address.as_str());
        assert!(!q.contains_key("code"));
    }
    // Unknown parameters are ignored.
    let res = http
        .get(base(
            &client,
            &[
                ("response_type", "code"),
                ("scope", "openid"),
                ("extra", "foobar"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert!(query_of(&location(&res)).contains_key("code"));
}

#[tokio::test]
async fn prompt_none_login_and_consent_rules() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("always"));
    let http = browser();
    // Not signed in.
    let res = http
        .get(authorize_url(&app, &client, &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(query_of(&location(&res))["error"], "login_required");
    // Signed in, but consent is always asked.
    sign_in(&app, &http, ADMIN, ADMIN_PASSWORD).await;
    let res = http
        .get(authorize_url(&app, &client, &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(query_of(&location(&res))["error"], "consent_required");
    // Deny.
    let q = run_flow(&app, &http, &authorize_url(&app, &client, &[]), false).await;
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-1");
    // prompt=login asks for the password again even with a session.
    let res = http
        .get(authorize_url(&app, &client, &[("prompt", "login")]))
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    assert!(
        loc.starts_with("/login?") && loc.contains("prompt=login"),
        "{loc}"
    );
    let (_, html) = get_html(&http, &app.url(&loc)).await;
    assert!(html.contains("name=\"password\""));
}

#[tokio::test]
async fn concurrent_redemptions_and_refreshes_have_one_winner() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let q = app.code_flow(&client, &[]).await;
    let code = q["code"].clone();
    let results = futures_join(20, |_| redeem(&app, &client, &code)).await;
    let wins: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(wins.len(), 1, "{results:?}");
    assert!(results
        .iter()
        .filter(|(s, _)| *s != 200)
        .all(|(s, b)| *s == 400 && b["error"] == "invalid_grant"));

    let q = app.code_flow(&client, &[]).await;
    let first: Value = redeem(&app, &client, &q["code"])
        .await
        .json()
        .await
        .unwrap();
    let rt = first["refresh_token"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let results = futures_join(20, |_| exchange(&app, &client, &form)).await;
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    // The losers were reuse: the family, the winner's new tokens included, is revoked.
    let new_rt = winners[0]["refresh_token"].as_str().unwrap();
    let res = exchange(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", new_rt)],
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

async fn futures_join<'a, F, Fut>(n: usize, make: F) -> Vec<(u16, Value)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Response> + 'a,
{
    let mut set = Vec::new();
    for i in 0..n {
        set.push(make(i));
    }
    let responses = crate::helpers::join_all(set).await;
    let mut out = Vec::new();
    for r in responses {
        let s = r.status().as_u16();
        out.push((s, r.json().await.unwrap_or(Value::Null)));
    }
    out
}

#[tokio::test]
async fn the_password_grant_is_off_by_default_and_throttled_when_on() {
    let app = TestApp::set_up().await;
    let plain = app.register(TestClient::confidential().consent("skip"));
    let form = [
        ("grant_type", "password"),
        ("username", ADMIN),
        ("password", ADMIN_PASSWORD),
        ("scope", "openid"),
    ];
    let res = exchange(&app, &plain, &form).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );

    let legacy = app.register(TestClient::confidential().consent("skip").with(|s| {
        s.grant_types = Some(vec![
            "password".into(),
            "refresh_token".into(),
            "authorization_code".into(),
        ]);
    }));
    let res = exchange(&app, &legacy, &form).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["id_token"].is_string() && body["refresh_token"].is_string());

    // A token without openid reaches userinfo as insufficient_scope.
    let res = exchange(
        &app,
        &legacy,
        &[
            ("grant_type", "password"),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
            ("scope", "profile"),
        ],
    )
    .await;
    let token: Value = res.json().await.unwrap();
    let res = userinfo(&app, token["access_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 403);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    let res = app.http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"keyward\""
    );

    for _ in 0..5 {
        let res = exchange(
            &app,
            &legacy,
            &[
                ("grant_type", "password"),
                ("username", ADMIN),
                ("password", "wrong-password-123"),
            ],
        )
        .await;
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
    let res = exchange(&app, &legacy, &form).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("try again in 15 minutes"),
        "{body}"
    );
}

#[tokio::test]
async fn cors_only_for_registered_origins_and_never_on_authorize() {
    let app = crate::helpers::spawn_app_with(&[("KEYWARD_SYNC_INTERVAL_SECS", "1")]).await;
    crate::helpers::run_wizard(&app, &browser(), "RS256").await;
    let client = app.register(
        TestClient::public()
            .consent("skip")
            .with(|s| s.redirect_uris = vec!["https://spa.example/cb".into()]),
    );
    let preflight = |origin: &'static str, path: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    app.republish().await;
    let ok = crate::helpers::eventually(10, || async {
        preflight("https://spa.example", "/token")
            .await
            .unwrap()
            .headers()
            .get("access-control-allow-origin")
            .is_some()
    })
    .await;
    assert!(ok, "the registered origin is allowed");
    let res = preflight("https://spa.example", "/token").await.unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://spa.example"
    );
    let res = preflight("https://evil.example", "/token").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header("Origin", "https://anyone.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let res = app
        .http
        .get(authorize_url(&app, &client, &[]))
        .header("Origin", "https://spa.example")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers().get("access-control-allow-origin").is_none(),
        "never CORS on /authorize"
    );
    let res = app
        .http
        .post(app.url("/token"))
        .header("Origin", "https://spa.example")
        .form(&[("grant_type", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://spa.example"
    );
}

#[tokio::test]
async fn expired_codes_and_tokens_are_purged() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let q = app.code_flow(&client, &[]).await;
    redeem(&app, &client, &q["code"]).await;
    let mut conn = app.db.conn();
    let now = keyward::store::now();
    let first = keyward::app::tasks::purge_expired(&mut conn, now).unwrap();
    assert!(first.is_empty(), "nothing has expired: {first:?}");
    let far = now + 400 * 86_400;
    let later = keyward::app::tasks::purge_expired(&mut conn, far).unwrap();
    assert_eq!(
        (later.codes, later.tokens),
        (1, 2),
        "the code, the access and the refresh token"
    );
    assert!(later.sessions >= 1, "the sign-in's session: {later:?}");
    assert!(
        later.audit_events >= 1,
        "past the audit retention: {later:?}"
    );
}

/// CONFORMANCE.md §1: parameters a code-flow OP must accept and ignore or honour.
#[tokio::test]
async fn conformance_basic_op_parameters() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let http = browser();
    let first = run_flow(&app, &http, &authorize_url(&app, &client, &[]), true).await;
    let t1: Value = redeem(&app, &client, &first["code"])
        .await
        .json()
        .await
        .unwrap();
    let id1 = ring(&app)
        .verify(t1["id_token"].as_str().unwrap())
        .unwrap()
        .claims;

    // display, ui_locales, claims_locales, acr_values, login_hint, an unknown
    // parameter, and no nonce: all succeed silently for a signed-in user.
    for extra in [
        vec![("display", "page")],
        vec![("display", "popup")],
        vec![("ui_locales", "se")],
        vec![("claims_locales", "se")],
        vec![("acr_values", "1 2")],
        vec![("login_hint", "buffy@example.com")],
        vec![("extra", "foobar")],
        vec![("nonce", "")],
        vec![("scope", "email openid")],
    ] {
        let res = http
            .get(authorize_url(&app, &client, &extra))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{extra:?}");
        assert!(query_of(&location(&res)).contains_key("code"), "{extra:?}");
    }

    // prompt=none while signed in: silent, same sub and auth_time.
    let res = http
        .get(authorize_url(&app, &client, &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    let q = query_of(&location(&res));
    let t2: Value = redeem(&app, &client, &q["code"])
        .await
        .json()
        .await
        .unwrap();
    let id2 = ring(&app)
        .verify(t2["id_token"].as_str().unwrap())
        .unwrap()
        .claims;
    assert_eq!(id2["sub"], id1["sub"]);
    assert_eq!(id2["auth_time"], id1["auth_time"]);

    // max_age=10000: no new sign-in, auth_time unchanged.
    let res = http
        .get(authorize_url(&app, &client, &[("max_age", "10000")]))
        .send()
        .await
        .unwrap();
    let q = query_of(&location(&res));
    let t3: Value = redeem(&app, &client, &q["code"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ring(&app)
            .verify(t3["id_token"].as_str().unwrap())
            .unwrap()
            .claims["auth_time"],
        id1["auth_time"]
    );

    // max_age=1 after 2 s: the password is asked again and auth_time moves on.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = http
        .get(authorize_url(&app, &client, &[("max_age", "1")]))
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/login?"), "{}", location(&res));
    let q = run_flow(
        &app,
        &http,
        &authorize_url(&app, &client, &[("max_age", "1")]),
        true,
    )
    .await;
    let t4: Value = redeem(&app, &client, &q["code"])
        .await
        .json()
        .await
        .unwrap();
    let id4 = ring(&app)
        .verify(t4["id_token"].as_str().unwrap())
        .unwrap()
        .claims;
    assert!(id4["auth_time"].as_i64().unwrap() > id1["auth_time"].as_i64().unwrap());

    // An authorization request sent as a form POST works the same.
    let url = authorize_url(&app, &client, &[]);
    let query = url.split_once('?').unwrap().1.to_owned();
    let res = http
        .post(app.url("/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(query_of(&location(&res)).contains_key("code"));

    // The code has at least 128 bits; expires_in is positive and under a year.
    assert!(first["code"].len() >= 6 + 22);
    let e = t1["expires_in"].as_i64().unwrap();
    assert!(e > 0 && e < 365 * 86_400);
}
