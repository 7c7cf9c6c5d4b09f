//! Ready-to-paste settings for an app, as the admin's "Integrate" panel shows
//! them: a generic OIDC library, oauth2-proxy and Grafana for apps that sign
//! people in, a Prometheus scrape_config and a token request for machine
//! clients. Plain text from plain values; the page escapes it.

use crate::oidc::discovery::{self, OPENID_CONFIGURATION_PATH, TOKEN_PATH};
use crate::store::clients::Client;

/// Where a confidential client's secret goes: never the secret itself (it is
/// shown once, and only its digest is stored).
pub const SECRET_PLACEHOLDER: &str = "<the client secret, shown once when issued>";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// Unique on the page: the element id the copy button copies from.
    pub id: &'static str,
    pub title: &'static str,
    /// A sentence on what to do with it.
    pub note: String,
    pub body: String,
}

/// The registered redirect URI ending in `suffix` and a note saying so, or a
/// placeholder on `host` and a note asking to register it.
fn callback(client: &Client, host: &str, suffix: &str) -> (String, String) {
    match client
        .redirect_uri_list()
        .into_iter()
        .find(|u| u.ends_with(suffix))
    {
        Some(u) => {
            let note = format!("It returns to {u}, which is registered.");
            (u, note)
        }
        None => (
            format!("https://{host}{suffix}"),
            format!(
                "Register https://{host}{suffix} as a redirect URI first (Edit settings): only registered ones are accepted."
            ),
        ),
    }
}

/// The scopes to ask for: every scope the app is allowed, but
/// `offline_access`, which tools that keep their own sessions do not need.
fn scopes(client: &Client) -> Vec<String> {
    client
        .allowed_scope_list()
        .into_iter()
        .filter(|s| s != "offline_access")
        .collect()
}

pub fn snippets(issuer: &str, org_name: &str, client: &Client) -> Vec<Snippet> {
    let grants = client.grant_type_list();
    let has = |g: &str| grants.iter().any(|x| x == g);
    let secret = if client.is_public() {
        None
    } else {
        Some(SECRET_PLACEHOLDER)
    };
    let mut out = Vec::new();
    if has("authorization_code") {
        out.push(generic(issuer, client, secret));
        if let Some(secret) = secret {
            out.push(oauth2_proxy(issuer, client, secret));
            out.push(grafana(issuer, org_name, client, secret));
        }
    }
    if has("client_credentials") {
        if let Some(secret) = secret {
            out.push(prometheus(issuer, client, secret));
            out.push(curl(issuer, client));
        }
    }
    out
}

fn generic(issuer: &str, client: &Client, secret: Option<&str>) -> Snippet {
    let redirect = client
        .redirect_uri_list()
        .into_iter()
        .next()
        .unwrap_or_else(|| "<a registered redirect URI>".into());
    let mut body = format!(
        "issuer:        {issuer}\n\
         discovery:     {}\n\
         client_id:     {}\n",
        discovery::endpoint(issuer, OPENID_CONFIGURATION_PATH),
        client.id
    );
    match secret {
        Some(s) => body.push_str(&format!(
            "client_secret: {s}\ntoken auth:    {}\n",
            client.token_endpoint_auth_method
        )),
        None => body.push_str("client_secret: (none: a public client)\n"),
    }
    body.push_str(&format!(
        "redirect_uri:  {redirect}\n\
         response_type: code\n\
         scope:         {}\n\
         pkce:          S256{}\n",
        scopes(client).join(" "),
        if client.require_pkce || client.is_public() {
            " (required)"
        } else {
            " (recommended)"
        }
    ));
    Snippet {
        id: "snippet-generic",
        title: "Any OpenID Connect library",
        note: "Most libraries need only the issuer (they read the rest from discovery), the client id and secret, and the redirect URI.".into(),
        body,
    }
}

fn oauth2_proxy(issuer: &str, client: &Client, secret: &str) -> Snippet {
    let (redirect, hint) = callback(client, "<app host>", "/oauth2/callback");
    let body = format!(
        "# oauth2-proxy.cfg\n\
         provider = \"oidc\"\n\
         oidc_issuer_url = \"{issuer}\"\n\
         client_id = \"{}\"\n\
         client_secret = \"{secret}\"\n\
         redirect_url = \"{redirect}\"\n\
         scope = \"{}\"\n\
         code_challenge_method = \"S256\"\n\
         email_domains = [\"*\"]\n\
         # 32 random bytes: openssl rand -base64 32 | tr -- '+/' '-_'\n\
         cookie_secret = \"<32 random bytes, base64>\"\n",
        client.id,
        scopes(client).join(" ")
    );
    Snippet {
        id: "snippet-oauth2-proxy",
        title: "oauth2-proxy",
        note: format!("Puts sign-in in front of an app that has none. {hint}"),
        body,
    }
}

fn grafana(issuer: &str, org_name: &str, client: &Client, secret: &str) -> Snippet {
    let (_, hint) = callback(client, "<grafana host>", "/login/generic_oauth");
    let name = if org_name.is_empty() {
        "Keyward"
    } else {
        org_name
    };
    let body = format!(
        "# grafana.ini\n\
         [auth.generic_oauth]\n\
         enabled = true\n\
         name = {name}\n\
         client_id = {}\n\
         client_secret = {secret}\n\
         scopes = {}\n\
         auth_url = {}\n\
         token_url = {}\n\
         api_url = {}\n\
         use_pkce = true\n\
         login_attribute_path = preferred_username\n\
         email_attribute_path = email\n\
         name_attribute_path = name\n",
        client.id,
        scopes(client).join(" "),
        discovery::endpoint(issuer, "/authorize"),
        discovery::endpoint(issuer, TOKEN_PATH),
        discovery::endpoint(issuer, "/userinfo"),
    );
    Snippet {
        id: "snippet-grafana",
        title: "Grafana (generic OAuth)",
        note: format!("Grafana signs in at /login/generic_oauth. {hint}"),
        body,
    }
}

