//! The admin area's gate and dashboard.

use keyward::idm::accounts::{self, NewAccount};
use keyward::store;

use crate::helpers::*;

const MEMBER: &str = "robin";
const MEMBER_PASSWORD: &str = "quiet-harbour-lamp-88";

#[tokio::test]
async fn anonymous_visitors_sign_in_first_and_members_are_refused() {
    let app = TestApp::set_up().await;
    let http = browser();
    let res = http.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?return_to=%2Fadmin");

    accounts::create(
        &mut app.db.conn(),
        &NewAccount {
            username: MEMBER,
            email: None,
            password: MEMBER_PASSWORD,
            password_confirmation: MEMBER_PASSWORD,
            is_admin: false,
        },
        4,
        &"test".into(),
    )
    .unwrap();
    assert_eq!(
        sign_in(&app, &http, MEMBER, MEMBER_PASSWORD).await.status(),
        303
    );
    let (status, html) = get_html(&http, &app.url("/admin")).await;
    assert_eq!(status, 403);
    assert!(html.contains("for administrators"), "{html}");
    // Members see no Admin link.
    let (_, html) = get_html(&http, &app.url("/account")).await;
    assert!(!html.contains("href=\"/admin\""));
}

#[tokio::test]
async fn the_dashboard_shows_counts_events_discovery_and_warnings() {
    let app = TestApp::set_up().await;
    let http = browser();
    // Signing in through the form comes back to the dashboard.
    let (_, login) = get_html(&http, &app.url("/login?return_to=/admin")).await;
    let res = http
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", crate::helpers::csrf(&login).as_str()),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
            ("return_to", "/admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin");
    let (status, html) = get_html(&http, &app.url("/admin")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("href=\"/admin\""),
        "the nav links the admin area"
    );
    assert!(html.contains("<strong>1</strong> users"), "{html}");
    assert!(html.contains("<strong>0</strong> apps"), "{html}");
    assert!(
        html.contains("<strong>1</strong> sign-ins in the last 24 h"),
        "{html}"
    );
    assert!(html.contains(&format!("{}/.well-known/openid-configuration", app.address)));
    // The sign-in is among the latest events, with its address.
    assert!(
        html.contains("<td>login</td>") && html.contains("127.0.0.1"),
        "{html}"
    );
    // The test issuer is plain http: said so.
    assert!(html.contains("plain http"), "{html}");
    assert!(!html.contains("days old"));

    // An active key past the rotation period is flagged.
    {
        use diesel::prelude::*;
        use keyward::db::schema::signing_keys;
        diesel::update(signing_keys::table)
            .set(signing_keys::created_at.eq(store::now() - 100 * 86_400))
            .execute(&mut app.db.conn())
            .unwrap();
    }
    let (_, html) = get_html(&http, &app.url("/admin")).await;
    assert!(html.contains("100 days old"), "{html}");
}

