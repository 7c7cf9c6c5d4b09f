//! The settings page (organisation name, issuer, default lifetimes), the
//! "Integrate" panel of an app's page, API keys, and the admin-capable flag.

use keyward::idm::clients::{self, ClientSpec};
use keyward::store;
use serde_json::Value;

use crate::helpers::*;

async fn post_settings(
    app: &TestApp,
    http: &reqwest::Client,
    token: &str,
    fields: [(&str, &str); 4],
) -> reqwest::Response {
    let mut form = vec![("csrf_token", token)];
    form.extend_from_slice(&fields);
    http.post(app.url("/admin/settings"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn settings_validate_save_and_take_effect_at_once() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let (status, html) = get_html(&http, &app.url("/admin/settings")).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"Acme Ops\""), "{html}");
    assert!(
        html.contains(&format!("value=\"{}\"", app.address)),
        "{html}"
    );
    assert!(html.contains("value=\"3600\"") && html.contains("value=\"2592000\""));
    assert!(
        html.contains("Changing the issuer breaks every app"),
        "{html}"
    );
    let token = csrf(&html);
    let issuer = app.address.as_str();

    // Each bad value: 422, its message by its field, typed values kept.
    for (fields, message) in [
        (
            [
                ("org_name", " "),
                ("issuer", issuer),
                ("default_access_token_ttl", "600"),
                ("default_refresh_token_ttl", "7200"),
            ],
            "Enter a name of 1 to 100 characters.",
        ),
        (
            [
                ("org_name", "Acme Platform"),
                ("issuer", "http://id.acme.example"),
                ("default_access_token_ttl", "600"),
                ("default_refresh_token_ttl", "7200"),
            ],
            "The issuer must use https",
        ),
        (
            [
                ("org_name", "Acme Platform"),
                ("issuer", "https://id.acme.example/?x=1"),
                ("default_access_token_ttl", "600"),
                ("default_refresh_token_ttl", "7200"),
            ],
            "must not have a query",
        ),
        (
            [
                ("org_name", "Acme Platform"),
                ("issuer", issuer),
                ("default_access_token_ttl", "ten"),
                ("default_refresh_token_ttl", "7200"),
            ],
            "Give a whole number of seconds.",
        ),
        (
            [
                ("org_name", "Acme Platform"),
                ("issuer", issuer),
                ("default_access_token_ttl", "30"),
                ("default_refresh_token_ttl", "7200"),
            ],
            "Give 60 seconds to 1 day",
        ),
        (
            [
                ("org_name", "Acme Platform"),
                ("issuer", issuer),
                ("default_access_token_ttl", "600"),
                ("default_refresh_token_ttl", "99999999"),
            ],
            "Give 60 seconds to 366 days",
        ),
    ] {
        let res = post_settings(&app, &http, &token, fields).await;
        assert_eq!(res.status(), 422, "{fields:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains(&format!("value=\"{}\"", fields[2].1)), "kept");
    }
    let stored = keyward::idm::site::load(&mut app.db.conn()).unwrap();
    assert_eq!(stored.org_name, "Acme Ops", "nothing saved");
    assert_eq!(stored.default_access_token_ttl, 3600);

    // Without the CSRF token: refused, nothing saved.
    let res = http
        .post(app.url("/admin/settings"))
        .form(&[
            ("org_name", "Evil"),
            ("issuer", issuer),
            ("default_access_token_ttl", "600"),
            ("default_refresh_token_ttl", "7200"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // A good change: the same issuer spelled with a trailing slash, a new
    // name, shorter lifetimes. All in force at once.
    let new_issuer = format!("{}/", app.address);
    let res = post_settings(
        &app,
        &http,
        &token,
        [
            ("org_name", "Acme Platform"),
            ("issuer", &new_issuer),
            ("default_access_token_ttl", "600"),
            ("default_refresh_token_ttl", "7200"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/settings");
    let (_, html) = get_html(&http, &app.url("/admin/settings")).await;
    assert!(html.contains("The settings are saved and in force."));
    assert!(
        html.contains("<title>Settings · Admin · Acme Platform</title>"),
        "{html}"
    );
    let doc: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], new_issuer.as_str());
    assert_eq!(doc["token_endpoint"], format!("{}/token", app.address));

    // A client with no lifetime of its own now gets the new default.
    let spec = ClientSpec {
        name: "Backup job".into(),
        grant_types: Some(vec!["client_credentials".into()]),
        scopes: Some(vec![]),
        ..ClientSpec::default()
    };
    let (job, secret) = clients::create(&mut app.db.conn(), &spec, &"test".into()).unwrap();
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(&job.id, Some(secret.unwrap().expose()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 600);

    // One audit event, with the address and what changed from what.
    let events = crate::helpers::audit_events(&app, "settings.");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));
    let detail: Value = serde_json::from_str(events[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["org_name"]["from"], "Acme Ops");
    assert_eq!(detail["org_name"]["to"], "Acme Platform");
    assert_eq!(detail["default_access_token_ttl"]["to"], 600);
    assert_eq!(detail["issuer"]["to"], new_issuer.as_str());

    // Members may not see the page.
    let anon = browser();
    let res = anon.get(app.url("/admin/settings")).send().await.unwrap();
    assert_eq!(location(&res), "/login?return_to=%2Fadmin%2Fsettings");
}

#[tokio::test]
async fn the_integrate_panel_has_ready_settings_and_copy_buttons() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let grafana = ClientSpec {
        name: "Grafana".into(),
        redirect_uris: vec!["https://grafana.acme.example/login/generic_oauth".into()],
        ..ClientSpec::default()
    };
    let (g, secret) = clients::create(&mut app.db.conn(), &grafana, &"test".into()).unwrap();
    let (_, html) = get_html(&http, &app.url(&format!("/admin/clients/{}", g.id))).await;
    for expected in [
        "Any OpenID Connect library",
        "oauth2-proxy",
        "Grafana (generic OAuth)",
        &format!("oidc_issuer_url = &quot;{}&quot;", app.address),
        &format!("client_id = {}", g.id),
        &format!("token_url = {}/token", app.address),
        "data-copy=\"snippet-grafana\"",
        "<script src=\"/static/keyward.js\" defer></script>",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }
    assert!(
        !html.contains(secret.unwrap().expose()),
        "the secret is never in a snippet"
    );
    assert!(!html.contains("snippet-prometheus"));

    let metrics = ClientSpec {
        name: "Prometheus".into(),
        grant_types: Some(vec!["client_credentials".into()]),
        scopes: Some(vec!["metrics".into()]),
        ..ClientSpec::default()
    };
    let (p, _) = clients::create(&mut app.db.conn(), &metrics, &"test".into()).unwrap();
    let (_, html) = get_html(&http, &app.url(&format!("/admin/clients/{}", p.id))).await;
    assert!(html.contains("Prometheus scrape_config"), "{html}");
    assert!(html.contains(&format!("client_id: {}", p.id)));
    assert!(html.contains("scopes: [metrics]"));
    assert!(!html.contains("oauth2-proxy"));
    // A machine client is shown only the endpoints it uses.
    assert!(
        !html.contains("/authorize</code>") && !html.contains("/userinfo</code>"),
        "{html}"
    );
    assert!(html.contains(&format!("{}/token</code>", app.address)));

    // The copy script is served from here (the CSP allows only local scripts).
    let res = app.get("/static/keyward.js").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(res.text().await.unwrap().contains("navigator.clipboard"));
}

#[tokio::test]
async fn api_keys_are_created_once_shown_and_revoked_after_confirmation() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let (status, html) = get_html(&http, &app.url("/admin/apikeys")).await;
    assert_eq!(status, 200);
    assert!(html.contains("No API keys yet."));
    assert!(html.contains(&format!("{}/api/v1/openapi.json", app.address)));
    let token = csrf(&html);
    // An empty name: 422 with the message; nothing created.
    let res = http
        .post(app.url("/admin/apikeys"))
        .form(&[("csrf_token", token.as_str()), ("name", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("1 to 100 characters"));
    // Without CSRF: refused.
    let res = http
        .post(app.url("/admin/apikeys"))
        .form(&[("name", "ci")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(store::api_keys::list(&mut app.db.conn())
        .unwrap()
        .is_empty());
    // Created: shown once; it opens the API.
    let res = http
        .post(app.url("/admin/apikeys"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "terraform"),
            ("expires_in_days", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/apikeys");
    let (_, html) = get_html(&http, &app.url("/admin/apikeys")).await;
    let key = html
        .split("<code id=\"new-api-key\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(key.starts_with("kw_ak_"));
    let (_, again) = get_html(&http, &app.url("/admin/apikeys")).await;
    assert!(!again.contains(&key), "shown once");
    assert!(again.contains("terraform") && again.contains("active"));
    let status = |key: String| {
        let (h, url) = (app.http.clone(), app.url("/api/v1/users"));
        async move { h.get(url).bearer_auth(key).send().await.unwrap().status() }
    };
    assert_eq!(status(key.clone()).await, 200);
    let (_, html) = get_html(&http, &app.url("/admin/apikeys")).await;
    assert!(
        !html.contains(">never<"),
        "last use and expiry shown: {html}"
    );
    // Revoke: a confirmation page, then the POST.
    let id = store::api_keys::list(&mut app.db.conn()).unwrap()[0]
        .id
        .clone();
    let (status_code, confirm) =
        get_html(&http, &app.url(&format!("/admin/apikeys/{id}/revoke"))).await;
    assert_eq!(status_code, 200);
    assert!(
        confirm.contains("Revoke the API key terraform?"),
        "{confirm}"
    );
    let res = http
        .post(app.url(&format!("/admin/apikeys/{id}/revoke")))
        .form(&[("csrf_token", csrf(&confirm).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/apikeys");
    assert_eq!(status(key).await, 401);
    let (s, _) = get_html(&http, &app.url(&format!("/admin/apikeys/{id}/revoke"))).await;
    assert_eq!(s, 404, "an already revoked key has nothing to confirm");
    let events = crate::helpers::audit_events(&app, "apikey.");
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")));
}

#[tokio::test]
async fn the_policy_editor_marks_a_client_admin_capable() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let spec = ClientSpec {
        name: "Terraform".into(),
        grant_types: Some(vec!["client_credentials".into()]),
        scopes: Some(vec![]),
        ..ClientSpec::default()
    };
    let (c, secret) = clients::create(&mut app.db.conn(), &spec, &"test".into()).unwrap();
    let edit = app.url(&format!("/admin/clients/{}/edit", c.id));
    let (_, html) = get_html(&http, &edit).await;
    assert!(html.contains("name=\"admin_capable\""), "{html}");
    let token = csrf(&html);
    let base = vec![
        ("csrf_token", token.as_str()),
        ("name", "Terraform"),
        ("grant_types", "client_credentials"),
        ("auth_method", "client_secret_basic"),
        ("consent_policy", "once"),
        ("token_format", "opaque"),
        ("scopes", "admin"),
    ];
    // The admin scope without the flag: refused, by field.
    let res = http.post(&edit).form(&base).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Only an admin-capable client may be allowed the admin scope."));
    let mut with_flag = base.clone();
    with_flag.push(("admin_capable", "yes"));
    let res = http.post(&edit).form(&with_flag).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let stored = store::clients::find(&mut app.db.conn(), &c.id)
        .unwrap()
        .unwrap();
    assert!(stored.admin_capable);
    // Its token now opens the admin API.
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(&c.id, Some(secret.unwrap().expose()))
        .form(&[("grant_type", "client_credentials"), ("scope", "admin")])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let at = body["access_token"].as_str().unwrap();
    let res = app
        .http
        .get(app.url("/api/v1/keys"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn session_lifetimes_and_audit_retention_are_settings() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let (_, html) = get_html(&http, &app.url("/admin/settings")).await;
    assert!(
        html.contains("value=\"28800\"") && html.contains("value=\"180\""),
        "the defaults shown"
    );
    let token = csrf(&html);
    let post = |extra: [(&'static str, &'static str); 2]| {
        let mut form = vec![
            ("csrf_token", token.clone()),
            ("org_name", "Acme Ops".to_owned()),
            ("issuer", app.address.clone()),
            ("default_access_token_ttl", "600".to_owned()),
            ("default_refresh_token_ttl", "7200".to_owned()),
        ];
        form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let (h, url) = (http.clone(), app.url("/admin/settings"));
        async move { h.post(url).form(&form).send().await.unwrap() }
    };
    let res = post([
        ("session_idle_timeout", "60"),
        ("audit_retention_days", "180"),
    ])
    .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Give 300 seconds (5 minutes) to 604800 (7 days)."));
    let res = post([
        ("session_idle_timeout", "900"),
        ("audit_retention_days", "0"),
    ])
    .await;
    assert_eq!(res.status(), 422);
    let res = post([
        ("session_idle_timeout", "900"),
        ("audit_retention_days", "30"),
    ])
    .await;
    assert_eq!(res.status(), 303);
    let saved = keyward::idm::site::load(&mut app.db.conn()).unwrap();
    assert_eq!(
        (saved.session_idle_timeout, saved.audit_retention_days),
        (900, 30)
    );
    // A session that starts now has the new idle timeout.
    let member = browser();
    assert_eq!(
        sign_in(&app, &member, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );
    let admin = keyward::store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap();
    let rows = keyward::store::sessions::list_for_user(
        &mut app.db.conn(),
        &admin.id,
        keyward::store::now(),
    )
    .unwrap();
    assert!(rows.iter().any(|r| r.idle_timeout == 900), "{rows:?}");
    let events = audit_events(&app, "settings.update");
    assert!(events.iter().any(|e| e
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("session_idle_timeout"))));
}
