//! Introspection (RFC 7662), revocation (RFC 7009), RP-initiated logout, the
//! bearer guard (RFC 6750) and the Prometheus endpoint behind it.

use keyward::crypto::secret;
use keyward::idm::clients::{self, ClientSpec};
use keyward::store;
use reqwest::Response;
use serde_json::Value;

use crate::helpers::*;

const BYE: &str = "https://app.example/bye";

/// A user's tokens from a full code flow (with offline_access, so a refresh
/// token comes too): (access, refresh, id_token).
async fn user_tokens(
    app: &TestApp,
    client: &App,
    http: &reqwest::Client,
) -> (String, String, String) {
    let url = authorize_url(app, client, &[("scope", "openid profile offline_access")]);
    let q = run_flow(app, http, &url, true).await;
    let body: Value = redeem(app, client, &q["code"]).await.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
        body["id_token"].as_str().unwrap().to_owned(),
    )
}

async fn introspect(app: &TestApp, client: &App, form: &[(&str, &str)]) -> Response {
    post_as(app, client, "/introspect", form).await
}

async fn revoke(app: &TestApp, client: &App, form: &[(&str, &str)]) -> Response {
    post_as(app, client, "/revoke", form).await
}

async fn json_of(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap())
}

fn inactive() -> Value {
    serde_json::json!({ "active": false })
}

