//! Signing keys, the JWKS and the metadata documents, checked with a real
//! relying-party library (the `openidconnect` crate) where it applies.

use std::process::Command;
use std::time::Duration;

use keyward::crypto::jwt;
use keyward::crypto::keys::Algorithm;
use keyward::keys::lifecycle;
use keyward::keys::ring;
use keyward::store::{self, settings};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{ClientId, IssuerUrl, JsonWebKeySetUrl, Nonce};
use serde_json::{json, Value};

use crate::helpers::*;

const ISSUER: &str = "http://localhost:8080";
const FAST_SYNC: (&str, &str) = ("KEYWARD_SYNC_INTERVAL_SECS", "1");

/// An ID-token-shaped JWT signed, as the server would, with the active key of
/// `alg` (loaded from the database like the server's key ring).
fn signed_id_token(db: &TestDb, alg: Algorithm, nonce: &str) -> String {
    let mut conn = db.conn();
    let set = ring::load(&mut conn, None).unwrap();
    let key = set.active(alg).expect("an active key");
    let now = store::now();
    let claims = json!({
        "iss": ISSUER, "sub": "user-1", "aud": "app-1",
        "iat": now, "exp": now + 300, "nonce": nonce,
    });
    jwt::sign(&key, "JWT", &claims).unwrap()
}

async fn fetch_jwks(address: &str) -> CoreJsonWebKeySet {
    let http = reqwest::Client::new();
    let url = JsonWebKeySetUrl::new(format!("{address}/.well-known/jwks.json")).unwrap();
    CoreJsonWebKeySet::fetch_async(&url, &http)
        .await
        .expect("the JWKS parses")
}

/// Verifies the token the way a relying party does: against the JWKS.
fn rp_verifies(jwks: CoreJsonWebKeySet, token: &str) -> Result<(), String> {
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new("app-1".into()),
        IssuerUrl::new(ISSUER.into()).unwrap(),
        jwks,
    )
    .set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EdDsa,
    ]);
    let id_token: CoreIdToken = token.parse().map_err(|e| format!("{e:?}"))?;
    id_token
        .claims(&verifier, &Nonce::new("n-1".into()))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn jwks_kids(http: &reqwest::Client, address: &str) -> Vec<String> {
    let body: Value = http
        .get(format!("{address}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn metadata_is_503_until_the_issuer_is_known_and_jwks_starts_empty() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 503, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "issuer_unknown");
        assert!(body["message"].as_str().unwrap().contains("KEYWARD_ISSUER"));
    }
    let res = app.get("/.well-known/jwks.json").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "keys": [] }));
}

