//! POST /token with the client_credentials grant, and the rules every grant
//! shares: form encoding, client authentication, errors, no-store.

use keyward::crypto::keys::Algorithm;
use keyward::crypto::secret;
use keyward::idm::clients::{self, ClientSpec};
use keyward::store::{self, scopes::Scope};
use reqwest::Response;
use serde_json::Value;

use crate::helpers::*;

struct Machine {
    id: String,
    secret: String,
}

async fn app_with_machine(token_format: &str, auth_method: &str) -> (TestApp, Machine) {
    let app = spawn_app_with(&[
        ("KEYWARD_ISSUER", "http://127.0.0.1:1"),
        ("KEYWARD_SYNC_INTERVAL_SECS", "1"),
    ])
    .await;
    let mut conn = app.db.conn();
    keyward::keys::lifecycle::rotate(&mut conn, None, Algorithm::ES256, 0, &"test".into()).unwrap();
    store::scopes::insert(&mut conn, &Scope::new("api:read", "Read the API", &[])).unwrap();
    store::scopes::insert(&mut conn, &Scope::new("api:write", "Write the API", &[])).unwrap();
    let spec = ClientSpec {
        name: "Prometheus".into(),
        grant_types: Some(vec!["client_credentials".into()]),
        scopes: Some(vec!["api:read".into(), "api:write".into()]),
        default_scopes: Some(vec!["api:read".into()]),
        token_format: Some(token_format.into()),
        auth_method: Some(auth_method.into()),
        ..ClientSpec::default()
    };
    let (client, secret) = clients::create(&mut conn, &spec, &"test".into()).unwrap();
    // Published at once, as a rotation from the admin pages is.
    app.republish().await;
    assert!(
        crate::helpers::eventually(10, || async {
            app.get("/.well-known/jwks.json")
                .await
                .text()
                .await
                .unwrap()
                .contains("ES256")
        })
        .await
    );
    (
        app,
        Machine {
            id: client.id.into_string(),
            secret: secret.unwrap().expose().to_owned(),
        },
    )
}

async fn post_token(app: &TestApp, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> Response {
    let mut req = app.http.post(app.url("/token")).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap()
}

async fn error_of(res: Response) -> (u16, String, Value) {
    let status = res.status().as_u16();
    let www = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, www, res.json().await.unwrap())
}

#[tokio::test]
async fn client_credentials_issues_an_opaque_token_stored_as_a_digest() {
    let (app, m) = app_with_machine("opaque", "client_secret_basic").await;
    let res = post_token(
        &app,
        Some((&m.id, &m.secret)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "api:read api:write"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["pragma"], "no-cache");
    let body: Value = res.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert!(token.starts_with("kw_at_") && token.len() >= 6 + 43);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "api:read api:write");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let row = store::tokens::find_by_digest(&mut app.db.conn(), &secret::digest(token))
        .unwrap()
        .unwrap();
    assert_eq!(row.client_id, m.id);
    assert_eq!(row.user_id, None);
    assert_eq!(row.kind, "access");

    // No scope asked: the client's default.
    let res = post_token(
        &app,
        Some((&m.id, &m.secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["scope"], "api:read");
}

#[tokio::test]
async fn client_credentials_can_issue_rfc9068_jwts() {
    let (app, m) = app_with_machine("jwt", "client_secret_post").await;
    let res = post_token(
        &app,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &m.id),
            ("client_secret", &m.secret),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let jwt = body["access_token"].as_str().unwrap();
    let mut conn = app.db.conn();
    let ring = keyward::keys::ring::KeyRing::new(
        keyward::keys::ring::load(&mut conn, None).unwrap(),
        None,
    );
    let verified = ring.verify(jwt).unwrap();
    assert_eq!(verified.header["typ"], "at+jwt");
    assert_eq!(verified.header["alg"], "ES256");
    let c = &verified.claims;
    assert_eq!(c["iss"], "http://127.0.0.1:1");
    assert_eq!(c["sub"], m.id.as_str());
    assert_eq!(c["client_id"], m.id.as_str());
    assert_eq!(c["scope"], "api:read");
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );
    // The jti is recorded, so the token can be revoked and introspected.
    let row = store::tokens::find(&mut conn, c["jti"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(row.format, "jwt");
    assert_eq!(row.digest, secret::digest(jwt));
}

#[tokio::test]
async fn client_authentication_failures_are_401_with_basic_challenge() {
    let (app, m) = app_with_machine("opaque", "client_secret_basic").await;
    let cc = [("grant_type", "client_credentials")];
    for (basic, form, why) in [
        (
            Some((m.id.as_str(), "kw_cs_wrong")),
            cc.to_vec(),
            "wrong secret",
        ),
        (
            Some(("kwc_nosuchclient", m.secret.as_str())),
            cc.to_vec(),
            "unknown client",
        ),
        (
            None,
            vec![("grant_type", "client_credentials")],
            "no credentials",
        ),
        (
            None,
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", m.id.as_str()),
                ("client_secret", m.secret.as_str()),
            ],
            "registered method is basic",
        ),
    ] {
        let (status, www, body) = error_of(post_token(&app, basic, &form).await).await;
        assert_eq!(status, 401, "{why}");
        assert_eq!(body["error"], "invalid_client", "{why}");
        assert_eq!(www, "Basic realm=\"keyward\"", "{why}");
    }
    // A disabled client cannot authenticate.
    store::clients::set_disabled(&mut app.db.conn(), &m.id, true).unwrap();
    let (status, _, body) = error_of(post_token(&app, Some((&m.id, &m.secret)), &cc).await).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "invalid_client")
    );
}

