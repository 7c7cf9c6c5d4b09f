//! Driving the pages as a browser does: CSRF tokens read from the forms,
//! redirects read from `Location`, the sign-in form and the setup wizard.

use reqwest::{Client, Response, StatusCode};

use super::app::TestApp;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "plum-tractor-lantern";

/// The value of the first `name="csrf_token"` field on a page.
pub fn csrf(html: &str) -> String {
    field(html, "csrf_token")
}

/// The value of the first field called `name` on a page.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a {name} field on the page"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A page's status and HTML, with Tera's `&#x2F;` turned back into `/` so
/// tests can look for URLs.
pub async fn get_html(http: &Client, url: &str) -> (StatusCode, String) {
    let res = http.get(url).send().await.unwrap();
    let status = res.status();
    (status, res.text().await.unwrap().replace("&#x2F;", "/"))
}

pub async fn post_form(http: &Client, url: &str, form: &[(&str, &str)]) -> Response {
    http.post(url).form(form).send().await.unwrap()
}

/// Runs the whole wizard in `http` with the app's setup link; returns the
/// final response of the last step.
pub async fn run_wizard(app: &TestApp, http: &Client, alg: &str) -> Response {
    let link = app.setup_link.clone().expect("setup is pending");
    let res = http.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(http, &app.url("/setup")).await;
    let res = post_form(
        http,
        &app.url("/setup/org"),
        &[
            ("csrf_token", &csrf(&html)),
            ("org_name", "Acme Ops"),
            ("issuer", &app.address),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let (_, html) = get_html(http, &app.url("/setup")).await;
    let res = post_form(
        http,
        &app.url("/setup/admin"),
        &[
            ("csrf_token", &csrf(&html)),
            ("username", ADMIN),
            ("email", "admin@acme.example"),
            ("password", ADMIN_PASSWORD),
            ("password_confirmation", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(http, &app.url("/setup")).await;
    post_form(
        http,
        &app.url("/setup/finish"),
        &[("csrf_token", &csrf(&html)), ("alg", alg)],
    )
    .await
}

/// A browser in which the admin signed in through the form.
pub async fn admin_browser(app: &TestApp) -> Client {
    let http = super::app::browser();
    assert_eq!(
        sign_in(app, &http, ADMIN, ADMIN_PASSWORD).await.status(),
        303
    );
    http
}

/// The newest audit events whose action starts with `prefix` (up to 100).
pub fn audit_events(app: &TestApp, prefix: &str) -> Vec<keyward::store::audit::AuditEvent> {
    keyward::store::audit::list(
        &mut app.db.conn(),
        &keyward::store::audit::Filter {
            action_prefix: Some(prefix.into()),
            actor: None,
            before: None,
            limit: 100,
        },
    )
    .unwrap()
}

pub async fn sign_in(app: &TestApp, http: &Client, username: &str, password: &str) -> Response {
    let (_, html) = get_html(http, &app.url("/login")).await;
    post_form(
        http,
        &app.url("/login"),
        &[
            ("csrf_token", &csrf(&html)),
            ("username", username),
            ("password", password),
        ],
    )
    .await
}

/// What `GET /account` answers `http`: 200 signed in, 303 to sign in.
pub async fn account_status(app: &TestApp, http: &Client) -> StatusCode {
    http.get(app.url("/account")).send().await.unwrap().status()
}

/// Adds a person by the account rules (bcrypt cost 4), as the CLI would.
pub fn add_person(
    app: &TestApp,
    username: &str,
    email: Option<&str>,
    password: &str,
    is_admin: bool,
) -> keyward::store::users::User {
    keyward::idm::accounts::create(
        &mut app.db.conn(),
        &keyward::idm::accounts::NewAccount {
            username,
            email,
            password,
            password_confirmation: password,
            is_admin,
        },
        4,
        &keyward::store::audit::Actor::cli(),
    )
    .unwrap()
}

/// The public id of `user`'s live session that came from `address`.
pub fn session_from(app: &TestApp, user: &keyward::store::types::UserId, address: &str) -> String {
    keyward::idm::sessions::list(&mut app.db.conn(), user, None, keyward::store::now())
        .unwrap()
        .into_iter()
        .find(|s| s.address.as_deref() == Some(address))
        .unwrap_or_else(|| panic!("a session from {address}"))
        .id
}
