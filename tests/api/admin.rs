//! The admin area's gate and dashboard.

use keyward::accounts::{self, NewAccount};
use keyward::store;

use crate::helpers::browser;
use crate::pages::{get_html, location, set_up_app, sign_in, ADMIN, ADMIN_PASSWORD};

const MEMBER: &str = "robin";
const MEMBER_PASSWORD: &str = "quiet-harbour-lamp-88";

#[tokio::test]
async fn anonymous_visitors_sign_in_first_and_members_are_refused() {
    let app = set_up_app().await;
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
        "test",
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
    let app = set_up_app().await;
    let http = browser();
    // Signing in through the form comes back to the dashboard.
    let (_, login) = get_html(&http, &app.url("/login?return_to=/admin")).await;
    let res = http
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", crate::pages::csrf(&login).as_str()),
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
