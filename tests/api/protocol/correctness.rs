//! The protocol rules a review found missing, one test per finding: consent
//! answers the request whose page it was (several tabs), a code is checked
//! against its client and redirect URI before anything is spent, a refresh
//! follows the client's current policy, a long `state` works up to its
//! limit, concurrent grants and admin writes never answer 5xx, and a revoked
//! signing key's JWT access tokens stop everywhere Keyward checks tokens.

use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::openapi::Api;
use crate::helpers::*;

async fn json_of(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The consent page of `url` in `http` (signed in already).
async fn consent_page(http: &reqwest::Client, url: &str) -> String {
    let (status, html) = get_html(http, url).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("/authorize/consent"),
        "a consent page: {html}"
    );
    html
}

async fn decide(
    app: &TestApp,
    http: &reqwest::Client,
    html: &str,
    decision: &str,
) -> reqwest::Response {
    post_form(
        http,
        &app.url("/authorize/consent"),
        &[
            ("csrf_token", &csrf(html)),
            ("request", &field(html, "request")),
            ("decision", decision),
        ],
    )
    .await
}

#[tokio::test]
async fn allow_answers_the_request_whose_page_it_was() {
    let app = TestApp::set_up().await;
    let wiki = app.register(TestClient::confidential().consent("always"));
    let chat = app.register(
        TestClient::confidential()
            .consent("always")
            .with(|s| s.name = "Chat".into()),
    );
    let http = app.admin().await;
    // Two tabs: the wiki's consent page, then the chat's.
    let wiki_page =
        consent_page(&http, &authorize_url(&app, &wiki, &[("state", "tab-wiki")])).await;
    let chat_page =
        consent_page(&http, &authorize_url(&app, &chat, &[("state", "tab-chat")])).await;
    assert!(wiki_page.contains("Wiki") && chat_page.contains("Chat"));

    // Allow on the wiki's page (opened first) answers the wiki's request.
    let res = decide(&app, &http, &wiki_page, "allow").await;
    assert_eq!(res.status(), 303);
    let q = query_of(&location(&res));
    assert_eq!(q["state"], "tab-wiki");
    assert_eq!(redeem(&app, &wiki, &q["code"]).await.status(), 200);
    // The chat's tab still works, for the chat.
    let res = decide(&app, &http, &chat_page, "deny").await;
    let q = query_of(&location(&res));
    assert_eq!(
        (q["state"].as_str(), q["error"].as_str()),
        ("tab-chat", "access_denied")
    );

    // A decided request cannot be decided again.
    let res = decide(&app, &http, &wiki_page, "allow").await;
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("expired or was already answered"));

    // Another browser cannot decide this browser's request, even signed in.
    let page = consent_page(&http, &authorize_url(&app, &wiki, &[])).await;
    let other = app.admin().await;
    let (_, other_page) = get_html(&other, &app.url("/account")).await;
    let res = post_form(
        &other,
        &app.url("/authorize/consent"),
        &[
            ("csrf_token", &csrf(&other_page)),
            ("request", &field(&page, "request")),
            ("decision", "allow"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    // ...and the request is still there for its own browser.
    let res = decide(&app, &http, &page, "allow").await;
    assert_eq!(res.status(), 303);
    assert!(query_of(&location(&res)).contains_key("code"));
}

#[tokio::test]
async fn waiting_requests_survive_the_sign_in_in_several_tabs() {
    let app = TestApp::set_up().await;
    let wiki = app.register(TestClient::confidential().consent("skip"));
    let chat = app.register(TestClient::confidential().consent("skip"));
    let http = browser();
    // Two tabs reach the sign-in page before the user signs in.
    let login_for = |url: String| {
        let http = http.clone();
        async move {
            let res = http.get(url).send().await.unwrap();
            assert_eq!(res.status(), 303);
            let loc = location(&res);
            assert!(loc.starts_with("/login?"), "{loc}");
            query_of(&format!("http://x{loc}"))["return_to"].clone()
        }
    };
    let wiki_return = login_for(authorize_url(&app, &wiki, &[("state", "w")])).await;
    let chat_return = login_for(authorize_url(&app, &chat, &[("state", "c")])).await;
    assert!(wiki_return.starts_with("/authorize/resume?request=kw_ar_"));
    assert!(wiki_return.len() < 100, "the request is not in the URL");
    // Signing in from the first tab; the second tab then continues too.
    let (_, login) = get_html(&http, &app.url("/login")).await;
    let res = post_form(
        &http,
        &app.url("/login"),
        &[
            ("csrf_token", &csrf(&login)),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
            ("return_to", &wiki_return),
        ],
    )
    .await;
    assert_eq!(location(&res), wiki_return);
    for (back, client, state) in [(&wiki_return, &wiki, "w"), (&chat_return, &chat, "c")] {
        let res = http.get(app.url(back)).send().await.unwrap();
        assert_eq!(res.status(), 303);
        let q = query_of(&location(&res));
        assert_eq!(q["state"], state);
        assert_eq!(redeem(&app, client, &q["code"]).await.status(), 200);
        // Used once.
        let res = http.get(app.url(back)).send().await.unwrap();
        assert_eq!(res.status(), 400);
    }
}

#[tokio::test]
async fn another_clients_code_is_refused_before_anything_changes() {
    let app = TestApp::set_up().await;
    let confidential = app.register(TestClient::confidential().consent("skip"));
    let public = app.register(TestClient::public().consent("skip"));
    // A public client (no secret) presents the confidential client's code.
    let q = app.code_flow(&confidential, &[]).await;
    let (status, body) = json_of(redeem(&app, &public, &q["code"]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The code was not spent: its client still redeems it.
    let (status, tokens) = json_of(redeem(&app, &confidential, &q["code"]).await).await;
    assert_eq!(status, 200, "{tokens}");
    // Presenting the used code again as the public client revokes nothing.
    let (status, _) = json_of(redeem(&app, &public, &q["code"]).await).await;
    assert_eq!(status, 400);
    let access = tokens["access_token"].as_str().unwrap();
    let (_, info) =
        json_of(post_as(&app, &confidential, "/introspect", &[("token", access)]).await).await;
    assert_eq!(info["active"], true, "the family was not revoked");
    // Its own replay still revokes, as RFC 6749 §4.1.2 asks.
    let (status, _) = json_of(redeem(&app, &confidential, &q["code"]).await).await;
    assert_eq!(status, 400);
    let (_, info) =
        json_of(post_as(&app, &confidential, "/introspect", &[("token", access)]).await).await;
    assert_eq!(info["active"], false);
}

#[tokio::test]
async fn redirect_uri_is_required_at_the_token_endpoint_when_the_request_named_it() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let q = app.code_flow(&client, &[]).await;
    let without = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = json_of(exchange(&app, &client, &without).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("redirect_uri"));
    // Refused before the code was spent: with it, the same code works.
    let mut with = without.to_vec();
    with.push(("redirect_uri", REDIRECT));
    assert_eq!(exchange(&app, &client, &with).await.status(), 200);

    // A request that left redirect_uri out (one is registered) needs none.
    let http = browser();
    let url = authorize_url(&app, &client, &[])
        .replace(&format!("&redirect_uri={}", urlencoding(REDIRECT)), "");
    assert!(!url.contains("redirect_uri"));
    let q = run_flow(&app, &http, &url, true).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(exchange(&app, &client, &form).await.status(), 200);
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_refresh_grants_only_what_the_clients_policy_still_allows() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let q = app
        .code_flow(&client, &[("scope", "openid profile email offline_access")])
        .await;
    let (_, first) = json_of(redeem(&app, &client, &q["code"]).await).await;
    let mut refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let refresh_with = |rt: String| {
        let (app, client) = (&app, &client);
        async move {
            json_of(
                exchange(
                    app,
                    client,
                    &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                )
                .await,
            )
            .await
        }
    };
    // An admin takes `profile` away from the app.
    let key = api_key(&app);
    let api = Api::new(&app, Some(&key)).await;
    let path = format!("/api/v1/clients/{}/policy", client.id);
    let (_, mut policy) = api.get(&path).await;
    policy["scopes"] = json!(["openid", "email", "offline_access"]);
    let (status, _) = api.put(&path, policy.clone()).await;
    assert_eq!(status, 200);
    let (status, body) = refresh_with(refresh.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid email offline_access");
    refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let info: Value = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(info.get("preferred_username").is_none(), "{info}");
    assert_eq!(info["email"], "admin@acme.example");

    // Nothing it carries left: invalid_scope, and the token stays usable.
    policy["scopes"] = json!(["profile"]);
    policy["default_scopes"] = json!([]);
    let (status, b) = api.put(&path, policy.clone()).await;
    assert_eq!(status, 200, "{b}");
    let (status, body) = refresh_with(refresh.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    policy["scopes"] = json!(["openid", "email", "offline_access"]);
    policy["default_scopes"] = json!(["openid"]);
    api.put(&path, policy).await;

    // A disabled app cannot refresh; neither can a disabled person.
    let cli = keyward::store::audit::Actor::cli();
    keyward::idm::clients::set_disabled(&mut app.db.conn(), &client.id, true, &cli).unwrap();
    let (status, body) = refresh_with(refresh.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // Disabling revoked its tokens: enabled again, it starts afresh.
    keyward::idm::clients::set_disabled(&mut app.db.conn(), &client.id, false, &cli).unwrap();
    let (status, _) = refresh_with(refresh.clone()).await;
    assert_eq!(status, 400);
    let q = app
        .code_flow(&client, &[("scope", "openid email offline_access")])
        .await;
    let (_, tokens) = json_of(redeem(&app, &client, &q["code"]).await).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let admin = keyward::store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap();
    // Another administrator first: the only one cannot be disabled.
    add_person(
        &app,
        "dana",
        Some("dana@acme.example"),
        "violet-harbor-engine",
        true,
    );
    keyward::idm::accounts::set_disabled(&mut app.db.conn(), &admin, true, &cli).unwrap();
    let (status, body) = refresh_with(refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_long_state_works_up_to_the_limit_and_beyond_it_is_a_page() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("always"));
    let long = "s".repeat(keyward::oauth::authorize::STATE_MAX);
    let http = browser();
    // Through the sign-in page and the consent page, and back.
    let q = run_flow(
        &app,
        &http,
        &authorize_url(&app, &client, &[("state", &long)]),
        true,
    )
    .await;
    assert_eq!(q["state"], long);
    assert_eq!(redeem(&app, &client, &q["code"]).await.status(), 200);
    // Beyond it: a page, not a redirect and never a 500.
    for len in [keyward::oauth::authorize::STATE_MAX + 1, 5_000] {
        let st = "s".repeat(len);
        let res = http
            .get(authorize_url(&app, &client, &[("state", &st)]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{len}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("invalid_request") && html.contains("state"),
            "{html}"
        );
    }
    let res = http
        .get(authorize_url(
            &app,
            &client,
            &[("nonce", &"n".repeat(5_000))],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

/// The status of a GET of `path` with `token` as the bearer token.
async fn bearer_status(app: &TestApp, path: &str, token: String) -> u16 {
    app.http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Sends `n` requests at once; their statuses and bodies.
async fn at_once<F, Fut>(n: usize, make: F) -> Vec<(u16, Value)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let responses = join_all((0..n).map(make).collect()).await;
    let mut out = Vec::new();
    for r in responses {
        out.push(json_of(r).await);
    }
    out
}

fn count(results: &[(u16, Value)], pick: impl Fn(u16) -> bool) -> usize {
    results.iter().filter(|(s, _)| pick(*s)).count()
}

/// One 200 and nineteen 400: no server error among twenty.
fn one_winner(results: &[(u16, Value)], round: usize) {
    assert_eq!(
        count(results, |s| s == 200),
        1,
        "round {round}: {results:?}"
    );
    assert_eq!(
        count(results, |s| s == 400),
        19,
        "round {round}: {results:?}"
    );
}

#[tokio::test]
async fn twenty_concurrent_grants_have_one_winner_and_no_server_error() {
    let app = TestApp::set_up_with(&[("KEYWARD_METRICS_PUBLIC", "true")]).await;
    let client = app.register(TestClient::confidential().consent("skip"));
    for round in 0..3 {
        let q = app.code_flow(&client, &[]).await;
        let code = q["code"].clone();
        let results = at_once(20, |_| redeem(&app, &client, &code)).await;
        one_winner(&results, round);

        // (The nineteen replays revoked what the winner got: a fresh family.)
        let q = app.code_flow(&client, &[]).await;
        let (_, tokens) = json_of(redeem(&app, &client, &q["code"]).await).await;
        let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
        ];
        let results = at_once(20, |_| exchange(&app, &client, &form)).await;
        one_winner(&results, round);
        assert!(results
            .iter()
            .filter(|(s, _)| *s == 400)
            .all(|(_, b)| b["error"] == "invalid_grant"));
    }
    // Lost races are retried, and none had to give up (in this process).
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("keyward_db_transaction_retries_total{outcome=\"retried\"}"));
    assert!(
        metrics.contains("keyward_db_transaction_retries_total{outcome=\"gave_up\"} 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn twenty_concurrent_admin_writes_to_one_resource_never_answer_5xx() {
    let app = TestApp::set_up().await;
    let key = api_key(&app);
    let send = |req: reqwest::RequestBuilder| async move { req.send().await.unwrap() };
    let post =
        |path: &str, body: Value| send(app.http.post(app.url(path)).bearer_auth(&key).json(&body));
    // Twenty creations of one username: one is made, nineteen conflict.
    let results = at_once(20, |_| {
        post(
            "/api/v1/users",
            json!({ "username": "erin", "email": "erin@acme.example" }),
        )
    })
    .await;
    assert_eq!(count(&results, |s| s == 201), 1, "{results:?}");
    assert_eq!(count(&results, |s| s == 409), 19, "{results:?}");
    let id = results
        .iter()
        .find(|(s, _)| *s == 201)
        .map(|(_, b)| b["user"]["id"].as_str().unwrap().to_owned())
        .unwrap();
    // Twenty updates of that person: all applied, in some order.
    let results = at_once(20, |i| {
        send(
            app.http
                .put(app.url(&format!("/api/v1/users/{id}")))
                .bearer_auth(&key)
                .json(&json!({ "display_name": format!("Erin {i}") })),
        )
    })
    .await;
    assert_eq!(count(&results, |s| s == 200), 20, "{results:?}");
    // Twenty updates of one client's policy.
    let client = app.register(TestClient::confidential());
    let api = Api::new(&app, Some(&key)).await;
    let path = format!("/api/v1/clients/{}/policy", client.id);
    let (_, policy) = api.get(&path).await;
    let results = at_once(20, |i| {
        let mut p = policy.clone();
        p["access_token_ttl"] = json!(600 + i);
        send(app.http.put(app.url(&path)).bearer_auth(&key).json(&p))
    })
    .await;
    assert_eq!(count(&results, |s| s == 200), 20, "{results:?}");
    // Twenty deletions: one deletes, nineteen find nothing.
    let results = at_once(20, |_| {
        send(
            app.http
                .delete(app.url(&format!("/api/v1/users/{id}")))
                .bearer_auth(&key),
        )
    })
    .await;
    assert_eq!(count(&results, |s| s == 204), 1, "{results:?}");
    assert_eq!(count(&results, |s| s == 404), 19, "{results:?}");
}

#[tokio::test]
async fn a_revoked_keys_jwt_access_tokens_are_inactive_everywhere() {
    let app = TestApp::set_up().await;
    let web = app.register(
        TestClient::confidential()
            .consent("skip")
            .with(|s| s.token_format = Some("jwt".into())),
    );
    let machine = app.register(TestClient::confidential().with(|s| {
        s.redirect_uris = vec![];
        s.grant_types = Some(vec!["client_credentials".into()]);
        s.scopes = Some(vec!["admin".into()]);
        s.admin_capable = true;
        s.token_format = Some("jwt".into());
    }));
    let q = app.code_flow(&web, &[]).await;
    let (_, tokens) = json_of(redeem(&app, &web, &q["code"]).await).await;
    let user_token = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, cc) = json_of(
        exchange(
            &app,
            &machine,
            &[("grant_type", "client_credentials"), ("scope", "admin")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{cc}");
    let admin_token = cc["access_token"].as_str().unwrap().to_owned();
    assert_eq!(admin_token.matches('.').count(), 2, "a JWT");

    let userinfo = |t: String| bearer_status(&app, "/userinfo", t);
    let admin_api = |t: String| bearer_status(&app, "/api/v1/clients", t);
    let introspect = |t: String| {
        let (app, web) = (&app, &web);
        async move {
            json_of(post_as(app, web, "/introspect", &[("token", &t)]).await)
                .await
                .1["active"]
                .clone()
        }
    };
    assert_eq!(userinfo(user_token.clone()).await, 200);
    assert_eq!(admin_api(admin_token.clone()).await, 200);
    assert_eq!(introspect(user_token.clone()).await, true);

    // A new key, then the old one revoked (as for a compromised key).
    let key = api_key(&app);
    let api = Api::new(&app, Some(&key)).await;
    let (_, keys) = api.get("/api/v1/keys").await;
    let old = keys["items"][0]["kid"].as_str().unwrap().to_owned();
    let (status, _) = api
        .post("/api/v1/keys/rotate", json!({ "alg": "RS256" }))
        .await;
    assert_eq!(status, 201);
    let (status, _) = api.post_empty(&format!("/api/v1/keys/{old}/revoke")).await;
    assert_eq!(status, 200);

    assert_eq!(userinfo(user_token.clone()).await, 401);
    assert_eq!(admin_api(admin_token).await, 401);
    assert_eq!(introspect(user_token).await, false);
    // Tokens the new key signs work.
    let q = app.code_flow(&web, &[]).await;
    let (_, tokens) = json_of(redeem(&app, &web, &q["code"]).await).await;
    assert_eq!(
        userinfo(tokens["access_token"].as_str().unwrap().to_owned()).await,
        200
    );
}