#[tokio::test]
async fn introspection_describes_own_tokens_and_nothing_else() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let (access, refresh, _) = user_tokens(&app, &client, &browser()).await;

    let (status, body) = json_of(introspect(&app, &client, &[("token", &access)]).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "openid profile offline_access");
    assert_eq!(body["client_id"], client.id.as_str());
    assert_eq!(body["username"], ADMIN);
    assert_eq!(body["iss"], app.address.as_str());
    assert_eq!(body["aud"], app.address.as_str());
    assert_eq!(body["token_type"], "Bearer");
    let user_id = store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(body["sub"], user_id.as_str());
    let (iat, exp) = (body["iat"].as_i64().unwrap(), body["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 3600);

    // The hint is a hint: a refresh token is found under either.
    for hint in ["refresh_token", "access_token"] {
        let (_, body) = json_of(
            introspect(
                &app,
                &client,
                &[("token", &refresh), ("token_type_hint", hint)],
            )
            .await,
        )
        .await;
        assert_eq!(body["active"], true, "{hint}");
        assert_eq!(body["token_type"], "refresh_token");
    }
    // A client registered for client_secret_basic may not switch to _post.
    let res = app
        .http
        .post(app.url("/introspect"))
        .form(&[
            ("token", access.as_str()),
            ("client_id", &client.id),
            ("client_secret", client.secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await.1["error"], "invalid_client");

    // Unknown, malformed: active false and nothing else.
    for junk in ["kw_at_nothing", "not a token", "eyJhbGciOiJub25lIn0.e30."] {
        let (status, body) = json_of(introspect(&app, &client, &[("token", junk)]).await).await;
        assert_eq!((status, body), (200, inactive()), "{junk}");
    }

    // Another client may not look, unless an admin made it a resource server.
    let other = app.register(TestClient::confidential().consent("skip"));
    let (_, body) = json_of(introspect(&app, &other, &[("token", &access)]).await).await;
    assert_eq!(body, inactive());
    {
        let mut conn = app.db.conn();
        let c = store::clients::find(&mut conn, &other.id).unwrap().unwrap();
        let mut changes = store::clients::PolicyChanges::from(&c);
        changes.resource_server = true;
        assert!(store::clients::update_policy(&mut conn, &other.id, &changes).unwrap());
    }
    let (_, body) = json_of(introspect(&app, &other, &[("token", &access)]).await).await;
    assert_eq!(body["active"], true);

    // Expired and revoked tokens are inactive.
    let digest = secret::digest(&access);
    {
        let mut conn = app.db.conn();
        let t = store::tokens::find_by_digest(&mut conn, &digest)
            .unwrap()
            .unwrap();
        store::tokens::revoke(&mut conn, &t.id, store::now()).unwrap();
    }
    let (_, body) = json_of(introspect(&app, &client, &[("token", &access)]).await).await;
    assert_eq!(body, inactive());
    {
        use diesel::prelude::*;
        use keyward::db::schema::tokens;
        let mut conn = app.db.conn();
        diesel::update(tokens::table.filter(tokens::digest.eq(secret::digest(&refresh))))
            .set(tokens::expires_at.eq(store::now() - 1))
            .execute(&mut conn)
            .unwrap();
    }
    let (_, body) = json_of(introspect(&app, &client, &[("token", &refresh)]).await).await;
    assert_eq!(body, inactive());
}

#[tokio::test]
async fn introspection_requires_a_confidential_client_and_a_token() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    // No credentials, wrong secret: 401 with the Basic challenge.
    let res = app
        .http
        .post(app.url("/introspect"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let wrong = App {
        id: client.id.clone(),
        secret: Some("kw_cs_wrong".into()),
    };
    let (status, body) = json_of(introspect(&app, &wrong, &[("token", "x")]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // A public client has no credentials to prove.
    let public = app.register(TestClient::public().consent("skip"));
    let (status, body) = json_of(introspect(&app, &public, &[("token", "x")]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // No token: invalid_request.
    let (status, body) = json_of(introspect(&app, &client, &[]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // JSON instead of a form: invalid_request.
    let res = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&client.id, client.secret.as_deref())
        .json(&serde_json::json!({ "token": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await.1["error"], "invalid_request");
}

#[tokio::test]
async fn introspection_of_jwt_and_machine_tokens() {
    let app = TestApp::set_up().await;
    let machine = app.register(TestClient::confidential().consent("skip").with(|s| {
        s.grant_types = Some(vec!["client_credentials".into()]);
        s.redirect_uris = vec![];
        s.scopes = Some(vec![]);
        s.token_format = Some("jwt".into());
    }));
    let body: Value = exchange(&app, &machine, &[("grant_type", "client_credentials")])
        .await
        .json()
        .await
        .unwrap();
    let jwt = body["access_token"].as_str().unwrap();
    assert_eq!(jwt.split('.').count(), 3);
    let (_, info) = json_of(introspect(&app, &machine, &[("token", jwt)]).await).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], machine.id.as_str());
    assert!(info.get("username").is_none());
    let claims = keyward::keys::ring::KeyRing::new(
        keyward::keys::ring::load(&mut app.db.conn(), None).unwrap(),
        None,
    )
    .verify(jwt)
    .unwrap()
    .claims;
    assert_eq!(info["jti"], claims["jti"]);
    assert_eq!(info["exp"], claims["exp"]);
}

#[tokio::test]
async fn revocation_ends_tokens_and_refresh_families() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip"));
    let http = browser();

    // Revoking an access token: it stops working, the refresh token does not.
    let (access, refresh, _) = user_tokens(&app, &client, &http).await;
    let res = revoke(
        &app,
        &client,
        &[("token", &access), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (_, body) = json_of(introspect(&app, &client, &[("token", &access)]).await).await;
    assert_eq!(body, inactive());
    let res = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (_, body) = json_of(introspect(&app, &client, &[("token", &refresh)]).await).await;
    assert_eq!(body["active"], true);

    // Revoking the refresh token (hint or not) ends its family: the refresh
    // token and the access tokens issued with it.
    let (access, refresh, _) = user_tokens(&app, &client, &http).await;
    assert_eq!(
        revoke(&app, &client, &[("token", &refresh)]).await.status(),
        200
    );
    for t in [&access, &refresh] {
        let (_, body) = json_of(introspect(&app, &client, &[("token", t)]).await).await;
        assert_eq!(body, inactive());
    }
    let res = exchange(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(json_of(res).await.1["error"], "invalid_grant");
    let audit = store::audit::list(
        &mut app.db.conn(),
        &store::audit::Filter {
            action_prefix: Some("token.revoke".into()),
            actor: None,
            before: None,
            limit: 100,
        },
    )
    .unwrap();
    assert_eq!(audit.len(), 2);

    // Unknown tokens: still 200. Repeats: 200.
    assert_eq!(
        revoke(&app, &client, &[("token", "kw_at_unknown")])
            .await
            .status(),
        200
    );
    assert_eq!(
        revoke(&app, &client, &[("token", &refresh)]).await.status(),
        200
    );

    // Another client's token: refused, and the token lives on.
    let (access, _, _) = user_tokens(&app, &client, &http).await;
    let other = app.register(TestClient::confidential().consent("skip"));
    let (status, body) = json_of(revoke(&app, &other, &[("token", &access)]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (_, body) = json_of(introspect(&app, &client, &[("token", &access)]).await).await;
    assert_eq!(body["active"], true);

    // Errors: no client, no token, an unknown hint.
    let res = app
        .http
        .post(app.url("/revoke"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let (status, body) = json_of(revoke(&app, &client, &[]).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = json_of(
        revoke(
            &app,
            &client,
            &[("token", &access), ("token_type_hint", "id_token")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_token_type"))
    );
}

#[tokio::test]
async fn a_public_client_revokes_its_own_refresh_token() {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::public().consent("skip"));
    let (_, refresh, _) = user_tokens(&app, &client, &browser()).await;
    assert_eq!(
        revoke(&app, &client, &[("token", &refresh)]).await.status(),
        200
    );
    let res = exchange(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(json_of(res).await.1["error"], "invalid_grant");
}

// ---- RP-initiated logout -------------------------------------------------

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("{}/end_session?{}", app.address, q.finish())
}

/// Whether the browser's session still signs it in (prompt=none answers with
/// a code, not login_required).
async fn signed_in(app: &TestApp, client: &App, http: &reqwest::Client) -> bool {
    let res = http
        .get(authorize_url(app, client, &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    let loc = location(&res);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let q = crate::helpers::query_of(&loc);
    match q.get("error").map(String::as_str) {
        None => true,
        Some("login_required") => false,
        Some(other) => panic!("unexpected {other}"),
    }
}

async fn logout_app() -> (TestApp, App) {
    let app = TestApp::set_up().await;
    let client = app.register(TestClient::confidential().consent("skip").with(|s| {
        s.post_logout_redirect_uris = vec![BYE.into()];
    }));
    (app, client)
}

#[tokio::test]
async fn logout_with_a_hint_ends_the_session_and_returns_to_the_client() {
    let (app, client) = logout_app().await;
    let doc: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["end_session_endpoint"],
        format!("{}/end_session", app.address)
    );
    assert_eq!(
        doc["introspection_endpoint"],
        format!("{}/introspect", app.address)
    );
    assert_eq!(
        doc["revocation_endpoint"],
        format!("{}/revoke", app.address)
    );

    let http = browser();
    let (_, _, id_token) = user_tokens(&app, &client, &http).await;
    assert!(signed_in(&app, &client, &http).await);
    let state = "s".repeat(128);
    let res = http
        .get(logout_url(
            &app,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", BYE),
                ("state", &state),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(location(&res), format!("{BYE}?state={state}"));
    assert!(!signed_in(&app, &client, &http).await);

    // No state: the redirect carries none.
    let (_, _, id_token) = user_tokens(&app, &client, &http).await;
    let res = http
        .get(logout_url(
            &app,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", BYE),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), BYE);
    assert!(!signed_in(&app, &client, &http).await);

    // A hint without a redirect URI: the "signed out" page. By POST as well.
    let (_, _, id_token) = user_tokens(&app, &client, &http).await;
    let res = http
        .post(app.url("/end_session"))
        .form(&[("id_token_hint", id_token.as_str()), ("state", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("You are signed out"));
    assert!(!signed_in(&app, &client, &http).await);
}

#[tokio::test]
async fn logout_without_a_valid_hint_asks_first_and_never_redirects_elsewhere() {
    let (app, client) = logout_app().await;
    let http = browser();
    let (_, _, id_token) = user_tokens(&app, &client, &http).await;

    // Unregistered URIs, also the registered one with a query added: a page,
    // no redirect, still signed in.
    for uri in ["https://evil.example/bye", &format!("{BYE}?foo=bar")] {
        let res = http
            .get(logout_url(
                &app,
                &[
                    ("id_token_hint", &id_token),
                    ("post_logout_redirect_uri", uri),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{uri}");
        assert!(res.headers().get("location").is_none());
        assert!(signed_in(&app, &client, &http).await);
    }

    // Tampered hints: alg none, and one signed with another key.
    let parts: Vec<&str> = id_token.split('.').collect();
    let none_header = base64_url(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    // Signed with a key of its own under our key's kid (as the suite's
    // "bad hint" does with the client's key).
    let foreign = {
        use openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};
        let header: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[0])
                .unwrap(),
        )
        .unwrap();
        let forged_header = base64_url(
            serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": header["kid"] })
                .to_string()
                .as_bytes(),
        );
        let payload = base64_url(
            serde_json::json!({ "iss": client.id, "aud": app.address, "sub": "x", "exp": store::now() + 60 })
                .to_string()
                .as_bytes(),
        );
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
        signer
            .update(format!("{forged_header}.{payload}").as_bytes())
            .unwrap();
        format!(
            "{forged_header}.{payload}.{}",
            base64_url(&signer.sign_to_vec().unwrap())
        )
    };
    for hint in [unsigned.as_str(), foreign.as_str(), "garbage"] {
        let res = http
            .get(logout_url(
                &app,
                &[
                    ("id_token_hint", hint),
                    ("post_logout_redirect_uri", BYE),
                    ("state", "s"),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
    }
    assert!(signed_in(&app, &client, &http).await);

    // A hint for one client with another client_id: refused.
    let res = http
        .get(logout_url(
            &app,
            &[("id_token_hint", &id_token), ("client_id", "kwc_other")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // No hint: a confirmation page; nothing happens until the user confirms.
    let (status, html) = get_html(
        &http,
        &logout_url(
            &app,
            &[
                ("client_id", &client.id),
                ("post_logout_redirect_uri", BYE),
                ("state", "s1"),
            ],
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Sign out") && html.contains("Wiki"), "{html}");
    assert!(signed_in(&app, &client, &http).await);
    // Confirming without the CSRF token is refused.
    let res = http
        .post(app.url("/end_session"))
        .form(&[("confirm", "yes"), ("client_id", &client.id)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(signed_in(&app, &client, &http).await);
    let res = http
        .post(app.url("/end_session"))
        .form(&[
            ("csrf_token", csrf(&html).as_str()),
            ("confirm", "yes"),
            ("client_id", &client.id),
            ("post_logout_redirect_uri", BYE),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("{BYE}?state=s1"));
    assert!(!signed_in(&app, &client, &http).await);

    // No parameters at all: confirm, then the "signed out" page.
    user_tokens(&app, &client, &http).await;
    let (status, html) = get_html(&http, &logout_url(&app, &[])).await;
    assert_eq!(status, 200);
    let res = http
        .post(app.url("/end_session"))
        .form(&[("csrf_token", csrf(&html).as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("You are signed out"));
    assert!(!signed_in(&app, &client, &http).await);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

// ---- the bearer guard and /metrics --------------------------------------

/// A client-credentials client and a token for it with `scope`.
async fn machine_token(app: &TestApp, scopes: &[&str], ask: &str) -> (App, String) {
    let machine = app.register(TestClient::confidential().consent("skip").with(|s| {
        s.grant_types = Some(vec!["client_credentials".into()]);
        s.redirect_uris = vec![];
        s.scopes = Some(scopes.iter().map(|s| s.to_string()).collect());
        s.default_scopes = Some(vec![]);
    }));
    let res = exchange(
        app,
        &machine,
        &[("grant_type", "client_credentials"), ("scope", ask)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    (machine, body["access_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn prometheus_scrapes_metrics_with_a_client_credentials_token() {
    let app = TestApp::set_up().await;
    // What Prometheus's oauth2 block does: client credentials with scope
    // metrics, then GET /metrics with the token.
    let (_, token) = machine_token(&app, &["metrics"], "metrics").await;
    let res = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    for expected in [
        "keyward_tokens_issued_total{grant=\"client_credentials\",kind=\"access\",format=\"opaque\"} 1",
        "keyward_signing_keys{status=\"active\"} 1",
        "keyward_http_request_duration_seconds_bucket{route=\"/token\",status=\"2xx\",le=\"+Inf\"}",
        "keyward_db_pool_max_connections ",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }

    // A wrong secret and a login failure show up in the counters.
    let bad = App {
        id: "kwc_nobody".into(),
        secret: Some("x".into()),
    };
    exchange(&app, &bad, &[("grant_type", "client_credentials")]).await;
    let http = browser();
    crate::helpers::sign_in(&app, &http, ADMIN, "wrong-password-here").await;
    let text = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("keyward_token_errors_total{error=\"invalid_client\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("keyward_logins_total{outcome=\"failure\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn the_bearer_guard_answers_401_and_403_per_rfc_6750() {
    let app = TestApp::set_up().await;
    // No token: 401, a bare Bearer challenge naming the scope.
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 401);
    let www = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        www.starts_with("Bearer") && !www.contains("error=") && www.contains("scope=\"metrics\""),
        "{www}"
    );
    // Unknown token: 401 invalid_token.
    let res = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("kw_at_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
    // A token without the scope: 403 insufficient_scope.
    store::scopes::insert(
        &mut app.db.conn(),
        &store::scopes::Scope::new("api:read", "Read the API", &[]),
    )
    .unwrap();
    let (machine, token) = machine_token(&app, &["api:read"], "api:read").await;
    let res = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let www = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        www.contains("error=\"insufficient_scope\"") && www.contains("scope=\"metrics\""),
        "{www}"
    );
    // That client cannot ask for metrics either: it is not among its scopes.
    let res = exchange(
        &app,
        &machine,
        &[("grant_type", "client_credentials"), ("scope", "metrics")],
    )
    .await;
    assert_eq!(json_of(res).await.1["error"], "invalid_scope");
    // A revoked or expired metrics token: 401 invalid_token.
    let (_, token) = machine_token(&app, &["metrics"], "metrics").await;
    {
        let mut conn = app.db.conn();
        let t = store::tokens::find_by_digest(&mut conn, &secret::digest(&token))
            .unwrap()
            .unwrap();
        store::tokens::revoke(&mut conn, &t.id, store::now()).unwrap();
    }
    let res = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A user's token without the scope (openid only): 403.
    let client = app.register(TestClient::confidential().consent("skip"));
    let (access, _, _) = user_tokens(&app, &client, &browser()).await;
    let res = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn metrics_scope_is_built_in_and_no_client_gets_it_by_default() {
    let app = TestApp::set_up().await;
    let scope = store::scopes::find(&mut app.db.conn(), "metrics")
        .unwrap()
        .unwrap();
    assert!(scope.builtin);
    for spec in [
        ClientSpec {
            name: "web".into(),
            redirect_uris: vec![REDIRECT.into()],
            ..ClientSpec::default()
        },
        ClientSpec {
            name: "machine".into(),
            grant_types: Some(vec!["client_credentials".into()]),
            ..ClientSpec::default()
        },
    ] {
        let (c, _) = clients::create(&mut app.db.conn(), &spec, &"test".into()).unwrap();
        assert!(
            !c.allowed_scope_list().contains(&"metrics".to_owned()),
            "{}",
            c.name
        );
    }
}

#[tokio::test]
async fn metrics_can_be_made_public() {
    let app = spawn_app_with(&[("KEYWARD_METRICS_PUBLIC", "true")]).await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("keyward_db_pool_connections"));
}

/// Concurrent introspections are answered in batches; each caller must get
/// the answer about its own token.
#[tokio::test]
async fn concurrent_introspections_each_get_their_own_answer() {
    let app = TestApp::set_up().await;
    let mut machines = Vec::new();
    for _ in 0..4 {
        machines.push(machine_token(&app, &[], "").await);
    }
    let requests = (0..48).map(|i| {
        let (app, machines) = (&app, &machines);
        async move {
            let (client, token) = &machines[i % 4];
            // Every third request asks about a token that does not exist.
            let asked = if i % 3 == 0 {
                format!("kw_at_missing{i}")
            } else {
                token.clone()
            };
            let (_, body) = json_of(introspect(app, client, &[("token", &asked)]).await).await;
            (i, client.id.clone(), body)
        }
    });
    for (i, client_id, body) in crate::helpers::join_all(requests.collect()).await {
        if i % 3 == 0 {
            assert_eq!(body, inactive(), "{i}");
        } else {
            assert_eq!(body["active"], true, "{i}");
            assert_eq!(body["client_id"], client_id.as_str(), "{i}");
        }
    }
}