#[tokio::test]
async fn discovery_documents_describe_what_is_served() {
    let app = spawn_app_with(&[("KEYWARD_ISSUER", "https://id.example.com/")]).await;
    lifecycle::rotate(
        &mut app.db.conn(),
        None,
        Algorithm::RS256,
        2048,
        &"test".into(),
    )
    .unwrap();
    // Another instance started after the key exists sees it at once.
    let app2 = spawn_instance(&app.db, &[("KEYWARD_ISSUER", "https://id.example.com/")]).await;

    let res = app2
        .http
        .get(format!("{}/.well-known/openid-configuration", app2.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let doc: Value = res.json().await.unwrap();
    // The issuer is exactly the configured string; endpoints join cleanly.
    assert_eq!(doc["issuer"], "https://id.example.com/");
    assert_eq!(
        doc["jwks_uri"],
        "https://id.example.com/.well-known/jwks.json"
    );
    let scopes: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ] {
        assert!(scopes.contains(&s), "{s} not in {scopes:?}");
    }
    let claims = doc["claims_supported"].as_array().unwrap();
    assert!(claims.contains(&json!("sub")) && claims.contains(&json!("email_verified")));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(doc["request_uri_parameter_supported"], json!(false));
    // Every advertised endpoint is served.
    assert_eq!(doc["token_endpoint"], "https://id.example.com/token");
    assert_eq!(
        doc["authorization_endpoint"],
        "https://id.example.com/authorize"
    );
    assert_eq!(doc["userinfo_endpoint"], "https://id.example.com/userinfo");
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    for (field, path) in [
        ("introspection_endpoint", "/introspect"),
        ("revocation_endpoint", "/revoke"),
        ("end_session_endpoint", "/end_session"),
    ] {
        assert_eq!(
            doc[field],
            format!("https://id.example.com{path}"),
            "{field}"
        );
    }
    assert_eq!(
        doc["introspection_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    let oauth: Value = app2
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            app2.address
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oauth, doc);
}

#[tokio::test]
async fn the_issuer_and_scopes_from_the_database_are_published_after_a_change() {
    let app = spawn_app_with(&[FAST_SYNC]).await;
    {
        let mut conn = app.db.conn();
        settings::set(&mut conn, settings::ISSUER, "http://127.0.0.1:9999").unwrap();
        store::scopes::insert(
            &mut conn,
            &store::scopes::Scope::new("api:read", "Read the API", &["groups".into()]),
        )
        .unwrap();
        settings::increment(&mut conn, settings::METADATA_VERSION).unwrap();
    }
    let published = eventually(10, || async {
        let res = app.get("/.well-known/openid-configuration").await;
        if res.status() != 200 {
            return false;
        }
        let doc: Value = res.json().await.unwrap();
        doc["issuer"] == "http://127.0.0.1:9999"
            && doc["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("api:read"))
    })
    .await;
    assert!(
        published,
        "the new issuer and scope were not published within 10 s"
    );
}

#[tokio::test]
async fn every_algorithm_verifies_with_a_relying_party_library() {
    let app = spawn_app_with(&[("KEYWARD_ISSUER", ISSUER), FAST_SYNC]).await;
    let mut conn = app.db.conn();
    for alg in Algorithm::ALL {
        lifecycle::rotate(&mut conn, None, alg, 2048, &"test".into()).unwrap();
    }
    assert!(
        eventually(10, || async {
            jwks_kids(&app.http, &app.address).await.len() == 3
        })
        .await
    );
    let doc: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256", "EdDSA"])
    );
    for alg in Algorithm::ALL {
        let token = signed_id_token(&app.db, alg, "n-1");
        rp_verifies(fetch_jwks(&app.address).await, &token)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
    // The JWKS carries public members only, a kid on every key, no duplicates.
    let body: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let mut kids = vec![];
    for key in body["keys"].as_array().unwrap() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} published"
            );
        }
        kids.push(key["kid"].as_str().unwrap().to_owned());
    }
    kids.dedup();
    assert_eq!(kids.len(), 3);
}

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_until_revoked_on_every_instance() {
    let db = TestDb::new();
    let extra = [("KEYWARD_ISSUER", ISSUER), FAST_SYNC];
    let a = spawn_instance(&db, &extra).await;
    let b = spawn_instance(&db, &extra).await;
    let kid1 =
        lifecycle::rotate(&mut db.conn(), None, Algorithm::RS256, 2048, &"test".into()).unwrap();
    assert!(
        eventually(10, || async {
            jwks_kids(&a.http, &a.address).await == vec![kid1.clone()]
        })
        .await
    );
    let before = signed_id_token(&db, Algorithm::RS256, "n-1");
    rp_verifies(fetch_jwks(&a.address).await, &before).unwrap();

    // Rotate (through the CLI, as an operator would, on the shared database).
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["key", "rotate", "--alg", "RS256"])
        .env_clear()
        .env("DATABASE_URL", db.raw_url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kid2 = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_ne!(kid1, kid2);

    // Both instances serve both keys within 10 seconds.
    let started = std::time::Instant::now();
    for inst in [&a, &b] {
        let both = eventually(10, || async {
            let kids = jwks_kids(&inst.http, &inst.address).await;
            kids.contains(&kid1) && kids.contains(&kid2)
        })
        .await;
        assert!(both, "{} did not publish the rotation", inst.address);
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    // The token signed before the rotation still verifies; new ones use kid2.
    rp_verifies(fetch_jwks(&b.address).await, &before).unwrap();
    let after = signed_id_token(&db, Algorithm::RS256, "n-1");
    assert_eq!(
        header_kid(&after),
        kid2,
        "new tokens are signed by the new key"
    );
    rp_verifies(fetch_jwks(&b.address).await, &after).unwrap();

    // Revoked: gone from the JWKS everywhere, and the old token no longer verifies.
    lifecycle::revoke(&mut db.conn(), &kid1, &"test".into()).unwrap();
    for inst in [&a, &b] {
        assert!(
            eventually(10, || async {
                jwks_kids(&inst.http, &inst.address).await == vec![kid2.clone()]
            })
            .await
        );
    }
    assert!(rp_verifies(fetch_jwks(&a.address).await, &before).is_err());
    rp_verifies(fetch_jwks(&a.address).await, &after).unwrap();
}

fn header_kid(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: Value = serde_json::from_slice(&bytes).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[test]
fn retired_keys_are_revoked_when_their_retention_ends() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let old = lifecycle::rotate(&mut conn, None, Algorithm::ES256, 0, &"test".into()).unwrap();
    let new = lifecycle::rotate(&mut conn, None, Algorithm::ES256, 0, &"test".into()).unwrap();
    assert_eq!(
        lifecycle::expire_retired(&mut conn, store::now()).unwrap(),
        0,
        "still within retention"
    );
    settings::set(&mut conn, lifecycle::RETENTION_SETTING, "0").unwrap();
    assert_eq!(
        lifecycle::expire_retired(&mut conn, store::now() + 1).unwrap(),
        1
    );
    assert_eq!(
        store::keys::find(&mut conn, &old).unwrap().unwrap().status,
        "revoked"
    );
    assert_eq!(
        store::keys::find(&mut conn, &new).unwrap().unwrap().status,
        "active"
    );
    // The last active key cannot be retired; a missing one is named.
    assert!(matches!(
        lifecycle::retire(&mut conn, &new, &"test".into()),
        Err(lifecycle::LifecycleError::LastActiveKey(_))
    ));
    assert!(matches!(
        lifecycle::retire(&mut conn, "nope", &"test".into()),
        Err(lifecycle::LifecycleError::NotFound(_))
    ));
    assert!(matches!(
        lifecycle::retire(&mut conn, &old, &"test".into()),
        Err(lifecycle::LifecycleError::NotActive { .. })
    ));
}

#[test]
fn the_key_cli_lists_rotates_retires_and_revokes() {
    let db = TestDb::new();
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "list"]);
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("no signing keys yet"));
    let rotate = |alg: &str| {
        let out = keyward(&db.raw_url())
            .env("KEYWARD_BIND", "127.0.0.1:0")
            .envs(&[])
            .run(&["key", "rotate", "--alg", alg]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let r1 = rotate("RS256");
    let e1 = rotate("ES256");
    let r2 = rotate("RS256");
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |kid: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(&r1), "retired");
    assert_eq!(status(&e1), "active");
    assert_eq!(status(&r2), "active");

    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "retire", &e1]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "retire", &r2]);
    assert!(
        !out.status.success(),
        "the last active key must not be retired"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("last active signing key"), "{err}");
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "revoke", &r1]);
    assert!(out.status.success());
    // A kid may start with '-' (base64url): it is still taken as the kid.
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "revoke", "-AbC_no-such-kid"]);
    assert!(String::from_utf8(out.stderr.clone())
        .unwrap()
        .contains("no signing key with kid -AbC_no-such-kid"));
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "revoke", "no-such-kid"]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no signing key with kid no-such-kid"));
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "rotate", "--alg", "HS256"]);
    assert!(
        !out.status.success(),
        "HS256 is not a signing algorithm here"
    );
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["key", "rotate", "--alg", "RS256", "--bits", "1024"]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("2048, 3072 or 4096"));
    let table = String::from_utf8(
        keyward(&db.raw_url())
            .env("KEYWARD_BIND", "127.0.0.1:0")
            .envs(&[])
            .run(&["key", "list"])
            .stdout,
    )
    .unwrap();
    assert!(
        table.contains(&r1) && table.contains("revoked") && table.contains("retired"),
        "{table}"
    );
}