async fn post_client(
    app: &crate::helpers::TestApp,
    http: &reqwest::Client,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    http.post(app.url("/admin/clients"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn registering_a_client_validates_keeps_values_and_shows_the_secret_once() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let (status, html) = get_html(&http, &app.url("/admin/clients")).await;
    assert_eq!(status, 200);
    assert!(html.contains("No apps are registered yet"));
    let (status, form) = get_html(&http, &app.url("/admin/clients/new")).await;
    assert_eq!(status, 200);
    let csrf = crate::helpers::csrf(&form);

    // No CSRF token: refused, nothing stored.
    let res = post_client(
        &app,
        &http,
        "",
        &[("name", "Wiki"), ("client_type", "confidential")],
    )
    .await;
    assert_eq!(res.status(), 403);
    // Field checks (validator): an empty name, no grant type.
    let res = post_client(
        &app,
        &http,
        &csrf,
        &[
            ("name", ""),
            ("client_type", "confidential"),
            ("redirect_uris", "https://wiki.example/cb"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap().replace("&#x2F;", "/");
    assert!(
        html.contains("Give the client a name of 1 to 100 characters."),
        "{html}"
    );
    assert!(html.contains("Allow at least one grant type."), "{html}");
    assert!(
        html.contains(">https://wiki.example/cb</textarea>"),
        "typed values are kept: {html}"
    );
    // The shared rules: a redirect URI that is not https nor loopback.
    let res = post_client(
        &app,
        &http,
        &csrf,
        &[
            ("name", "Wiki"),
            ("client_type", "confidential"),
            ("redirect_uris", "http://wiki.example/cb"),
            ("grant_types", "authorization_code"),
            ("auth_method", "client_secret_basic"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"redirect_uris-error\""), "{html}");
    // A public client cannot use client_credentials.
    let res = post_client(
        &app,
        &http,
        &csrf,
        &[
            ("name", "Tool"),
            ("client_type", "public"),
            ("grant_types", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("A public client cannot use client_credentials"));
    assert_eq!(store::clients::count(&mut app.db.conn()).unwrap(), 0);

    // A valid confidential client: its page shows the secret once.
    let res = post_client(
        &app,
        &http,
        &csrf,
        &[
            ("name", "Wiki"),
            ("client_type", "confidential"),
            (
                "redirect_uris",
                "https://wiki.example/cb\n\nhttps://wiki.example/cb2",
            ),
            ("grant_types", "authorization_code"),
            ("grant_types", "refresh_token"),
            ("auth_method", "client_secret_post"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = location(&res);
    let id = page.strip_prefix("/admin/clients/").unwrap().to_owned();
    let (status, html) = get_html(&http, &app.url(&page)).await;
    assert_eq!(status, 200);
    let secret = html
        .split("<code id=\"client-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("kw_cs_"), "{secret}");
    assert!(html.contains("client_secret_post") && html.contains("https://wiki.example/cb2"));
    let (_, again) = get_html(&http, &app.url(&page)).await;
    assert!(!again.contains(&secret), "the secret is shown once");
    let client = store::clients::find(&mut app.db.conn(), &id)
        .unwrap()
        .unwrap();
    assert_eq!(
        client.redirect_uri_list(),
        vec!["https://wiki.example/cb", "https://wiki.example/cb2"]
    );
    assert_eq!(
        client.secret_digest.as_deref(),
        Some(keyward::crypto::secret::digest(&secret).as_str())
    );
    let admin_id = store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap()
        .id;
    let events = crate::helpers::audit_events(&app, "client.create");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(admin_id.as_str()));

    // A public client: no secret at all.
    let res = post_client(
        &app,
        &http,
        &csrf,
        &[
            ("name", "Board"),
            ("client_type", "public"),
            ("redirect_uris", "http://127.0.0.1:5173/cb"),
            ("grant_types", "authorization_code"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(&http, &app.url(&location(&res))).await;
    assert!(
        !html.contains("client-secret") && html.contains(">none<"),
        "{html}"
    );

    // The list, and its search.
    let (_, html) = get_html(&http, &app.url("/admin/clients")).await;
    assert!(html.contains("Wiki") && html.contains("Board"));
    let (_, html) = get_html(&http, &app.url("/admin/clients?q=boa")).await;
    assert!(html.contains("Board") && !html.contains(">Wiki<"), "{html}");
    let (_, html) = get_html(&http, &app.url("/admin/clients?q=zzz")).await;
    assert!(html.contains("No app matches"), "{html}");
    // An unknown client: 404.
    let (status, _) = get_html(&http, &app.url("/admin/clients/kwc_nothing")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn client_pages_are_for_administrators_only() {
    let app = TestApp::set_up().await;
    for path in [
        "/admin/clients",
        "/admin/clients/new",
        "/admin/clients/kwc_x",
    ] {
        let res = browser().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        assert!(location(&res).starts_with("/login?return_to="), "{path}");
    }
    let res = browser()
        .post(app.url("/admin/clients"))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(store::clients::count(&mut app.db.conn()).unwrap(), 0);
}

#[tokio::test]
async fn client_actions_rotate_disable_enable_and_delete_after_confirmation() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let machine = app.register(TestClient::confidential().consent("skip").with(|s| {
        s.grant_types = Some(vec!["client_credentials".into()]);
        s.redirect_uris = vec![];
        s.scopes = Some(vec![]);
    }));
    let grant = [("grant_type", "client_credentials")];
    let res = crate::helpers::exchange(&app, &machine, &grant).await;
    let token: serde_json::Value = res.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let page = format!("/admin/clients/{}", machine.id);
    let (_, html) = get_html(&http, &app.url(&page)).await;
    let csrf = crate::helpers::csrf(&html);
    let post = |path: String, csrf: String| {
        let http = http.clone();
        let url = app.url(&path);
        async move {
            http.post(url)
                .form(&[("csrf_token", csrf)])
                .send()
                .await
                .unwrap()
        }
    };

    // Without the CSRF token nothing happens.
    let res = post(format!("{page}/disable"), String::new()).await;
    assert_eq!(res.status(), 403);
    assert!(
        !store::clients::find(&mut app.db.conn(), &machine.id)
            .unwrap()
            .unwrap()
            .disabled
    );

    // A new secret: shown once, the old one stops working.
    let res = post(format!("{page}/rotate-secret"), csrf.clone()).await;
    assert_eq!(location(&res), page);
    let (_, html) = get_html(&http, &app.url(&page)).await;
    assert!(html.contains("A new secret is issued"));
    let secret = html
        .split("<code id=\"client-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        crate::helpers::exchange(&app, &machine, &grant)
            .await
            .status(),
        401
    );
    let rotated = crate::helpers::App {
        id: machine.id.clone(),
        secret: Some(secret),
    };
    assert_eq!(
        crate::helpers::exchange(&app, &rotated, &grant)
            .await
            .status(),
        200
    );

    // Disable: its tokens are revoked and it gets no more; enable again.
    let res = post(format!("{page}/disable"), csrf.clone()).await;
    assert_eq!(location(&res), page);
    let (_, html) = get_html(&http, &app.url(&page)).await;
    assert!(
        html.contains("(disabled)") && html.contains("tokens were revoked"),
        "{html}"
    );
    let t =
        store::tokens::find_by_digest(&mut app.db.conn(), &keyward::crypto::secret::digest(&token))
            .unwrap()
            .unwrap();
    assert!(t.revoked_at.is_some());
    assert_eq!(
        crate::helpers::exchange(&app, &rotated, &grant)
            .await
            .status(),
        401
    );
    post(format!("{page}/enable"), csrf.clone()).await;
    assert_eq!(
        crate::helpers::exchange(&app, &rotated, &grant)
            .await
            .status(),
        200
    );

    // Delete: a confirmation page first, then gone.
    let (status, html) = get_html(&http, &app.url(&format!("{page}/delete"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("cannot be undone"));
    assert!(store::clients::find(&mut app.db.conn(), &machine.id)
        .unwrap()
        .is_some());
    let res = post(format!("{page}/delete"), csrf.clone()).await;
    assert_eq!(location(&res), "/admin/clients");
    assert!(store::clients::find(&mut app.db.conn(), &machine.id)
        .unwrap()
        .is_none());
    let (_, html) = get_html(&http, &app.url("/admin/clients")).await;
    assert!(html.contains("is deleted"), "{html}");
    let res = post(format!("{page}/delete"), csrf.clone()).await;
    assert_eq!(res.status(), 404);

    let actions: Vec<String> = crate::helpers::audit_events(&app, "client.")
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "client.rotate_secret",
        "client.disable",
        "client.enable",
        "client.delete",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn the_policy_editor_validates_and_saves() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let client = app.register(TestClient::confidential().consent("once"));
    let page = format!("/admin/clients/{}/edit", client.id);
    let (status, html) = get_html(&http, &app.url(&page)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"Wiki\""),
        "the current values are filled in"
    );
    assert!(
        html.contains(">https://app.example/cb</textarea>"),
        "{html}"
    );
    let csrf = crate::helpers::csrf(&html);
    let base = |over: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, &str)> = vec![
            ("name", "Wiki"),
            ("redirect_uris", "https://app.example/cb"),
            ("grant_types", "authorization_code"),
            ("grant_types", "refresh_token"),
            ("auth_method", "client_secret_basic"),
            ("scopes", "openid"),
            ("scopes", "profile"),
            ("default_scopes", "openid"),
            ("consent_policy", "skip"),
            ("token_format", "jwt"),
            ("access_token_ttl", "600"),
            ("refresh_token_ttl", ""),
            ("launch_url", "https://app.example/"),
            ("show_on_portal", "yes"),
        ];
        for (k, v) in over {
            f.retain(|(fk, _)| fk != k);
            f.push((k, v));
        }
        f
    };
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let (http, url, csrf) = (http.clone(), app.url(&page), csrf.clone());
        async move {
            let mut form = fields;
            form.push(("csrf_token", Box::leak(csrf.into_boxed_str())));
            http.post(url).form(&form).send().await.unwrap()
        }
    };
    for (over, message) in [
        (
            vec![("access_token_ttl", "soon")],
            "Give a whole number of seconds",
        ),
        (
            vec![("access_token_ttl", "5")],
            "5 s is outside 60 s to 1 day.",
        ),
        (
            vec![("launch_url", "javascript:alert(1)")],
            "The launch URL must be an absolute http(s) address.",
        ),
        (
            vec![("default_scopes", "email")],
            "&#39;email&#39; is a default scope but not an allowed one.",
        ),
        (
            vec![("redirect_uris", "https://app.example/cb#frag")],
            "redirect_uris-error",
        ),
    ] {
        let res = post(base(&over)).await;
        assert_eq!(res.status(), 422, "{over:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{message} in {html}");
        // What was typed stays.
        let launch = over
            .iter()
            .find(|(k, _)| *k == "launch_url")
            .map_or("https://app.example/", |(_, v)| *v);
        assert!(
            html.contains(&format!("name=\"launch_url\" value=\"{launch}\"")),
            "{html}"
        );
    }
    let before = store::clients::find(&mut app.db.conn(), &client.id)
        .unwrap()
        .unwrap();
    assert_eq!(before.consent_policy, "once");

    let res = post(base(&[])).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/admin/clients/{}", client.id));
    let after = store::clients::find(&mut app.db.conn(), &client.id)
        .unwrap()
        .unwrap();
    assert_eq!(after.consent_policy, "skip");
    assert_eq!(after.token_format, "jwt");
    assert_eq!(after.access_token_ttl, Some(600));
    assert_eq!(after.allowed_scope_list(), vec!["openid", "profile"]);
    assert_eq!(after.launch_url.as_deref(), Some("https://app.example/"));
    assert!(after.show_on_portal && !after.resource_server);
    assert_eq!(
        after.secret_digest, before.secret_digest,
        "the secret stays"
    );
    assert!(after.revision > before.revision);
    // The app is on the portal now.
    let (_, portal) = get_html(&http, &app.url("/")).await;
    assert!(portal.contains("https://app.example/"), "{portal}");
    let events = crate::helpers::audit_events(&app, "client.update");
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn signing_keys_rotate_retire_and_revoke_from_the_admin_pages() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let (status, html) = get_html(&http, &app.url("/admin/keys")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("RS256") && html.contains(">active<"),
        "{html}"
    );
    let csrf = crate::helpers::csrf(&html);
    let rs = store::keys::list(&mut app.db.conn()).unwrap()[0]
        .kid
        .clone();

    // Rotate to ES256: served at once by this instance.
    let res = http
        .post(app.url("/admin/keys/rotate"))
        .form(&[("csrf_token", csrf.as_str()), ("alg", "ES256")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/keys");
    let jwks = app
        .get("/.well-known/jwks.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(jwks.contains("ES256"), "{jwks}");
    let (_, html) = get_html(&http, &app.url("/admin/keys")).await;
    assert!(html.contains("A new ES256 key"), "{html}");
    // A made-up algorithm, or no CSRF token: refused.
    let res = http
        .post(app.url("/admin/keys/rotate"))
        .form(&[("csrf_token", csrf.as_str()), ("alg", "HS256")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = http
        .post(app.url("/admin/keys/rotate"))
        .form(&[("alg", "ES256")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Retire the RS256 key: a confirmation first.
    let (status, html) = get_html(&http, &app.url(&format!("/admin/keys/{rs}/retire"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("Retire the key"));
    assert_eq!(
        store::keys::find(&mut app.db.conn(), &rs)
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
    let res = http
        .post(app.url(&format!("/admin/keys/{rs}/retire")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/keys");
    assert_eq!(
        store::keys::find(&mut app.db.conn(), &rs)
            .unwrap()
            .unwrap()
            .status,
        "retired"
    );
    // The last active key cannot be retired: said so, nothing changes.
    let es = store::keys::list(&mut app.db.conn())
        .unwrap()
        .into_iter()
        .find(|k| k.status == "active")
        .unwrap()
        .kid;
    http.post(app.url(&format!("/admin/keys/{es}/retire")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let (_, html) = get_html(&http, &app.url("/admin/keys")).await;
    assert!(html.contains("last active signing key"), "{html}");
    // Revoke the retired key: gone from the JWKS.
    http.post(app.url(&format!("/admin/keys/{rs}/revoke")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let jwks = app
        .get("/.well-known/jwks.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(!jwks.contains(rs.as_str()));
    // Unknown keys and steps: 404.
    let (status, _) = get_html(&http, &app.url("/admin/keys/nope/retire")).await;
    assert_eq!(status, 404);
    let (status, _) = get_html(&http, &app.url(&format!("/admin/keys/{es}/destroy"))).await;
    assert_eq!(status, 404);
    // Every step is in the audit log under the admin's id.
    let admin_id = store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap()
        .id;
    let events = crate::helpers::audit_events(&app, "key.");
    let mine: Vec<&str> = events
        .iter()
        .filter(|e| e.actor.as_deref() == Some(admin_id.as_str()))
        .map(|e| e.action.as_str())
        .collect();
    for a in ["key.rotate", "key.retire", "key.revoke"] {
        assert!(mine.contains(&a), "{a} in {mine:?}");
    }
}

#[tokio::test]
async fn the_audit_log_filters_and_pages() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    {
        let mut conn = app.db.conn();
        for i in 0..60 {
            store::audit::record(
                &mut conn,
                &store::audit::NewAuditEvent::new("client.update", true)
                    .actor("cli")
                    .target(format!("kwc_{i:02}")),
            )
            .unwrap();
        }
    }
    let (status, html) = get_html(&http, &app.url("/admin/audit?action=client.")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("kwc_59") && !html.contains("kwc_09"),
        "newest first, 50 a page"
    );
    assert!(!html.contains("<td>login</td>"), "filtered by action");
    let older = html
        .split("href=\"/admin/audit?")
        .find_map(|s| {
            s.split_once("\">Older events")
                .map(|(q, _)| q.replace("&amp;", "&"))
        })
        .unwrap();
    let (_, page2) = get_html(&http, &app.url(&format!("/admin/audit?{older}"))).await;
    assert!(
        page2.contains("kwc_09") && page2.contains("kwc_00") && !page2.contains("kwc_59"),
        "{page2}"
    );
    assert!(!page2.contains("Older events"));
    // By who: the admin's username finds the admin's sign-in, not the CLI's changes.
    let (_, html) = get_html(&http, &app.url("/admin/audit?who=admin")).await;
    assert!(
        html.contains("<td>login</td>") && !html.contains("kwc_59"),
        "{html}"
    );
    let (_, html) = get_html(&http, &app.url("/admin/audit?action=nothing.like.this")).await;
    assert!(html.contains("No events match this filter"));
    let res = browser().get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn scopes_are_created_edited_and_deleted_unless_built_in_or_in_use() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let (status, html) = get_html(&http, &app.url("/admin/scopes")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<code>openid</code>") && html.contains("<code>metrics</code>"));
    let csrf = crate::helpers::csrf(&html);
    let create = |fields: Vec<(&'static str, String)>| {
        let (http, url, csrf) = (http.clone(), app.url("/admin/scopes"), csrf.clone());
        async move {
            let mut form = fields;
            form.push(("csrf_token", csrf));
            http.post(url).form(&form).send().await.unwrap()
        }
    };
    // Validation: the validator's checks, then the scope rules; typed values stay.
    let res = create(vec![("name", "".into()), ("description", "".into())]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Give the scope a name") && html.contains("Describe the scope"),
        "{html}"
    );
    let res = create(vec![
        ("name", "has space".into()),
        ("description", "Read orders".into()),
    ])
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Use 1 to 64 letters") && html.contains("value=\"Read orders\""),
        "{html}"
    );
    let res = create(vec![
        ("name", "orders:read".into()),
        ("description", "Read your orders".into()),
        ("claims", "orders, bad-claim".into()),
    ])
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("is not a claim name"));
    let res = create(vec![
        ("name", "openid".into()),
        ("description", "again".into()),
    ])
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("There is a scope"));

    // Created, with its claims; it shows in the scope table of discovery.
    let res = create(vec![
        ("name", "orders:read".into()),
        ("description", "Read your orders".into()),
        ("claims", "order_count".into()),
    ])
    .await;
    assert_eq!(location(&res), "/admin/scopes");
    let scope = store::scopes::find(&mut app.db.conn(), "orders:read")
        .unwrap()
        .unwrap();
    assert_eq!(scope.claim_names(), vec!["order_count"]);

    // Edit: description and claims; a built-in scope keeps its claims.
    let (status, html) = get_html(&http, &app.url("/admin/scopes/orders:read")).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"order_count\""));
    let res = http
        .post(app.url("/admin/scopes/orders:read"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("description", "See your orders"),
            ("claims", "order_count last_order"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/scopes");
    let scope = store::scopes::find(&mut app.db.conn(), "orders:read")
        .unwrap()
        .unwrap();
    assert_eq!(
        (scope.description.as_str(), scope.claim_names().len()),
        ("See your orders", 2)
    );
    let res = http
        .post(app.url("/admin/scopes/email"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("description", "Your e-mail"),
            ("claims", "email secret_claim"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("fixed by the standard"));
    let res = http
        .post(app.url("/admin/scopes/email"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("description", "Your e-mail address"),
            ("claims", "email email_verified"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    // Delete: refused while an app allows it, and for built-in scopes.
    app.register(TestClient::confidential().consent("once").with(|s| {
        s.name = "Shop".into();
        s.scopes = Some(vec!["openid".into(), "orders:read".into()]);
    }));
    let (status, _) = get_html(&http, &app.url("/admin/scopes/orders:read/delete")).await;
    assert_eq!(status, 200);
    let del = |name: &'static str| {
        let (http, url, csrf) = (
            http.clone(),
            app.url(&format!("/admin/scopes/{name}/delete")),
            csrf.clone(),
        );
        async move {
            http.post(url)
                .form(&[("csrf_token", csrf)])
                .send()
                .await
                .unwrap()
        }
    };
    del("orders:read").await;
    let (_, html) = get_html(&http, &app.url("/admin/scopes")).await;
    assert!(html.contains("still allowed for Shop"), "{html}");
    assert!(store::scopes::find(&mut app.db.conn(), "orders:read")
        .unwrap()
        .is_some());
    del("openid").await;
    let (_, html) = get_html(&http, &app.url("/admin/scopes")).await;
    assert!(
        html.contains("built-in scope and cannot be deleted"),
        "{html}"
    );
    // Once no app allows it, it goes.
    let shop = store::clients::list(&mut app.db.conn(), Some("Shop"), 10, 0)
        .unwrap()
        .remove(0);
    let mut changes = store::clients::PolicyChanges::from(&shop);
    changes.allowed_scopes = "openid".parse().unwrap();
    changes.default_scopes = "openid".parse().unwrap();
    store::clients::update_policy(&mut app.db.conn(), &shop.id, &changes).unwrap();
    del("orders:read").await;
    assert!(store::scopes::find(&mut app.db.conn(), "orders:read")
        .unwrap()
        .is_none());
    let (status, _) = get_html(&http, &app.url("/admin/scopes/orders:read")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn users_are_added_disabled_enabled_and_reset_by_admins() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let (status, form) = get_html(&http, &app.url("/admin/users/new")).await;
    assert_eq!(status, 200);
    let csrf = crate::helpers::csrf(&form);
    let add = |fields: Vec<(&'static str, &'static str)>| {
        let (http, url, csrf) = (http.clone(), app.url("/admin/users"), csrf.clone());
        async move {
            let mut form: Vec<(&str, String)> =
                fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
            form.push(("csrf_token", csrf));
            http.post(url).form(&form).send().await.unwrap()
        }
    };
    // Validation: the validator's length check, then the account rules.
    let res = add(vec![
        ("username", "r"),
        ("email", "robin@acme.example"),
        ("password_choice", "generate"),
    ])
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Use 2 to 64 characters") && html.contains("value=\"robin@acme.example\""),
        "{html}"
    );
    let res = add(vec![
        ("username", "robin"),
        ("email", "not-an-email"),
        ("password_choice", "generate"),
    ])
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Enter an email address"));
    let res = add(vec![
        ("username", "robin"),
        ("password_choice", "set"),
        ("password", "password1234"),
        ("password_confirmation", "password1234"),
    ])
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("password-error"));
    let res = add(vec![("username", ADMIN), ("password_choice", "generate")]).await;
    assert_eq!(res.status(), 422);

    // Added with a generated password, shown once; it signs in.
    let res = add(vec![
        ("username", "robin"),
        ("email", "robin@acme.example"),
        ("password_choice", "generate"),
    ])
    .await;
    assert_eq!(res.status(), 303);
    let page = location(&res);
    let (_, html) = get_html(&http, &app.url(&page)).await;
    let one_time = html
        .split("<code id=\"new-password\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let (_, again) = get_html(&http, &app.url(&page)).await;
    assert!(!again.contains(&one_time), "shown once");
    let robin = browser();
    assert_eq!(
        sign_in(&app, &robin, "robin", &one_time).await.status(),
        303
    );
    assert_eq!(get_html(&robin, &app.url("/account")).await.0, 200);

    // Disable: robin's session ends; enable again; reset: the old password fails.
    let post = |step: &'static str| {
        let (http, url, csrf) = (
            http.clone(),
            app.url(&format!("{page}/{step}")),
            csrf.clone(),
        );
        async move {
            http.post(url)
                .form(&[("csrf_token", csrf)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(location(&post("disable").await), page);
    let (status, _) = get_html(&robin, &app.url("/account")).await;
    assert_eq!(status, 303, "the disabled user's session is over");
    assert!(
        store::users::find_by_username(&mut app.db.conn(), "robin")
            .unwrap()
            .unwrap()
            .disabled
    );
    post("enable").await;
    post("reset-password").await;
    let (_, html) = get_html(&http, &app.url(&page)).await;
    assert!(html.contains("new-password"));
    assert_eq!(
        sign_in(&app, &browser(), "robin", &one_time).await.status(),
        401
    );
    // The list and its search.
    let (_, html) = get_html(&http, &app.url("/admin/users?q=rob")).await;
    assert!(html.contains(">robin</a>"), "{html}");
    assert_eq!(
        html.matches("href=\"/admin/users/").count(),
        2,
        "robin and the Add link only: {html}"
    );
    // An admin cannot disable themselves; unknown steps and users: 404.
    let me = store::users::find_by_username(&mut app.db.conn(), ADMIN)
        .unwrap()
        .unwrap()
        .id;
    let res = http
        .post(app.url(&format!("/admin/users/{me}/disable")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(post("explode").await.status(), 404);
    let (status, _) = get_html(&http, &app.url("/admin/users/nobody")).await;
    assert_eq!(status, 404);
    let actions: Vec<String> = store::audit::list(
        &mut app.db.conn(),
        &store::audit::Filter {
            action_prefix: Some("user.".into()),
            actor: Some(me.into_string()),
            before: None,
            limit: 20,
        },
    )
    .unwrap()
    .into_iter()
    .map(|e| e.action)
    .collect();
    for a in [
        "user.create",
        "user.disable",
        "user.enable",
        "user.password",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
