//! Client registration through the CLI, as an operator scripts it.

use keyward::crypto::secret;
use keyward::store;

use crate::helpers::*;

#[test]
fn a_confidential_client_lives_through_the_cli() {
    let db = TestDb::new();
    let added = json_of(&keyward(&db.raw_url()).run(&[
        "client",
        "add",
        "--name",
        "Grafana",
        "--redirect-uri",
        "https://grafana.example/login/generic_oauth",
        "--post-logout-redirect-uri",
        "https://grafana.example/",
        "--scopes",
        "openid profile email offline_access",
        "--consent",
        "skip",
        "--token-format",
        "jwt",
        "--access-ttl",
        "600",
        "--json",
    ]));
    let id = added["client_id"].as_str().unwrap().to_owned();
    let secret1 = added["client_secret"].as_str().unwrap().to_owned();
    assert!(id.starts_with("kwc_"));
    assert!(
        secret1.starts_with("kw_cs_") && secret1.len() >= 6 + 43,
        "256 bits: {secret1}"
    );
    assert_eq!(added["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(
        added["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        added["policy"]["default_scopes"],
        serde_json::json!(["openid"])
    );
    assert_eq!(added["policy"]["require_pkce"], false);

    // Stored as a digest only.
    let row = store::clients::find(&mut db.conn(), &id).unwrap().unwrap();
    assert_eq!(
        row.secret_digest.as_deref(),
        Some(secret::digest(&secret1).as_str())
    );
    assert!(!row.secret_digest.as_deref().unwrap().contains("kw_cs_"));

    // Show never prints the secret.
    let shown = keyward(&db.raw_url()).run(&["client", "show", &id]);
    let text = String::from_utf8(shown.stdout).unwrap();
    assert!(
        text.contains("Grafana") && text.contains("https://grafana.example/login/generic_oauth")
    );
    assert!(!text.contains("kw_cs_"), "{text}");
    let listed = json_of(&keyward(&db.raw_url()).run(&["client", "list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("client_secret").is_none() && !listed.to_string().contains("kw_cs_"));

    // Rotation: a new secret, the old digest gone.
    let rotated = json_of(&keyward(&db.raw_url()).run(&["client", "rotate-secret", &id, "--json"]));
    let secret2 = rotated["client_secret"].as_str().unwrap();
    assert_ne!(secret1, secret2);
    let row = store::clients::find(&mut db.conn(), &id).unwrap().unwrap();
    assert!(secret::matches_digest(
        secret2,
        row.secret_digest.as_deref().unwrap()
    ));
    assert!(!secret::matches_digest(
        &secret1,
        row.secret_digest.as_deref().unwrap()
    ));

    let out = keyward(&db.raw_url()).run(&["client", "delete", &id]);
    assert!(out.status.success());
    assert!(store::clients::find(&mut db.conn(), &id).unwrap().is_none());
    let out = keyward(&db.raw_url()).run(&["client", "delete", &id]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no such client"));
}

#[test]
fn public_and_machine_clients_get_safe_defaults() {
    let db = TestDb::new();
    let spa = json_of(&keyward(&db.raw_url()).run(&[
        "client",
        "add",
        "--name",
        "SPA",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1:5173/cb",
        "--json",
    ]));
    assert!(
        spa.get("client_secret").is_none(),
        "public clients have no secret"
    );
    assert_eq!(spa["token_endpoint_auth_method"], "none");
    assert_eq!(
        spa["policy"]["require_pkce"], true,
        "PKCE is forced for public clients"
    );
    let out = keyward(&db.raw_url()).run(&[
        "client",
        "rotate-secret",
        spa["client_id"].as_str().unwrap(),
    ]);
    assert!(!out.status.success());

    let prom = json_of(&keyward(&db.raw_url()).run(&[
        "client",
        "add",
        "--name",
        "Prometheus",
        "--grant-types",
        "client_credentials",
        "--scopes",
        "",
        "--json",
    ]));
    assert_eq!(
        prom["grant_types"],
        serde_json::json!(["client_credentials"])
    );
    assert!(prom["client_secret"]
        .as_str()
        .unwrap()
        .starts_with("kw_cs_"));
}

#[test]
fn bad_registrations_are_refused_with_the_reason() {
    let db = TestDb::new();
    for (args, expected) in [
        (
            vec!["--name", "A", "--redirect-uri", "http://app.example/cb"],
            "must use https",
        ),
        (
            vec![
                "--name",
                "A",
                "--redirect-uri",
                "https://app.example/cb#frag",
            ],
            "fragment",
        ),
        (
            vec!["--name", "A", "--redirect-uri", "javascript:alert(1)"],
            "scheme",
        ),
        (vec!["--name", "A"], "needs at least one redirect URI"),
        (
            vec![
                "--name",
                "A",
                "--public",
                "--grant-types",
                "client_credentials",
            ],
            "public client cannot use client_credentials",
        ),
        (
            vec![
                "--name",
                "A",
                "--redirect-uri",
                "https://a.example/cb",
                "--grant-types",
                "implicit",
            ],
            "'implicit' is not one of",
        ),
        (
            vec![
                "--name",
                "A",
                "--redirect-uri",
                "https://a.example/cb",
                "--scopes",
                "openid nosuch",
            ],
            "no scope 'nosuch'",
        ),
        (
            vec![
                "--name",
                "A",
                "--redirect-uri",
                "https://a.example/cb",
                "--default-scopes",
                "email",
                "--scopes",
                "openid",
            ],
            "not an allowed one",
        ),
        (
            vec![
                "--name",
                "A",
                "--redirect-uri",
                "https://a.example/cb",
                "--auth-method",
                "none",
            ],
            "Public clients authenticate with 'none'",
        ),
        (
            vec![
                "--name",
                "A",
                "--redirect-uri",
                "https://a.example/cb",
                "--consent",
                "never",
            ],
            "'never' is not one of",
        ),
        (
            vec![
                "--name",
                "A",
                "--redirect-uri",
                "https://a.example/cb",
                "--access-ttl",
                "5",
            ],
            "outside 60 s",
        ),
        (
            vec!["--name", "", "--redirect-uri", "https://a.example/cb"],
            "1 to 100",
        ),
    ] {
        let mut all = vec!["client", "add"];
        all.extend(args.iter());
        let out = keyward(&db.raw_url()).run(&all);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(store::clients::count(&mut db.conn()).unwrap(), 0);
}

#[tokio::test]
async fn api_keys_and_scopes_through_the_cli_with_json_listings() {
    let app = crate::helpers::TestApp::set_up().await;
    let db = &app.db;
    // apikey create --json prints {"key": ...}; the key opens the API.
    let created =
        json_of(&keyward(&db.raw_url()).run(&["apikey", "create", "terraform", "--json"]));
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("kw_ak_"));
    let call = |key: String| {
        let http = app.http.clone();
        let url = app.url("/api/v1/scopes");
        async move {
            http.get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(call(key.clone()).await, 200);
    // Stored only as a digest.
    let listed = json_of(&keyward(&db.raw_url()).run(&["apikey", "list", "--json"]));
    assert_eq!(listed[0]["name"], "terraform");
    assert!(!listed.to_string().contains(&key));
    let row = store::api_keys::find_active_by_digest(&mut db.conn(), &secret::digest(&key))
        .unwrap()
        .unwrap();
    assert_eq!(row.created_by.as_deref(), Some("cli"));
    assert!(row.last_used_at.is_some(), "its use is noted");
    // Revoked: refused at once.
    let id = created["id"].as_str().unwrap();
    assert!(keyward(&db.raw_url())
        .run(&["apikey", "revoke", id])
        .status
        .success());
    assert_eq!(call(key).await, 401);
    let out = keyward(&db.raw_url()).run(&["apikey", "revoke", id]);
    assert!(!out.status.success(), "revoking twice fails");
    let out = keyward(&db.raw_url()).run(&["apikey", "create", "", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 to 100 characters"));

    // Scopes: set (create, then update), list --json, delete.
    let out = keyward(&db.raw_url()).run(&[
        "scope",
        "set",
        "orders:read",
        "--description",
        "Read your orders",
        "--claims",
        "orders region",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created"));
    let out = keyward(&db.raw_url()).run(&[
        "scope",
        "set",
        "orders:read",
        "--description",
        "Read orders",
        "--claims",
        "orders",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("updated"));
    let scopes = json_of(&keyward(&db.raw_url()).run(&["scope", "list", "--json"]));
    let orders = scopes
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "orders:read")
        .unwrap();
    assert_eq!(orders["claims"], serde_json::json!(["orders"]));
    assert_eq!(orders["builtin"], false);
    let out = keyward(&db.raw_url()).run(&["scope", "delete", "email"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("built-in"));
    let out = keyward(&db.raw_url()).run(&["scope", "set", "bad name", "--description", "x"]);
    assert!(!out.status.success());
    assert!(keyward(&db.raw_url())
        .run(&["scope", "delete", "orders:read"])
        .status
        .success());
    // Every listing speaks JSON.
    for listing in [
        &["user", "list", "--json"][..],
        &["key", "list", "--json"],
        &["client", "list", "--json"],
    ] {
        let v = json_of(&keyward(&db.raw_url()).run(listing));
        assert!(v.is_array(), "{listing:?}: {v}");
    }
}
