//! The admin's page for one person: profile and role editing with the
//! account rules, the apps they allowed (revocable), and audit events that
//! carry the admin's address.

use keyward::idm::accounts::{self, NewAccount};
use keyward::store;
use serde_json::Value;

use crate::helpers::*;

fn add_member(app: &TestApp, username: &str, email: Option<&str>) -> store::users::User {
    accounts::create(
        &mut app.db.conn(),
        &NewAccount {
            username,
            email,
            password: "quiet-harbour-lamp-88",
            password_confirmation: "quiet-harbour-lamp-88",
            is_admin: false,
        },
        4,
        &"test".into(),
    )
    .unwrap()
}

fn user(app: &TestApp, username: &str) -> store::users::User {
    store::users::find_by_username(&mut app.db.conn(), username)
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn admins_edit_profiles_and_roles_with_the_account_rules() {
    let app = TestApp::set_up().await;
    let http = app.admin().await;
    let robin = add_member(&app, "robin", Some("robin@acme.example"));
    add_member(&app, "sam", Some("sam@acme.example"));
    let page = app.url(&format!("/admin/users/{}", robin.id));
    let (status, html) = get_html(&http, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"robin@acme.example\""), "{html}");
    let token = csrf(&html);
    let save = |fields: Vec<(&'static str, String)>| {
        let (http, page, token) = (http.clone(), page.clone(), token.clone());
        async move {
            let mut form = fields;
            form.push(("csrf_token", token));
            http.post(page).form(&form).send().await.unwrap()
        }
    };

    // Validation: a malformed email, an overlong name, another's email.
    let res = save(vec![
        ("email", "not-an-email".into()),
        ("display_name", "Robin H".into()),
    ])
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Enter an email address"), "{html}");
    assert!(html.contains("value=\"Robin H\""), "typed values are kept");
    let res = save(vec![
        ("email", "robin@acme.example".into()),
        ("given_name", "r".repeat(101)),
    ])
    .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Keep the given name to 100 characters."));
    let res = save(vec![("email", "SAM@acme.example".into())]).await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Another account uses this email."));
    assert_eq!(
        user(&app, "robin").email.as_deref(),
        Some("robin@acme.example")
    );

    // A good change, and the administrator role.
    let res = save(vec![
        ("email", "robin.h@acme.example".into()),
        ("display_name", "Robin Hood".into()),
        ("given_name", "Robin".into()),
        ("family_name", "Hood".into()),
        ("is_admin", "on".into()),
    ])
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/admin/users/{}", robin.id));
    let now = user(&app, "robin");
    assert_eq!(now.email.as_deref(), Some("robin.h@acme.example"));
    assert_eq!(now.display_name.as_deref(), Some("Robin Hood"));
    assert_eq!(now.family_name.as_deref(), Some("Hood"));
    assert!(now.is_admin);
    let (_, html) = get_html(&http, &page).await;
    assert!(html.contains("robin is saved."), "{html}");
    // Robin now reaches the admin area.
    let rb = browser();
    sign_in(&app, &rb, "robin", "quiet-harbour-lamp-88").await;
    assert_eq!(get_html(&rb, &app.url("/admin")).await.0, 200);
    // Clearing the checkbox takes the role away again.
    let res = save(vec![("email", "robin.h@acme.example".into())]).await;
    assert_eq!(res.status(), 303);
    assert!(!user(&app, "robin").is_admin);
    assert_eq!(get_html(&rb, &app.url("/admin")).await.0, 403);

    // The admin cannot drop their own role, nor the last admin be disabled.
    let me = user(&app, ADMIN);
    let mine = app.url(&format!("/admin/users/{}", me.id));
    let res = post_form(&http, &mine, &[("csrf_token", &token), ("email", "")]).await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("cannot remove your own administrator role"));
    assert!(user(&app, ADMIN).is_admin);
    // Nor reset their own password here (it would end this session first).
    let res = post_form(
        &http,
        &format!("{mine}/reset-password"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(get_html(&http, &mine).await.0, 200, "still signed in");
    let res = accounts::set_disabled(&mut app.db.conn(), &me, true, &"test".into());
    assert!(
        matches!(
            res,
            Err(accounts::AccountError::Conflict {
                field: "is_admin",
                ..
            })
        ),
        "{res:?}"
    );

    // CSRF: a missing token changes nothing.
    let res = http
        .post(&page)
        .form(&[("email", "x@acme.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        user(&app, "robin").email.as_deref(),
        Some("robin.h@acme.example")
    );
    // Unknown people: 404.
    let res = post_form(
        &http,
        &app.url("/admin/users/nobody"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(res.status(), 404);

    // Each change is audited with who and from where.
    let events = store::audit::list(
        &mut app.db.conn(),
        &store::audit::Filter {
            action_prefix: Some("user.update".into()),
            actor: Some(me.id.to_string()),
            before: None,
            limit: 10,
        },
    )
    .unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")));
    assert!(events
        .iter()
        .all(|e| e.target.as_deref() == Some(robin.id.as_str())));
}

#[tokio::test]
async fn an_admin_sees_and_revokes_a_persons_consents_with_their_tokens() {
    let app = TestApp::set_up().await;
    let wiki = app.register(TestClient::confidential().consent("once"));
    // The admin themself signs in to the app through the real pages.
    let http = app.admin().await;
    let q = run_flow(
        &app,
        &http,
        &authorize_url(&app, &wiki, &[("scope", "openid profile offline_access")]),
        true,
    )
    .await;
    let res = redeem(&app, &wiki, &q["code"]).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let _ = VERIFIER;

    let me = user(&app, ADMIN);
    let page = app.url(&format!("/admin/users/{}", me.id));
    let (_, html) = get_html(&http, &page).await;
    assert!(html.contains("Apps admin allowed"), "{html}");
    assert!(
        html.contains(&format!("href=\"/admin/clients/{}\">Wiki</a>", wiki.id)),
        "{html}"
    );
    assert!(html.contains("openid profile offline_access"), "{html}");

    let res = post_form(
        &http,
        &format!("{page}/consents/revoke"),
        &[("csrf_token", &csrf(&html)), ("client_id", &wiki.id)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(&http, &page).await;
    assert!(html.contains("consent is revoked"), "{html}");
    assert!(html.contains("No app remembers a consent"), "{html}");
    assert!(store::consents::find(&mut app.db.conn(), &me.id, &wiki.id)
        .unwrap()
        .is_none());
    // The refresh token died with the consent.
    let res = crate::helpers::exchange(
        &app,
        &wiki,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // Revoking again says there was nothing; the event names the person.
    let res = post_form(
        &http,
        &format!("{page}/consents/revoke"),
        &[("csrf_token", &csrf(&html)), ("client_id", &wiki.id)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(&http, &page).await;
    assert!(html.contains("no consent to revoke"), "{html}");
    let events = crate::helpers::audit_events(&app, "consent.revoke");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));
    assert!(events[0]
        .detail
        .as_deref()
        .unwrap()
        .contains(me.id.as_str()));
}
