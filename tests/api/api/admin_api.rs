//! The admin JSON API: authentication (API keys, admin-scoped client
//! credentials), every endpoint with its validation errors, paging, and the
//! audit trail. Every response is checked against the OpenAPI document.

use keyward::idm::clients::{self, ClientSpec};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::openapi::Api;

use crate::helpers::*;

async fn api(app: &TestApp) -> Api<'_> {
    let key = api_key(app);
    Api::new(app, Some(&key)).await
}

fn error_code(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn credentials_are_required_and_checked() {
    let app = TestApp::set_up().await;
    let key = api_key(&app);
    let anon = Api::new(&app, None).await;

    // No credential: 401 with a challenge.
    let res = app
        .http
        .get(app.url("/api/v1/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let (status, body) = anon.get("/api/v1/clients").await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "unauthorized");
    // A wrong key, a wrong prefix, garbage: 401.
    for wrong in ["kw_ak_not-a-key", "kw_at_nothing", "x"] {
        let (status, _) = anon.with(Some(wrong)).get("/api/v1/users").await;
        assert_eq!(status, 401, "{wrong}");
    }
    // The key works as a bearer token and as X-Admin-Token.
    let (status, _) = anon.with(Some(&key)).get("/api/v1/clients").await;
    assert_eq!(status, 200);
    let req = app
        .http
        .get(app.url("/api/v1/scopes"))
        .header("X-Admin-Token", &key);
    let (status, _) = anon.send(Method::GET, "/api/v1/scopes", req).await;
    assert_eq!(status, 200);
    // Both headers at once: refused.
    let req = app
        .http
        .get(app.url("/api/v1/scopes"))
        .header("X-Admin-Token", &key)
        .bearer_auth(&key);
    let (status, body) = anon.send(Method::GET, "/api/v1/scopes", req).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    // A revoked key stops working at once.
    let (row, other) = keyward::idm::api_keys::create(
        &mut app.db.conn(),
        "ci",
        None,
        &keyward::store::audit::Actor::cli(),
    )
    .unwrap();
    keyward::idm::api_keys::revoke(&mut app.db.conn(), &row.id, &"test".into()).unwrap();
    let (status, _) = anon.with(Some(other.expose())).get("/api/v1/clients").await;
    assert_eq!(status, 401);

    // OAuth: a client-credentials token without the admin scope gets 403...
    let spec = ClientSpec {
        name: "Reporting job".into(),
        grant_types: Some(vec!["client_credentials".into()]),
        scopes: Some(vec!["metrics".into()]),
        ..ClientSpec::default()
    };
    let (job, job_secret) = clients::create(&mut app.db.conn(), &spec, &"test".into()).unwrap();
    let token = client_token(&app, &job.id, job_secret.unwrap().expose(), "metrics").await;
    let (status, body) = anon.with(Some(&token)).get("/api/v1/clients").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );
    // ...and it cannot be given the scope unless admin-capable.
    let refused = clients::create(
        &mut app.db.conn(),
        &ClientSpec {
            scopes: Some(vec!["admin".into()]),
            ..spec.clone()
        },
        &"test".into(),
    );
    assert!(
        matches!(
            refused,
            Err(clients::ClientError::Invalid {
                field: "scopes",
                ..
            })
        ),
        "{refused:?}"
    );
    // An admin-capable client's admin-scoped token is an admin caller.
    let (ops, ops_secret) = clients::create(
        &mut app.db.conn(),
        &ClientSpec {
            name: "Terraform".into(),
            scopes: Some(vec!["admin".into()]),
            admin_capable: true,
            ..spec.clone()
        },
        &"test".into(),
    )
    .unwrap();
    let token = client_token(&app, &ops.id, ops_secret.unwrap().expose(), "admin").await;
    let caller = anon.with(Some(&token));
    let (status, body) = caller.get("/api/v1/clients?limit=10").await;
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    // A person's token (even an administrator's) is not an admin credential.
    let person = person_token(&app).await;
    let (status, body) = anon.with(Some(&person)).get("/api/v1/users").await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );

    // Every authenticated call is in the audit log, with the address;
    // anonymous refusals once a minute per address (the rest are counted).
    let events = crate::helpers::audit_events(&app, "api.call");
    assert!(events.len() >= 3, "{}", events.len());
    assert!(events.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")));
    let refused = crate::helpers::audit_events(&app, "api.refused");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].outcome == "failure" && refused[0].actor.is_none());
    assert!(events.iter().any(|e| e.outcome == "success"
        && e.actor.as_deref() == Some(&format!("client:{}", ops.id))
        && e.target.as_deref() == Some("GET /api/v1/clients")));
    // Unknown endpoints under /api/v1 answer JSON.
    let res = app.get("/api/v1/nothing-here").await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

async fn client_token(app: &TestApp, id: &str, secret: &str, scope: &str) -> String {
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// The admin's own access token from a code flow.
async fn person_token(app: &TestApp) -> String {
    let wiki = app.register(TestClient::confidential().consent("skip"));
    let http = browser();
    let q = crate::helpers::run_flow(
        app,
        &http,
        &crate::helpers::authorize_url(app, &wiki, &[]),
        true,
    )
    .await;
    let res = crate::helpers::redeem(app, &wiki, &q["code"]).await;
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn clients_lifecycle_with_validation_and_paging() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;

    // Validation: the validator's checks, then the client rules.
    for (body, field) in [
        (json!({ "name": "", "client_type": "confidential" }), "name"),
        (
            json!({ "name": "Wiki", "client_type": "sideways" }),
            "client_type",
        ),
        (
            json!({ "name": "Wiki", "client_type": "confidential", "redirect_uris": ["http://wiki.example/cb"] }),
            "redirect_uris",
        ),
        (
            json!({ "name": "Wiki", "client_type": "public", "redirect_uris": ["https://wiki.example/cb"], "grant_types": ["client_credentials"] }),
            "grant_types",
        ),
        (
            json!({ "name": "Wiki", "client_type": "confidential", "redirect_uris": ["https://wiki.example/cb"], "access_token_ttl": 5 }),
            "access_token_ttl",
        ),
    ] {
        let (status, err) = api.post("/api/v1/clients", body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_code(&err), "validation_failed");
        assert_eq!(err["field"], field, "{body}: {err}");
    }
    // A scope that does not exist is a conflict with the data, not a
    // malformed request: 409.
    let (status, err) = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Wiki", "client_type": "confidential", "redirect_uris": ["https://wiki.example/cb"], "scopes": ["openid", "nope"] }),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::CONFLICT, Some("scopes"))
    );
    // A JSON array is not the object the document asks for.
    let (status, _) = api.post("/api/v1/clients", json!(["Wiki", "public"])).await;
    assert_eq!(status, 422);
    // Missing members and wrong types: 422; broken JSON and the wrong
    // content type: 400.
    let (status, err) = api
        .post("/api/v1/clients", json!({ "client_type": "public" }))
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body"))
    );
    let (status, _) = api
        .post(
            "/api/v1/clients",
            json!({ "name": 7, "client_type": "public" }),
        )
        .await;
    assert_eq!(status, 422);
    let req = app
        .http
        .post(app.url("/api/v1/clients"))
        .bearer_auth(api.credential.as_ref().unwrap())
        .header("content-type", "application/json")
        .body("{ not json");
    let (status, err) = api.send(Method::POST, "/api/v1/clients", req).await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let req = app
        .http
        .post(app.url("/api/v1/clients"))
        .bearer_auth(api.credential.as_ref().unwrap())
        .body("name=Wiki");
    let (status, _) = api.send(Method::POST, "/api/v1/clients", req).await;
    assert_eq!(status, 400);
    assert_eq!(
        keyward::store::clients::count(&mut app.db.conn()).unwrap(),
        0,
        "nothing created"
    );

    // Create: the secret once; it works at the token endpoint.
    let (status, created) = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Wiki", "client_type": "confidential",
                    "redirect_uris": ["https://wiki.example/cb"],
                    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
                    "scopes": ["openid", "profile"], "consent_policy": "skip" }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["client"]["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("kw_cs_"));
    assert_eq!(created["client"]["policy"]["consent_policy"], "skip");
    client_token(&app, &id, &secret, "profile").await;
    let (status, public) = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Notes", "client_type": "public", "redirect_uris": ["http://127.0.0.1:5173/cb"] }),
        )
        .await;
    assert_eq!(status, 201);
    assert!(public["client_secret"].is_null());
    assert_eq!(public["client"]["token_endpoint_auth_method"], "none");
    assert_eq!(public["client"]["policy"]["require_pkce"], true);

    // Get; unknown: 404.
    let (status, got) = api.get(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(
        (status, got["name"].as_str()),
        (StatusCode::OK, Some("Wiki"))
    );
    let (status, err) = api.get("/api/v1/clients/kwc_nobody").await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::NOT_FOUND, "not_found")
    );

    // List, paged and searched.
    let (_, page1) = api.get("/api/v1/clients?limit=1").await;
    assert_eq!(page1["items"][0]["name"], "Notes");
    let cursor = page1["next_cursor"].as_str().unwrap().to_owned();
    let (_, page2) = api
        .get(&format!("/api/v1/clients?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(page2["items"][0]["name"], "Wiki");
    assert!(page2["next_cursor"].is_null());
    let (_, found) = api.get("/api/v1/clients?q=wik").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (status, err) = api.get("/api/v1/clients?limit=0").await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let (status, _) = api.get("/api/v1/clients?cursor=zzz").await;
    assert_eq!(status, 400);
    let (status, _) = api.get("/api/v1/clients?limit=ten").await;
    assert_eq!(status, 400);

    // Update the registration; the policy stays.
    let (status, updated) = api
        .put(
            &format!("/api/v1/clients/{id}"),
            json!({ "name": "Team wiki", "redirect_uris": ["https://wiki.example/cb", "https://wiki.example/cb2"],
                    "grant_types": ["authorization_code", "client_credentials"],
                    "token_endpoint_auth_method": "client_secret_post" }),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Team wiki");
    assert_eq!(updated["redirect_uris"].as_array().unwrap().len(), 2);
    assert_eq!(updated["policy"]["consent_policy"], "skip");
    let (status, err) = api
        .put(
            &format!("/api/v1/clients/{id}"),
            json!({ "name": "Team wiki", "redirect_uris": ["https://wiki.example/cb#frag"],
                    "grant_types": ["authorization_code"], "token_endpoint_auth_method": "client_secret_post" }),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("redirect_uris"))
    );

    // The policy: get, put, refusals.
    let (status, mut policy) = api.get(&format!("/api/v1/clients/{id}/policy")).await;
    assert_eq!(status, 200);
    policy["token_format"] = json!("jwt");
    policy["access_token_ttl"] = json!(600);
    policy["scopes"] = json!(["openid", "profile", "email"]);
    let (status, saved) = api
        .put(&format!("/api/v1/clients/{id}/policy"), policy.clone())
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["token_format"], "jwt");
    assert_eq!(saved["access_token_ttl"], 600);
    policy["consent_policy"] = json!("sometimes");
    let (status, err) = api
        .put(&format!("/api/v1/clients/{id}/policy"), policy.clone())
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("consent_policy"))
    );
    policy["consent_policy"] = json!("once");
    policy["scopes"] = json!(["openid", "admin"]);
    let (status, err) = api
        .put(&format!("/api/v1/clients/{id}/policy"), policy.clone())
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("scopes"))
    );

    // Rotate the secret: the old one stops working.
    let (status, rotated) = api
        .post_empty(&format!("/api/v1/clients/{id}/secret"))
        .await;
    assert_eq!(status, 200);
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (status, _) = api
        .post_empty(&format!(
            "/api/v1/clients/{}/secret",
            public["client"]["client_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 409, "a public client has no secret");

    // Delete: 204, then 404.
    let (status, body) = api.delete(&format!("/api/v1/clients/{id}")).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _) = api.delete(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(status, 404);
    // The changes are audited as the key.
    let events = crate::helpers::audit_events(&app, "client.");
    assert!(events
        .iter()
        .all(|e| e.actor.as_deref().unwrap().starts_with("apikey:")));
    assert!(events.iter().any(|e| e.action == "client.delete"));
}

#[tokio::test]
async fn scopes_are_created_updated_and_deleted_by_the_rules() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;
    let (status, list) = api.get("/api/v1/scopes").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for builtin in ["openid", "profile", "email", "metrics", "admin"] {
        assert!(names.contains(&builtin), "{builtin} in {names:?}");
    }
    // Paged like every list.
    let (_, first) = api.get("/api/v1/scopes?limit=3").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let (_, rest) = api
        .get(&format!(
            "/api/v1/scopes?cursor={}",
            first["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), names.len() - 3);
    assert!(rest["next_cursor"].is_null());
    let (status, _) = api.get("/api/v1/scopes?limit=201").await;
    assert_eq!(status, 422);
    let (status, created) = api
        .put(
            "/api/v1/scopes/orders:read",
            json!({ "description": "Read your orders", "claims": ["orders"] }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["claims"], json!(["orders"]));
    let (status, updated) = api
        .put(
            "/api/v1/scopes/orders:read",
            json!({ "description": "Read your past orders", "claims": ["orders", "region"] }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(updated["claims"], json!(["orders", "region"]));
    let (status, got) = api.get("/api/v1/scopes/orders:read").await;
    assert_eq!(
        (status, got["description"].as_str()),
        (StatusCode::OK, Some("Read your past orders"))
    );
    // Refusals: a bad name, an empty description, a bad claim, fixed claims.
    let (status, err) = api
        .put("/api/v1/scopes/has%20space", json!({ "description": "x" }))
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );
    let (status, err) = api
        .put("/api/v1/scopes/orders:read", json!({ "description": "" }))
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("description"))
    );
    let (status, err) = api
        .put(
            "/api/v1/scopes/orders:read",
            json!({ "description": "Orders", "claims": ["bad-claim"] }),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("claims"))
    );
    let (status, err) = api
        .put(
            "/api/v1/scopes/email",
            json!({ "description": "Email", "claims": ["email"] }),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::CONFLICT, Some("claims")),
        "a built-in scope's claims are fixed"
    );
    // In use, built in: 409. Unknown: 404. Otherwise 204.
    let (status, _) = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Shop", "client_type": "confidential", "redirect_uris": ["https://shop.example/cb"], "scopes": ["openid", "orders:read"] }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, err) = api.delete("/api/v1/scopes/orders:read").await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "conflict")
    );
    assert!(err["message"].as_str().unwrap().contains("Shop"));
    let (status, _) = api.delete("/api/v1/scopes/profile").await;
    assert_eq!(status, 409);
    let (status, _) = api.delete("/api/v1/scopes/nothing").await;
    assert_eq!(status, 404);
    let (status, _) = api.get("/api/v1/scopes/nothing").await;
    assert_eq!(status, 404);
    let (_, shop) = api.get("/api/v1/clients?q=shop").await;
    let shop_id = shop["items"][0]["client_id"].as_str().unwrap();
    api.delete(&format!("/api/v1/clients/{shop_id}")).await;
    let (status, _) = api.delete("/api/v1/scopes/orders:read").await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn users_lifecycle_by_the_account_rules() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;
    for (body, status, field) in [
        (json!({ "username": "r" }), 422, "username"),
        (json!({ "username": "-robin" }), 422, "username"),
        (
            json!({ "username": "robin", "email": "nope" }),
            422,
            "email",
        ),
        (json!({ "username": " robin" }), 422, "username"),
        (json!({ "username": "röbin" }), 422, "username"),
        (
            json!({ "username": "robin", "email": " robin@acme.example" }),
            422,
            "email",
        ),
        (json!({ "username": ADMIN }), 409, "username"),
        (
            json!({ "username": "robin", "email": "ADMIN@acme.example" }),
            409,
            "email",
        ),
    ] {
        let (got, err) = api.post("/api/v1/users", body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}: {err}");
        assert_eq!(err["field"], field, "{body}");
    }
    // Created with a generated password, returned once; it signs in.
    let (status, created) = api
        .post(
            "/api/v1/users",
            json!({ "username": "robin", "email": "robin@acme.example" }),
        )
        .await;
    assert_eq!(status, 201);
    let password = created["password"].as_str().unwrap().to_owned();
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    let robin = browser();
    assert_eq!(
        sign_in(&app, &robin, "robin", &password).await.status(),
        303
    );
    // The API never takes a password; a member called so is ignored.
    let (status, given) = api
        .post(
            "/api/v1/users",
            json!({ "username": "sam", "password": "correct-horse-staple-9", "is_admin": true }),
        )
        .await;
    assert_eq!(status, 201);
    let generated = given["password"].as_str().unwrap();
    assert_ne!(generated, "correct-horse-staple-9");
    assert_eq!(generated.len(), 23, "xxxxx-xxxxx-xxxxx-xxxxx");
    assert_eq!(given["user"]["is_admin"], true);

    // Get, list, search, page.
    let (status, got) = api.get(&format!("/api/v1/users/{id}")).await;
    assert_eq!(
        (status, got["username"].as_str()),
        (StatusCode::OK, Some("robin"))
    );
    let (_, found) = api.get("/api/v1/users?q=rob").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (_, page) = api.get("/api/v1/users?limit=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, rest) = api
        .get(&format!(
            "/api/v1/users?limit=2&cursor={}",
            page["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    let (status, _) = api.get("/api/v1/users/nobody").await;
    assert_eq!(status, 404);

    // Update the profile and role; refusals by field.
    let (status, updated) = api
        .put(&format!("/api/v1/users/{id}"), json!({ "email": "robin.h@acme.example", "display_name": "Robin Hood", "is_admin": true }))
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["display_name"], "Robin Hood");
    assert_eq!(updated["is_admin"], true);
    let (status, err) = api
        .put(
            &format!("/api/v1/users/{id}"),
            json!({ "email": "sam-or-not" }),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );
    let (status, err) = api
        .put(
            &format!("/api/v1/users/{id}"),
            json!({ "email": "admin@acme.example" }),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::CONFLICT, Some("email"))
    );
    let (status, _) = api
        .put(
            &format!("/api/v1/users/{id}"),
            json!({ "given_name": "x".repeat(101) }),
        )
        .await;
    assert_eq!(status, 422);

    // Disable ends the session and sign-in; enable again.
    let (status, disabled) = api.post_empty(&format!("/api/v1/users/{id}/disable")).await;
    assert_eq!(
        (status, disabled["disabled"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        robin
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        sign_in(&app, &browser(), "robin", &password).await.status(),
        401
    );
    let (status, enabled) = api.post_empty(&format!("/api/v1/users/{id}/enable")).await;
    assert_eq!(
        (status, enabled["disabled"].as_bool()),
        (StatusCode::OK, Some(false))
    );

    // Delete: 204, then 404; the last administrator cannot be deleted.
    let (status, _) = api.delete(&format!("/api/v1/users/{id}")).await;
    assert_eq!(status, 204);
    let (status, _) = api.delete(&format!("/api/v1/users/{id}")).await;
    assert_eq!(status, 404);
    let (_, all) = api.get("/api/v1/users").await;
    let ids: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let sam = &given["user"]["id"].as_str().unwrap().to_owned();
    let admin_id = ids.iter().find(|i| *i != sam).unwrap().clone();
    let (status, _) = api.delete(&format!("/api/v1/users/{sam}")).await;
    assert_eq!(status, 204);
    let (status, err) = api.delete(&format!("/api/v1/users/{admin_id}")).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::CONFLICT, Some("is_admin")),
        "a well-formed request the current accounts refuse"
    );
    let (status, _) = api
        .post_empty(&format!("/api/v1/users/{admin_id}/disable"))
        .await;
    assert_eq!(status, 409, "nor disabled");
}

#[tokio::test]
async fn signing_keys_rotate_retire_and_revoke() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;
    let (status, list) = api.get("/api/v1/keys").await;
    assert_eq!(status, 200);
    let first = list["items"][0]["kid"].as_str().unwrap().to_owned();
    let (status, err) = api
        .post("/api/v1/keys/rotate", json!({ "alg": "HS256" }))
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("alg"))
    );
    let (status, _) = api.post("/api/v1/keys/rotate", json!({})).await;
    assert_eq!(status, 422);
    let (status, es) = api
        .post("/api/v1/keys/rotate", json!({ "alg": "ES256" }))
        .await;
    assert_eq!(
        (status, es["status"].as_str()),
        (StatusCode::CREATED, Some("active"))
    );
    let kid = es["kid"].as_str().unwrap().to_owned();
    let (_, page) = api.get("/api/v1/keys?limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, rest) = api
        .get(&format!(
            "/api/v1/keys?limit=1&cursor={}",
            page["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_ne!(rest["items"][0]["kid"], page["items"][0]["kid"]);
    // Served at once.
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == kid.as_str()));
    // The last active key cannot be retired or revoked; an RS256 one next to
    // the ES256 one can.
    let (status, retired) = api
        .post_empty(&format!("/api/v1/keys/{first}/retire"))
        .await;
    assert_eq!(
        (status, retired["status"].as_str()),
        (StatusCode::OK, Some("retired"))
    );
    let (status, err) = api
        .post_empty(&format!("/api/v1/keys/{first}/retire"))
        .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::CONFLICT, "conflict")
    );
    let (status, _) = api.post_empty(&format!("/api/v1/keys/{kid}/retire")).await;
    assert_eq!(status, 409, "the last active key");
    let (status, revoked) = api
        .post_empty(&format!("/api/v1/keys/{first}/revoke"))
        .await;
    assert_eq!(
        (status, revoked["status"].as_str()),
        (StatusCode::OK, Some("revoked"))
    );
    let (status, _) = api.post_empty("/api/v1/keys/no-such-kid/revoke").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_audit_log_filters_and_pages() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;
    for name in ["a:one", "a:two", "a:three"] {
        let (status, _) = api
            .put(
                &format!("/api/v1/scopes/{name}"),
                json!({ "description": "A" }),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, page) = api.get("/api/v1/audit?action=scope.&limit=2").await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["target"], "a:three", "newest first");
    assert!(items[0]["actor"].as_str().unwrap().starts_with("apikey:"));
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = api
        .get(&format!(
            "/api/v1/audit?action=scope.&limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["target"], "a:one");
    assert!(rest["next_cursor"].is_null());
    let (_, calls) = api.get("/api/v1/audit?action=api.call").await;
    assert!(calls["items"].as_array().unwrap().len() >= 5);
    assert_eq!(calls["items"][0]["detail"]["status"], 200);
    let (status, _) = api.get("/api/v1/audit?cursor=o5").await;
    assert_eq!(status, 400);
    let (status, _) = api.get("/api/v1/audit?limit=500").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_its_schemas() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;
    let paths = api.doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/clients", &["get", "post"][..]),
        ("/api/v1/clients/{id}", &["get", "put", "delete"]),
        ("/api/v1/clients/{id}/secret", &["post"]),
        ("/api/v1/clients/{id}/policy", &["get", "put"]),
        ("/api/v1/scopes", &["get"]),
        ("/api/v1/scopes/{name}", &["get", "put", "delete"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/users/{id}", &["get", "put", "delete"]),
        ("/api/v1/users/{id}/disable", &["post"]),
        ("/api/v1/users/{id}/enable", &["post"]),
        ("/api/v1/users/{id}/sessions", &["get"]),
        ("/api/v1/users/{id}/sessions/{session}", &["delete"]),
        ("/api/v1/users/{id}/sign-in-failures", &["get", "delete"]),
        ("/api/v1/keys", &["get"]),
        ("/api/v1/keys/rotate", &["post"]),
        ("/api/v1/keys/{kid}/retire", &["post"]),
        ("/api/v1/keys/{kid}/revoke", &["post"]),
        ("/api/v1/api-keys", &["get", "post"]),
        ("/api/v1/api-keys/{id}", &["delete"]),
        ("/api/v1/settings", &["get", "put"]),
        ("/api/v1/audit", &["get"]),
    ] {
        for m in methods {
            assert!(paths[path][*m].is_object(), "{m} {path} documented");
        }
    }
    assert_eq!(
        paths.len(),
        21,
        "no undocumented or stale paths: {:?}",
        paths.keys()
    );
    // The constraints the server enforces are stated (the fuzzer in CI
    // checks that they are the server's exactly).
    let limit = paths["/api/v1/users"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(
        (
            limit["schema"]["minimum"].as_i64(),
            limit["schema"]["maximum"].as_i64()
        ),
        (Some(1), Some(200))
    );
    let schemas = &api.doc["components"]["schemas"];
    assert_eq!(
        schemas["UserCreate"]["properties"]["username"]["pattern"],
        keyward::api::schema::USERNAME
    );
    assert_eq!(
        schemas["ClientCreate"]["properties"]["name"]["maxLength"],
        100
    );
    assert!(
        schemas["ClientCreate"]["allOf"].as_array().unwrap().len() >= 3,
        "rules between members"
    );
    assert_eq!(schemas["SettingsUpdate"]["additionalProperties"], false);
    let schemes = &api.doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["admin_token"]["name"], "X-Admin-Token");
    // The checker itself refuses what does not fit.
    let doc = &api.doc;
    let schema = json!({ "$ref": "#/components/schemas/ErrorBody" });
    assert!(crate::helpers::openapi::validate(
        doc,
        &schema,
        &json!({ "error": "x", "message": "y" }),
        "$"
    )
    .is_ok());
    assert!(crate::helpers::openapi::validate(
        doc,
        &schema,
        &json!({ "error": 1, "message": "y" }),
        "$"
    )
    .is_err());
    assert!(
        crate::helpers::openapi::validate(doc, &schema, &json!({ "message": "y" }), "$").is_err()
    );
    assert!(crate::helpers::openapi::validate(
        doc,
        &schema,
        &json!({ "error": "x", "message": "y", "extra": 1 }),
        "$"
    )
    .is_err());
}

#[tokio::test]
async fn a_persons_sessions_and_failed_sign_ins_are_listed_ended_and_forgotten() {
    let app = TestApp::set_up_with(&[("KEYWARD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let api = api(&app).await;
    let admin_id = keyward::store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let laptop = browser_from("198.51.100.4");
    assert_eq!(
        sign_in(&app, &laptop, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );
    let guesser = browser_from("203.0.113.4");
    for _ in 0..5 {
        sign_in(&app, &guesser, ADMIN, "wrong-password-123").await;
    }

    let (status, body) = api.get(&format!("/api/v1/users/{admin_id}/sessions")).await;
    assert_eq!(status, 200);
    let items = body["items"].as_array().unwrap();
    let laptop_session = items
        .iter()
        .find(|s| s["address"] == "198.51.100.4")
        .expect("the laptop's session");
    assert_eq!(laptop_session["methods"], json!(["pwd"]));

    let (status, body) = api
        .get(&format!("/api/v1/users/{admin_id}/sign-in-failures"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["failures"], 5);
    assert_eq!(body["blocked_addresses"][0]["address"], "203.0.113.4");
    assert_eq!(body["blocked_until"], Value::Null);

    let sid = laptop_session["id"].as_str().unwrap();
    let path = format!("/api/v1/users/{admin_id}/sessions/{sid}");
    let (status, _) = api.delete(&path).await;
    assert_eq!(status, 204);
    assert_eq!(account_status(&app, &laptop).await, 303);
    let (status, body) = api.delete(&path).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );

    let (status, _) = api
        .delete(&format!("/api/v1/users/{admin_id}/sign-in-failures"))
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        sign_in(&app, &guesser, ADMIN, ADMIN_PASSWORD)
            .await
            .status(),
        303
    );
    let (_, body) = api
        .get(&format!("/api/v1/users/{admin_id}/sign-in-failures"))
        .await;
    assert_eq!(body["failures"], 0);
    let (status, _) = api.get("/api/v1/users/nobody/sessions").await;
    assert_eq!(status, 404);
    assert!(!audit_events(&app, "user.unlock").is_empty());
}

#[tokio::test]
async fn a_method_a_path_does_not_have_is_405_with_allow() {
    let app = TestApp::set_up().await;
    let key = api_key(&app);
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/clients", "GET, POST"),
        (Method::PATCH, "/api/v1/users/abc", "GET, PUT, DELETE"),
        (Method::GET, "/api/v1/keys/rotate", "POST"),
        (Method::PUT, "/api/v1/audit", "GET"),
        (Method::POST, "/api/v1/settings", "GET, PUT"),
        (Method::GET, "/api/v1/api-keys/k1", "DELETE"),
    ] {
        let res = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(error_code(&body), "method_not_allowed");
    }
    // An unknown path is still 404.
    let res = app
        .http
        .get(app.url("/api/v1/nothing"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn api_keys_are_listed_made_once_and_revoked_through_the_api() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;
    let (status, list) = api.get("/api/v1/api-keys").await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["made_with_cli"], true);
    assert_eq!(list["items"][0]["state"], "active");

    for (body, field) in [
        (json!({ "name": "" }), "body"),
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "x".repeat(101) }), "name"),
        (json!({ "name": "ci", "expires_in_days": 0 }), "name"),
        (json!({ "name": "ci", "expires_in_days": 3651 }), "name"),
        (json!({ "name": "ci", "expires_in_days": 1.5 }), "body"),
    ] {
        let (status, err) = api.post("/api/v1/api-keys", body.clone()).await;
        assert_eq!(status, 422, "{body}: {err}");
        if field == "name" {
            assert_eq!(err["field"], "name", "{body}");
        }
    }
    // Made once: the secret in this answer and never again.
    let (status, made) = api
        .post(
            "/api/v1/api-keys",
            json!({ "name": "terraform", "expires_in_days": 30.0 }),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("kw_ak_"));
    let id = made["key"]["id"].as_str().unwrap().to_owned();
    assert!(made["key"]["expires_at"].as_i64().unwrap() > keyward::store::now() + 29 * 86_400);
    assert_eq!(
        made["key"]["made_with_cli"], true,
        "owned like the key that made it"
    );
    let (_, list) = api.get("/api/v1/api-keys").await;
    assert!(!list.to_string().contains(&secret));
    let stored = keyward::store::api_keys::find(&mut app.db.conn(), &id)
        .unwrap()
        .unwrap();
    assert_ne!(stored.digest, secret, "stored as a digest");
    // It works; revoked, it stops; revoking again is 404.
    let other = api.with(Some(&secret));
    assert_eq!(other.get("/api/v1/settings").await.0, 200);
    assert_eq!(api.delete(&format!("/api/v1/api-keys/{id}")).await.0, 204);
    assert_eq!(other.get("/api/v1/settings").await.0, 401);
    assert_eq!(api.delete(&format!("/api/v1/api-keys/{id}")).await.0, 404);
    let actions: Vec<String> = audit_events(&app, "apikey.")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"apikey.create".to_owned())
            && actions.contains(&"apikey.revoke".to_owned())
    );

    // A client's admin token may use the API but not mint lasting keys.
    let machine = app.register(TestClient::confidential().with(|s| {
        s.redirect_uris = vec![];
        s.grant_types = Some(vec!["client_credentials".into()]);
        s.scopes = Some(vec!["admin".into()]);
        s.admin_capable = true;
    }));
    let token: Value = exchange(
        &app,
        &machine,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    )
    .await
    .json()
    .await
    .unwrap();
    let by_client = api.with(token["access_token"].as_str());
    assert_eq!(by_client.get("/api/v1/api-keys").await.0, 200);
    let (status, err) = by_client
        .post("/api/v1/api-keys", json!({ "name": "sneaky" }))
        .await;
    assert_eq!(
        (status, error_code(&err)),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );
}

#[tokio::test]
async fn settings_are_read_and_changed_through_the_api() {
    let app = TestApp::set_up().await;
    let api = api(&app).await;
    let (status, now) = api.get("/api/v1/settings").await;
    assert_eq!(status, 200);
    assert_eq!(now["org_name"], "Acme Ops");
    assert_eq!(now["issuer"], app.address.as_str());
    assert_eq!(now["session_idle_timeout"], 8 * 3600);

    for (body, field) in [
        (json!({ "org_name": "" }), "org_name"),
        (json!({ "org_name": " \t" }), "org_name"),
        (
            json!({ "default_access_token_ttl": 59 }),
            "default_access_token_ttl",
        ),
        (
            json!({ "session_idle_timeout": 604_801 }),
            "session_idle_timeout",
        ),
        (json!({ "audit_retention_days": 0 }), "audit_retention_days"),
    ] {
        let (status, err) = api.put("/api/v1/settings", body.clone()).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    // The issuer is not changed here (every app would need reconfiguring).
    let (status, _) = api
        .put(
            "/api/v1/settings",
            json!({ "issuer": "https://evil.example" }),
        )
        .await;
    assert_eq!(status, 422);
    let (status, saved) = api
        .put(
            "/api/v1/settings",
            json!({ "org_name": "Acme Platform", "session_idle_timeout": 3600, "audit_retention_days": 30 }),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["org_name"], "Acme Platform");
    assert_eq!(saved["session_idle_timeout"], 3600);
    assert_eq!(
        saved["default_access_token_ttl"], now["default_access_token_ttl"],
        "the rest stays"
    );
    assert_eq!(saved["issuer"], app.address.as_str());
    let (_, again) = api.get("/api/v1/settings").await;
    assert_eq!(again, saved);
    let changed = audit_events(&app, "settings.update");
    assert_eq!(changed.len(), 1);
    // The new policy is what sessions get.
    let policy = keyward::idm::site::session_policy(&mut app.db.conn()).unwrap();
    assert_eq!(policy.idle_timeout, 3600);
}