#[tokio::test]
async fn malformed_and_unauthorized_requests_get_rfc6749_errors() {
    let (app, m) = app_with_machine("opaque", "client_secret_basic").await;
    let auth = Some((m.id.as_str(), m.secret.as_str()));
    for (form, status, code) in [
        (vec![("scope", "api:read")], 400, "invalid_request"),
        (
            vec![("grant_type", "implicit")],
            400,
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", "authorization_code"), ("code", "x")],
            400,
            "unauthorized_client",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "api:read admin"),
            ],
            400,
            "invalid_scope",
        ),
        (
            vec![("grant_type", "client_credentials"), ("scope", "openid")],
            400,
            "invalid_scope",
        ),
    ] {
        let (s, _, body) = error_of(post_token(&app, auth, &form).await).await;
        assert_eq!(
            (s, body["error"].as_str().unwrap()),
            (status, code),
            "{form:?}"
        );
        assert!(body["error_description"].is_string());
    }
    // JSON instead of a form; a repeated parameter.
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(&m.id, Some(&m.secret))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    let (s, _, body) = error_of(res).await;
    assert_eq!(
        (s, body["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(&m.id, Some(&m.secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let (s, _, body) = error_of(res).await;
    assert_eq!(
        (s, body["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("repeated"));
    // GET is not a token request.
    assert!(app
        .http
        .get(app.url("/token"))
        .send()
        .await
        .unwrap()
        .status()
        .is_client_error());
}

#[tokio::test]
async fn a_public_client_cannot_use_client_credentials() {
    let (app, _) = app_with_machine("opaque", "client_secret_basic").await;
    let spec = ClientSpec {
        name: "SPA".into(),
        public: true,
        redirect_uris: vec!["http://127.0.0.1:5173/cb".into()],
        ..ClientSpec::default()
    };
    let (spa, _) = clients::create(&mut app.db.conn(), &spec, &"test".into()).unwrap();
    let (s, _, body) = error_of(
        post_token(
            &app,
            None,
            &[("grant_type", "client_credentials"), ("client_id", &spa.id)],
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, body["error"].as_str().unwrap()),
        (400, "unauthorized_client")
    );
}

/// The token endpoint keeps clients in memory; a change made elsewhere (the
/// CLI, another instance) must still count from the very next request.
#[tokio::test]
async fn client_changes_apply_to_the_next_grant_at_once() {
    let (app, m) = app_with_machine("opaque", "client_secret_basic").await;
    let grant = [("grant_type", "client_credentials")];
    let ok = post_token(&app, Some((&m.id, &m.secret)), &grant).await;
    assert_eq!(ok.status(), 200);

    // A rotated secret: the old one fails at once, the new one works.
    let new_secret = {
        let mut conn = app.db.conn();
        clients::rotate_secret(&mut conn, &m.id, &"test".into()).unwrap()
    };
    let (status, _, body) =
        error_of(post_token(&app, Some((&m.id, &m.secret)), &grant).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let res = post_token(&app, Some((&m.id, new_secret.expose())), &grant).await;
    assert_eq!(res.status(), 200);

    // A narrower policy: a scope allowed a moment ago is refused now.
    let res = post_token(
        &app,
        Some((&m.id, new_secret.expose())),
        &[("grant_type", "client_credentials"), ("scope", "api:write")],
    )
    .await;
    assert_eq!(res.status(), 200);
    {
        let mut conn = app.db.conn();
        let c = store::clients::find(&mut conn, &m.id).unwrap().unwrap();
        let mut changes = store::clients::PolicyChanges::from(&c);
        changes.allowed_scopes = "api:read".parse().unwrap();
        assert!(store::clients::update_policy(&mut conn, &m.id, &changes).unwrap());
    }
    let res = post_token(
        &app,
        Some((&m.id, new_secret.expose())),
        &[("grant_type", "client_credentials"), ("scope", "api:write")],
    )
    .await;
    let (status, _, body) = error_of(res).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    // Disabled: refused at once; deleted: unknown at once.
    {
        let mut conn = app.db.conn();
        assert!(store::clients::set_disabled(&mut conn, &m.id, true).unwrap());
    }
    let (status, _, body) =
        error_of(post_token(&app, Some((&m.id, new_secret.expose())), &grant).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    {
        let mut conn = app.db.conn();
        assert!(store::clients::set_disabled(&mut conn, &m.id, false).unwrap());
    }
    assert_eq!(
        post_token(&app, Some((&m.id, new_secret.expose())), &grant)
            .await
            .status(),
        200
    );
    {
        let mut conn = app.db.conn();
        clients::delete(&mut conn, &m.id, &"test".into()).unwrap();
    }
    let (status, _, body) =
        error_of(post_token(&app, Some((&m.id, new_secret.expose())), &grant).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

/// Many grants at once go through the batch writer: every token comes back
/// once, each stored under its own digest.
#[tokio::test]
async fn concurrent_client_credentials_grants_are_each_stored() {
    let (app, m) = app_with_machine("opaque", "client_secret_basic").await;
    let requests = (0..64).map(|_| {
        let (app, m) = (&app, &m);
        async move {
            let res = post_token(
                app,
                Some((&m.id, &m.secret)),
                &[("grant_type", "client_credentials")],
            )
            .await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    });
    let tokens = crate::helpers::join_all(requests.collect()).await;
    let distinct: std::collections::HashSet<_> = tokens.iter().collect();
    assert_eq!(distinct.len(), 64);
    let mut conn = app.db.conn();
    for t in &tokens {
        let row = store::tokens::find_by_digest(&mut conn, &secret::digest(t))
            .unwrap()
            .unwrap();
        assert_eq!(row.client_id, m.id);
        assert!(row.user_id.is_none());
    }
}