#[tokio::test]
async fn encrypted_keys_need_the_right_key_to_start() {
    let db = TestDb::new();
    let k1 = "11".repeat(32);
    let k2 = "22".repeat(32);
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[("KEYWARD_KEY_ENCRYPTION_KEY", &k1)])
        .run(&["key", "rotate", "--alg", "ES256"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kid = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let row = store::keys::find(&mut db.conn(), &kid).unwrap().unwrap();
    assert!(row.encrypted);
    assert!(
        !row.private_key.contains("PRIVATE KEY"),
        "stored in the clear"
    );

    // No key, or the wrong one: the start stops with a clear line.
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[])
        .run(&["serve"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("KEYWARD_KEY_ENCRYPTION_KEY is not set"),
        "{err}"
    );
    let out = keyward(&db.raw_url())
        .env("KEYWARD_BIND", "127.0.0.1:0")
        .envs(&[("KEYWARD_KEY_ENCRYPTION_KEY", &k2)])
        .run(&["serve"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot be decrypted"), "{err}");
    // Nothing was touched.
    assert_eq!(
        store::keys::find(&mut db.conn(), &kid).unwrap().unwrap(),
        row
    );

    // The right key: the server starts and publishes the key.
    let inst = spawn_instance(&db, &[("KEYWARD_KEY_ENCRYPTION_KEY", &k1)]).await;
    assert_eq!(jwks_kids(&inst.http, &inst.address).await, vec![kid]);
}
