//! Registered test clients and the authorization code flow driven through
//! the real sign-in and consent pages.

use keyward::idm::clients::{self, ClientSpec};
use reqwest::{Client, Response};

use super::app::TestApp;
use super::pages::{csrf, field, location, post_form, ADMIN, ADMIN_PASSWORD};

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const REDIRECT: &str = "https://app.example/cb";

pub struct App {
    pub id: String,
    pub secret: Option<String>,
}

/// A client to register, built like the scenario reads:
/// `TestClient::confidential().consent("skip")`.
pub struct TestClient {
    spec: ClientSpec,
}

impl TestClient {
    /// A web app ("Wiki") with a secret, redirecting to [`REDIRECT`], allowed
    /// openid, profile, email and offline_access, consent once.
    pub fn confidential() -> Self {
        Self::of(false)
    }

    /// The same app as a public client (no secret, PKCE required).
    pub fn public() -> Self {
        Self::of(true)
    }

    pub fn of(public: bool) -> Self {
        TestClient {
            spec: ClientSpec {
                name: "Wiki".into(),
                public,
                redirect_uris: vec![REDIRECT.into()],
                scopes: Some(vec![
                    "openid".into(),
                    "profile".into(),
                    "email".into(),
                    "offline_access".into(),
                ]),
                consent: Some("once".into()),
                ..ClientSpec::default()
            },
        }
    }

    /// `always`, `once` or `skip`.
    pub fn consent(mut self, policy: &str) -> Self {
        self.spec.consent = Some(policy.into());
        self
    }

    /// Any other change to the registration.
    pub fn with(mut self, change: impl FnOnce(&mut ClientSpec)) -> Self {
        change(&mut self.spec);
        self
    }
}

impl TestApp {
    /// Registers `client` by the same rules as the admin pages and the CLI.
    pub fn register(&self, client: TestClient) -> App {
        let (c, secret) = clients::create(&mut self.db.conn(), &client.spec, &"test".into())
            .expect("the test client registers");
        App {
            id: c.id.into_string(),
            secret: secret.map(|s| s.expose().to_owned()),
        }
    }

    /// A browser in which the administrator signed in through the form.
    pub async fn admin(&self) -> Client {
        super::pages::admin_browser(self).await
    }

    /// The code flow for `client` in a fresh browser, signing in as the
    /// administrator and allowing consent; returns the redirect's query.
    pub async fn code_flow(
        &self,
        client: &App,
        extra: &[(&str, &str)],
    ) -> std::collections::HashMap<String, String> {
        let http = super::app::browser();
        run_flow(self, &http, &authorize_url(self, client, extra), true).await
    }
}

pub fn query_of(loc: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(loc)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn authorize_url(app: &TestApp, client: &App, extra: &[(&str, &str)]) -> String {
    let defaults = [
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    // `extra` replaces a default of the same name.
    for (k, v) in defaults
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
    {
        q.append_pair(k, v);
    }
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("{}/authorize?{}", app.address, q.finish())
}

/// Follows the browser through sign-in and consent until the redirect to the
/// client; returns the redirect's query.
pub async fn run_flow(
    app: &TestApp,
    http: &Client,
    url: &str,
    allow: bool,
) -> std::collections::HashMap<String, String> {
    let mut next = url.to_owned();
    for _ in 0..8 {
        let res = http.get(&next).send().await.unwrap();
        if res.status() == 303 {
            let loc = location(&res);
            if loc.starts_with(REDIRECT) {
                return query_of(&loc);
            }
            next = if loc.starts_with('/') {
                app.url(&loc)
            } else {
                loc
            };
            continue;
        }
        let html = res.text().await.unwrap();
        if html.contains("name=\"password\"") {
            let return_to = query_of(&next)
                .get("return_to")
                .cloned()
                .unwrap_or_default();
            let res = post_form(
                http,
                &app.url("/login"),
                &[
                    ("csrf_token", &csrf(&html)),
                    ("username", ADMIN),
                    ("password", ADMIN_PASSWORD),
                    ("return_to", &return_to),
                ],
            )
            .await;
            assert_eq!(res.status(), 303);
            next = app.url(&location(&res));
        } else if html.contains("/authorize/consent") {
            let decision = if allow { "allow" } else { "deny" };
            let res = post_form(
                http,
                &app.url("/authorize/consent"),
                &[
                    ("csrf_token", &csrf(&html)),
                    ("request", &field(&html, "request")),
                    ("decision", decision),
                ],
            )
            .await;
            assert_eq!(res.status(), 303);
            return query_of(&location(&res));
        } else {
            panic!("unexpected page at {next}: {html}");
        }
    }
    panic!("the flow did not finish");
}

pub async fn exchange(app: &TestApp, client: &App, form: &[(&str, &str)]) -> Response {
    post_as(app, client, "/token", form).await
}

/// POSTs `form` to `path` as `client`: Basic for a confidential client, its
/// client_id in the form for a public one.
pub async fn post_as(app: &TestApp, client: &App, path: &str, form: &[(&str, &str)]) -> Response {
    let req = match &client.secret {
        Some(s) => app
            .http
            .post(app.url(path))
            .form(form)
            .basic_auth(&client.id, Some(s)),
        None => {
            let mut f = form.to_vec();
            f.push(("client_id", &client.id));
            app.http.post(app.url(path)).form(&f)
        }
    };
    req.send().await.unwrap()
}

pub async fn redeem(app: &TestApp, client: &App, code: &str) -> Response {
    exchange(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}