fn prometheus(issuer: &str, client: &Client, secret: &str) -> Snippet {
    let url = url::Url::parse(issuer).ok();
    let scheme = url.as_ref().map(|u| u.scheme()).unwrap_or("https");
    let host = url
        .as_ref()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| "<keyward host>".into());
    let allowed = client.allowed_scope_list();
    let scope_note = if allowed.iter().any(|s| s == "metrics") {
        String::new()
    } else {
        " This app is not allowed the metrics scope yet: add it in Edit settings.".into()
    };
    let body = format!(
        "# prometheus.yml\n\
         scrape_configs:\n\
         \x20 - job_name: keyward\n\
         \x20   scheme: {scheme}\n\
         \x20   static_configs:\n\
         \x20     - targets: [\"{host}\"]\n\
         \x20   oauth2:\n\
         \x20     client_id: {}\n\
         \x20     # or client_secret_file: /etc/prometheus/keyward-secret\n\
         \x20     client_secret: {secret}\n\
         \x20     token_url: {}\n\
         \x20     scopes: [metrics]\n",
        client.id,
        discovery::endpoint(issuer, TOKEN_PATH),
    );
    Snippet {
        id: "snippet-prometheus",
        title: "Prometheus scrape_config",
        note: format!(
            "Scrapes this server's /metrics with a client-credentials token.{scope_note}"
        ),
        body,
    }
}

fn curl(issuer: &str, client: &Client) -> Snippet {
    let scope = client.allowed_scope_list().join(" ");
    let scope_arg = if scope.is_empty() {
        String::new()
    } else {
        format!(" -d scope='{scope}'")
    };
    let body = format!(
        "curl -s -u '{}:<client secret>' \\\n  -d grant_type=client_credentials{scope_arg} \\\n  {}\n",
        client.id,
        discovery::endpoint(issuer, TOKEN_PATH),
    );
    Snippet {
        id: "snippet-curl",
        title: "A token from the command line",
        note: "A client-credentials grant with client_secret_basic.".into(),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::types::{AuthMethod, ClientType};

    fn client(public: bool, grants: &str, redirects: &str, scopes: &str) -> Client {
        let mut c = crate::store::fixtures::client("kwc_1");
        c.name = "Grafana".into();
        if public {
            c.client_type = ClientType::Public;
            c.token_endpoint_auth_method = AuthMethod::None;
        }
        c.secret_digest = None;
        c.redirect_uris = redirects.into();
        c.grant_types = grants.parse().unwrap();
        c.allowed_scopes = scopes.into();
        c.default_scopes = Default::default();
        c
    }

    #[test]
    fn a_confidential_web_app_gets_generic_oauth2_proxy_and_grafana() {
        let c = client(
            false,
            "authorization_code refresh_token",
            "https://grafana.acme.example/login/generic_oauth",
            "openid profile email",
        );
        let s = snippets("https://id.acme.example", "Acme", &c);
        let ids: Vec<_> = s.iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            ["snippet-generic", "snippet-oauth2-proxy", "snippet-grafana"]
        );
        assert!(s[0]
            .body
            .contains("issuer:        https://id.acme.example\n"));
        assert!(s[0].body.contains("client_id:     kwc_1\n"));
        assert!(s[1]
            .body
            .contains("oidc_issuer_url = \"https://id.acme.example\""));
        // No /oauth2/callback registered: the placeholder and the hint.
        assert!(s[1]
            .body
            .contains("redirect_url = \"https://<app host>/oauth2/callback\""));
        assert!(s[1].note.contains("Register"));
        assert!(s[2]
            .body
            .contains("token_url = https://id.acme.example/token\n"));
        assert!(s[2].body.contains("name = Acme\n"));
        assert!(
            !s[2].note.contains("Register"),
            "its callback is registered"
        );
        for snippet in &s {
            assert!(!snippet.body.contains("kw_cs_"), "never a real secret");
        }
    }

    #[test]
    fn a_public_app_gets_only_the_generic_settings_without_a_secret() {
        let c = client(
            true,
            "authorization_code",
            "http://127.0.0.1:5173/cb",
            "openid",
        );
        let s = snippets("http://127.0.0.1:8080", "", &c);
        assert_eq!(s.len(), 1);
        assert!(s[0].body.contains("client_secret: (none: a public client)"));
        assert!(s[0].body.contains("pkce:          S256 (required)"));
    }

    #[test]
    fn a_machine_client_gets_prometheus_and_curl() {
        let c = client(false, "client_credentials", "", "metrics");
        let s = snippets("http://127.0.0.1:8080", "", &c);
        let ids: Vec<_> = s.iter().map(|s| s.id).collect();
        assert_eq!(ids, ["snippet-prometheus", "snippet-curl"]);
        assert!(s[0].body.contains("    scheme: http\n"));
        assert!(s[0]
            .body
            .contains("      - targets: [\"127.0.0.1:8080\"]\n"));
        assert!(s[0]
            .body
            .contains("      token_url: http://127.0.0.1:8080/token\n"));
        assert!(s[0].body.contains("      scopes: [metrics]\n"));
        assert!(!s[0].note.contains("not allowed"));
        let without = client(false, "client_credentials", "", "reports");
        assert!(snippets("https://id.example", "", &without)[0]
            .note
            .contains("not allowed the metrics scope"));
    }
}
