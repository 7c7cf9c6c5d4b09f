//! The store layer on the suite's backend: every table family read and written
//! through its query functions (which also proves schema.rs matches the
//! migrations of that backend).

use keyward::crypto::secret;
use keyward::db::DbConn;
use keyward::store::types::{ClientType, KeyStatus, TokenFormat, TokenKind};
use keyward::store::{
    self, api_keys, audit, clients, codes, consents, keys, now, scopes, settings, tokens, users,
};

use crate::helpers::*;

fn sample_user(conn: &mut DbConn, name: &str) -> users::User {
    let new = users::NewUser::new(
        name,
        Some(&format!("{name}@Example.COM")),
        Some("$2b$04$hash".into()),
    );
    users::insert(conn, &new).expect("insert user")
}

fn sample_client(conn: &mut DbConn, id: &str) -> clients::Client {
    let t = now();
    let client = clients::Client {
        id: id.into(),
        name: format!("App {id}"),
        client_type: ClientType::Confidential,
        secret_digest: Some(secret::digest("kw_cs_test")),
        redirect_uris: "https://app.example/cb http://127.0.0.1:9000/cb"
            .parse()
            .unwrap(),
        post_logout_redirect_uris: "https://app.example/bye".parse().unwrap(),
        grant_types: "authorization_code refresh_token".parse().unwrap(),
        token_endpoint_auth_method: "client_secret_basic".parse().unwrap(),
        allowed_scopes: "openid profile email offline_access".parse().unwrap(),
        default_scopes: "openid".parse().unwrap(),
        require_pkce: false,
        consent_policy: "once".parse().unwrap(),
        token_format: "jwt".parse().unwrap(),
        access_token_ttl: Some(600),
        refresh_token_ttl: None,
        launch_url: Some("https://app.example/".into()),
        show_on_portal: true,
        resource_server: false,
        admin_capable: false,
        disabled: false,
        created_at: t,
        updated_at: t,
        revision: 0,
    };
    clients::insert(conn, &client).expect("insert client");
    client
}

fn sample_token(
    client_id: &str,
    user_id: Option<&str>,
    kind: TokenKind,
    family: Option<&str>,
) -> tokens::Token {
    let t = now();
    let value = secret::generate("kw_at_");
    tokens::Token {
        id: store::new_id(),
        digest: value.digest(),
        kind,
        format: TokenFormat::Opaque,
        client_id: client_id.into(),
        user_id: user_id.map(Into::into),
        scope: "openid profile".into(),
        family_id: family.map(Into::into),
        auth_time: Some(t),
        created_at: t,
        expires_at: t + 3600,
        family_expires_at: None,
        rotated_at: None,
        revoked_at: None,
        kid: None,
    }
}

#[test]
fn settings_set_get_and_insert_once() {
    let db = TestDb::new();
    let mut conn = db.conn();
    assert_eq!(settings::get(&mut conn, settings::ISSUER).unwrap(), None);
    settings::set(&mut conn, settings::ISSUER, "https://id.example").unwrap();
    settings::set(&mut conn, settings::ISSUER, "https://id2.example").unwrap();
    assert_eq!(
        settings::get(&mut conn, settings::ISSUER)
            .unwrap()
            .as_deref(),
        Some("https://id2.example")
    );

    assert!(settings::insert_if_absent(&mut conn, settings::SETUP_COMPLETED, "1").unwrap());
    assert!(!settings::insert_if_absent(&mut conn, settings::SETUP_COMPLETED, "2").unwrap());
    assert_eq!(
        settings::get(&mut conn, settings::SETUP_COMPLETED)
            .unwrap()
            .as_deref(),
        Some("1")
    );

    assert_eq!(
        settings::increment(&mut conn, settings::KEYS_VERSION).unwrap(),
        1
    );
    assert_eq!(
        settings::increment(&mut conn, settings::KEYS_VERSION).unwrap(),
        2
    );
    assert_eq!(settings::all(&mut conn).unwrap().len(), 3);
    assert!(settings::delete(&mut conn, settings::ISSUER).unwrap());
    assert!(!settings::delete(&mut conn, settings::ISSUER).unwrap());
}

#[test]
fn concurrent_insert_if_absent_has_exactly_one_winner() {
    let db = TestDb::new();
    drop(db.conn()); // migrate once
    let url = db.url.clone();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = keyward::db::connect(&url).unwrap();
                settings::insert_if_absent(&mut conn, "race", &i.to_string()).unwrap()
            })
        })
        .collect();
    let winners = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|w| *w)
        .count();
    assert_eq!(winners, 1);
}

#[test]
fn builtin_scopes_are_seeded_with_their_claims() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let all = scopes::list(&mut conn).unwrap();
    let names: Vec<_> = all.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let email = scopes::find(&mut conn, "email").unwrap().unwrap();
    assert!(email.builtin);
    assert_eq!(email.claim_names(), vec!["email", "email_verified"]);
    assert!(!email.description.is_empty());
    let profile = scopes::find(&mut conn, "profile").unwrap().unwrap();
    assert!(profile
        .claim_names()
        .contains(&"preferred_username".to_string()));
    // Built-in scopes cannot be deleted.
    assert!(!scopes::delete_custom(&mut conn, "email").unwrap());
    assert!(scopes::find(&mut conn, "email").unwrap().is_some());
}

#[test]
fn custom_scopes_are_created_updated_and_deleted() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let scope = scopes::Scope::new("api:read", "Read the API", &["groups".to_string()]);
    scopes::insert(&mut conn, &scope).unwrap();
    assert!(scopes::insert(&mut conn, &scope).is_err(), "duplicate name");
    assert!(scopes::update(
        &mut conn,
        "api:read",
        "Read everything",
        &["groups".into(), "team".into()]
    )
    .unwrap());
    let found = scopes::find(&mut conn, "api:read").unwrap().unwrap();
    assert_eq!(found.description, "Read everything");
    assert_eq!(found.claim_names(), vec!["groups", "team"]);
    assert!(!found.builtin);
    let many = scopes::find_many(
        &mut conn,
        &["api:read".into(), "openid".into(), "nope".into()],
    )
    .unwrap();
    assert_eq!(many.len(), 2);
    assert!(scopes::delete_custom(&mut conn, "api:read").unwrap());
    assert!(scopes::find(&mut conn, "api:read").unwrap().is_none());
}

#[test]
fn users_are_unique_case_insensitively_and_searchable() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let alice = sample_user(&mut conn, "Alice");
    assert_eq!(alice.username, "Alice");
    assert_eq!(alice.username_key, "alice");
    assert_eq!(alice.email_key.as_deref(), Some("alice@example.com"));

    // Same name in another case, or the same email: refused by the unique indexes.
    let dup = users::NewUser::new("ALICE", None, None);
    assert!(users::insert(&mut conn, &dup).is_err());
    let dup_email = users::NewUser::new("alice2", Some("ALICE@example.com"), None);
    assert!(users::insert(&mut conn, &dup_email).is_err());
    // Users without email may coexist.
    users::insert(&mut conn, &users::NewUser::new("bob", None, None)).unwrap();
    users::insert(&mut conn, &users::NewUser::new("carol_x", None, None)).unwrap();

    assert_eq!(
        users::find_by_username(&mut conn, "aLiCe")
            .unwrap()
            .unwrap()
            .id,
        alice.id
    );
    assert_eq!(
        users::find_by_email(&mut conn, "Alice@example.com")
            .unwrap()
            .unwrap()
            .id,
        alice.id
    );
    assert_eq!(users::count(&mut conn).unwrap(), 3);
    assert_eq!(users::list(&mut conn, Some("ALI"), 10, 0).unwrap().len(), 1);
    // LIKE wildcards in the search are literal.
    assert_eq!(users::list(&mut conn, Some("_"), 10, 0).unwrap().len(), 1);
    assert_eq!(users::list(&mut conn, None, 2, 0).unwrap().len(), 2);
    assert_eq!(users::list(&mut conn, None, 2, 2).unwrap().len(), 1);
}

#[test]
fn user_changes_bump_the_session_epoch() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let u = sample_user(&mut conn, "dora");
    assert_eq!(u.session_epoch, 0);

    assert!(users::set_password(&mut conn, &u.id, "$2b$04$new").unwrap());
    let u1 = users::find(&mut conn, &u.id).unwrap().unwrap();
    assert_eq!(u1.password_hash.as_deref(), Some("$2b$04$new"));
    assert_eq!(u1.session_epoch, 1);

    assert_eq!(
        users::bump_session_epoch(&mut conn, &u.id).unwrap(),
        Some(2)
    );
    assert!(users::set_disabled(&mut conn, &u.id, true).unwrap());
    let u2 = users::find(&mut conn, &u.id).unwrap().unwrap();
    assert!(u2.disabled);
    assert_eq!(u2.session_epoch, 3);

    let changes = users::ProfileChanges {
        email: Some("dora@new.example".into()),
        email_key: Some("dora@new.example".into()),
        email_verified: true,
        given_name: Some("Dora".into()),
        family_name: Some("Explorer".into()),
        display_name: None,
        updated_at: now(),
    };
    assert!(users::update_profile(&mut conn, &u.id, &changes).unwrap());
    assert!(users::set_admin(&mut conn, &u.id, true).unwrap());
    users::record_login(&mut conn, &u.id, 1234).unwrap();
    let u3 = users::find(&mut conn, &u.id).unwrap().unwrap();
    assert_eq!(u3.given_name.as_deref(), Some("Dora"));
    assert!(u3.email_verified && u3.is_admin);
    assert_eq!(u3.last_login_at, Some(1234));
    // Disabled admins do not count.
    assert_eq!(users::count_admins(&mut conn).unwrap(), 0);
    assert_eq!(
        users::bump_session_epoch(&mut conn, "no-such-user").unwrap(),
        None
    );
}

#[test]
fn clients_keep_every_policy_column() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let c = sample_client(&mut conn, "app1");
    assert_eq!(clients::find(&mut conn, "app1").unwrap().unwrap(), c);
    assert_eq!(
        c.redirect_uri_list(),
        vec!["https://app.example/cb", "http://127.0.0.1:9000/cb"]
    );
    assert!(!c.is_public());

    let changes = clients::PolicyChanges {
        name: "Renamed".into(),
        redirect_uris: "https://app.example/cb2".parse().unwrap(),
        post_logout_redirect_uris: Default::default(),
        grant_types: "client_credentials".parse().unwrap(),
        token_endpoint_auth_method: "client_secret_post".parse().unwrap(),
        allowed_scopes: "api:read".parse().unwrap(),
        default_scopes: "api:read".parse().unwrap(),
        require_pkce: true,
        consent_policy: "skip".parse().unwrap(),
        token_format: "opaque".parse().unwrap(),
        access_token_ttl: None,
        refresh_token_ttl: Some(86400),
        launch_url: None,
        show_on_portal: false,
        resource_server: true,
        admin_capable: true,
        updated_at: now(),
    };
    assert!(clients::update_policy(&mut conn, "app1", &changes).unwrap());
    let u = clients::find(&mut conn, "app1").unwrap().unwrap();
    assert_eq!(u.name, "Renamed");
    assert_eq!(u.access_token_ttl, None);
    assert_eq!(u.refresh_token_ttl, Some(86400));
    assert!(u.require_pkce && u.resource_server && u.admin_capable);
    assert_eq!(u.grant_type_list(), vec!["client_credentials"]);

    assert!(clients::set_secret_digest(&mut conn, "app1", &secret::digest("kw_cs_new")).unwrap());
    assert!(secret::matches_digest(
        "kw_cs_new",
        clients::find(&mut conn, "app1")
            .unwrap()
            .unwrap()
            .secret_digest
            .as_deref()
            .unwrap()
    ));
    sample_client(&mut conn, "app2");
    assert_eq!(clients::count(&mut conn).unwrap(), 2);
    assert_eq!(
        clients::list(&mut conn, Some("renam"), 10, 0)
            .unwrap()
            .len(),
        1,
        "search ignores case"
    );
    assert_eq!(
        clients::list(&mut conn, Some("Renam"), 10, 0)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        clients::list_portal(&mut conn)
            .unwrap()
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        vec!["app2"]
    );
    assert!(clients::set_disabled(&mut conn, "app2", true).unwrap());
    assert!(clients::list_portal(&mut conn).unwrap().is_empty());
}

#[test]
fn deleting_a_client_removes_its_consents_codes_and_tokens() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let u = sample_user(&mut conn, "erin");
    sample_client(&mut conn, "gone");
    consents::grant(&mut conn, &u.id, "gone", &["openid".into()]).unwrap();
    let tok = sample_token("gone", Some(&u.id), TokenKind::Access, None);
    tokens::insert(&mut conn, &tok).unwrap();
    assert!(clients::delete(&mut conn, "gone").unwrap());
    assert!(tokens::find(&mut conn, &tok.id).unwrap().is_none());
    assert!(consents::find(&mut conn, &u.id, "gone").unwrap().is_none());
    assert!(!clients::delete(&mut conn, "gone").unwrap());
}

#[test]
fn consents_accumulate_and_revoking_revokes_tokens() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let u = sample_user(&mut conn, "fay");
    sample_client(&mut conn, "c1");
    let c = consents::grant(&mut conn, &u.id, "c1", &["openid".into(), "profile".into()]).unwrap();
    assert_eq!(c.scope_list(), vec!["openid", "profile"]);
    let c = consents::grant(&mut conn, &u.id, "c1", &["profile".into(), "email".into()]).unwrap();
    assert_eq!(c.scope_list(), vec!["openid", "profile", "email"]);
    let listed = consents::list_for_user(&mut conn, &u.id).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_name, "App c1");

    let rt = sample_token("c1", Some(&u.id), TokenKind::Refresh, Some("fam"));
    tokens::insert(&mut conn, &rt).unwrap();
    assert!(consents::revoke(&mut conn, &u.id, "c1").unwrap());
    assert!(consents::find(&mut conn, &u.id, "c1").unwrap().is_none());
    assert!(tokens::find(&mut conn, &rt.id)
        .unwrap()
        .unwrap()
        .revoked_at
        .is_some());
    assert!(!consents::revoke(&mut conn, &u.id, "c1").unwrap());
}

#[test]
fn codes_redeem_once() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let u = sample_user(&mut conn, "gus");
    sample_client(&mut conn, "c1");
    let t = now();
    let code = codes::AuthorizationCode {
        digest: secret::digest("kw_ac_x"),
        client_id: "c1".into(),
        user_id: u.id.clone(),
        redirect_uri: "https://app.example/cb".into(),
        scope: "openid".into(),
        nonce: Some("n-1".into()),
        code_challenge: Some("abc".into()),
        code_challenge_method: Some("S256".into()),
        auth_time: t,
        family_id: "fam-1".into(),
        created_at: t,
        expires_at: t + 60,
        consumed_at: None,
        redirect_uri_given: true,
    };
    codes::insert(&mut conn, &code).unwrap();
    match codes::redeem(&mut conn, &code.digest, t + 1).unwrap() {
        codes::Redemption::Redeemed(c) => {
            assert_eq!(c.nonce.as_deref(), Some("n-1"));
            assert_eq!(c.consumed_at, Some(t + 1));
        }
        other => panic!("expected a redemption, got {other:?}"),
    }
    assert!(
        matches!(codes::redeem(&mut conn, &code.digest, t + 2).unwrap(), codes::Redemption::AlreadyUsed(c) if c.family_id == "fam-1")
    );
    assert_eq!(
        codes::redeem(&mut conn, "nope", t).unwrap(),
        codes::Redemption::Unknown
    );
    assert_eq!(codes::delete_expired(&mut conn, t + 61).unwrap(), 1);
    assert!(codes::find(&mut conn, &code.digest).unwrap().is_none());
}

#[test]
fn concurrent_code_redemptions_have_exactly_one_winner() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let u = sample_user(&mut conn, "hal");
    sample_client(&mut conn, "c1");
    let t = now();
    let digest = secret::digest("kw_ac_race");
    codes::insert(
        &mut conn,
        &codes::AuthorizationCode {
            digest: digest.clone(),
            client_id: "c1".into(),
            user_id: u.id,
            redirect_uri: "https://app.example/cb".into(),
            scope: "openid".into(),
            nonce: None,
            code_challenge: None,
            code_challenge_method: None,
            auth_time: t,
            family_id: "f".into(),
            created_at: t,
            expires_at: t + 60,
            consumed_at: None,
            redirect_uri_given: true,
        },
    )
    .unwrap();
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let url = db.url.clone();
            let digest = digest.clone();
            std::thread::spawn(move || {
                let mut conn = keyward::db::connect(&url).unwrap();
                matches!(
                    codes::redeem(&mut conn, &digest, now()).unwrap(),
                    codes::Redemption::Redeemed(_)
                )
            })
        })
        .collect();
    let winners = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|w| *w)
        .count();
    assert_eq!(winners, 1);
}

#[test]
fn tokens_rotate_once_and_families_revoke_together() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let u = sample_user(&mut conn, "ivy");
    sample_client(&mut conn, "c1");
    let rt = sample_token("c1", Some(&u.id), TokenKind::Refresh, Some("fam"));
    let at = sample_token("c1", Some(&u.id), TokenKind::Access, Some("fam"));
    let other = sample_token("c1", None, TokenKind::Access, None);
    for t in [&rt, &at, &other] {
        tokens::insert(&mut conn, t).unwrap();
    }
    assert_eq!(
        tokens::find_by_digest(&mut conn, &rt.digest)
            .unwrap()
            .unwrap(),
        rt
    );
    let t0 = now();
    assert_eq!(tokens::count_active(&mut conn, t0).unwrap(), 3);
    assert!(tokens::mark_rotated(&mut conn, &rt.id, t0).unwrap());
    assert!(
        !tokens::mark_rotated(&mut conn, &rt.id, t0).unwrap(),
        "second rotation loses"
    );
    assert!(!tokens::find(&mut conn, &rt.id)
        .unwrap()
        .unwrap()
        .is_active(t0));

    assert_eq!(tokens::revoke_family(&mut conn, "fam", t0).unwrap(), 2);
    assert!(tokens::find(&mut conn, &at.id)
        .unwrap()
        .unwrap()
        .revoked_at
        .is_some());
    assert!(tokens::find(&mut conn, &other.id)
        .unwrap()
        .unwrap()
        .is_active(t0));
    assert!(tokens::revoke(&mut conn, &other.id, t0).unwrap());
    assert!(!tokens::revoke(&mut conn, &other.id, t0).unwrap());
    assert_eq!(tokens::count_active(&mut conn, t0).unwrap(), 0);

    let fresh = sample_token("c1", Some(&u.id), TokenKind::Access, None);
    tokens::insert(&mut conn, &fresh).unwrap();
    assert_eq!(tokens::revoke_for_user(&mut conn, &u.id, t0).unwrap(), 1);
    // Digests are unique.
    assert!(tokens::insert(
        &mut conn,
        &tokens::Token {
            id: store::new_id(),
            ..fresh.clone()
        }
    )
    .is_err());
    assert_eq!(tokens::delete_expired(&mut conn, t0 + 7200).unwrap(), 4);
}

#[test]
fn signing_keys_rotate_retire_and_revoke() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let key = |kid: &str, alg: &str| keys::SigningKey {
        kid: kid.into(),
        alg: alg.into(),
        private_key: "-----BEGIN PRIVATE KEY-----".into(),
        encrypted: false,
        public_jwk: "{}".into(),
        status: KeyStatus::Active,
        created_at: now(),
        retired_at: None,
        revoked_at: None,
    };
    keys::rotate(&mut conn, &key("k1", "RS256")).unwrap();
    keys::rotate(&mut conn, &key("e1", "ES256")).unwrap();
    keys::rotate(&mut conn, &key("k2", "RS256")).unwrap();
    let k1 = keys::find(&mut conn, "k1").unwrap().unwrap();
    assert_eq!(k1.status, KeyStatus::Retired);
    assert!(k1.retired_at.is_some());
    assert_eq!(
        keys::find(&mut conn, "e1").unwrap().unwrap().status,
        KeyStatus::Active
    );
    assert_eq!(keys::list_published(&mut conn).unwrap().len(), 3);

    assert!(keys::revoke(&mut conn, "k1").unwrap());
    assert!(!keys::revoke(&mut conn, "k1").unwrap());
    assert_eq!(keys::list_published(&mut conn).unwrap().len(), 2);
    assert!(keys::retire(&mut conn, "e1").unwrap());
    assert!(
        !keys::retire(&mut conn, "e1").unwrap(),
        "only an active key retires"
    );
    assert_eq!(keys::expire_retired(&mut conn, now() + 1).unwrap(), 1);
    assert_eq!(keys::list(&mut conn).unwrap().len(), 3);
}

#[test]
fn api_keys_are_found_by_digest_until_revoked() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let value = secret::generate("kw_ak_");
    let key = api_keys::ApiKey {
        id: store::new_id(),
        name: "deploy".into(),
        digest: value.digest(),
        created_by: None,
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
        expires_at: Some(now() + 86_400),
    };
    api_keys::insert(&mut conn, &key).unwrap();
    assert_eq!(
        api_keys::find_active_by_digest(&mut conn, &secret::digest(value.expose()))
            .unwrap()
            .unwrap()
            .id,
        key.id
    );
    api_keys::touch(&mut conn, &key.id, 42).unwrap();
    assert_eq!(api_keys::list(&mut conn).unwrap()[0].last_used_at, Some(42));
    assert!(api_keys::revoke(&mut conn, &key.id, now()).unwrap());
    assert!(api_keys::find_active_by_digest(&mut conn, &key.digest)
        .unwrap()
        .is_none());
}

#[test]
fn audit_events_filter_and_page_newest_first() {
    let db = TestDb::new();
    let mut conn = db.conn();
    for i in 0..5 {
        let e = audit::NewAuditEvent::new("login", i % 2 == 0)
            .actor(format!("user{}", i % 2))
            .ip(Some("127.0.0.1".into()))
            .detail(serde_json::json!({ "n": i }));
        audit::record(&mut conn, &e).unwrap();
    }
    audit::record(
        &mut conn,
        &audit::NewAuditEvent::new("client.create", true).target("app1"),
    )
    .unwrap();

    let all = audit::list(
        &mut conn,
        &audit::Filter {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].action, "client.create", "newest first");
    let logins = audit::list(
        &mut conn,
        &audit::Filter {
            action_prefix: Some("log".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(logins.len(), 5);
    let page = audit::list(
        &mut conn,
        &audit::Filter {
            before: Some(all[1].id),
            limit: 2,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![all[2].id, all[3].id]
    );
    let by_actor = audit::list(
        &mut conn,
        &audit::Filter {
            actor: Some("user1".into()),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(by_actor.len(), 2);
    assert_eq!(
        audit::count_since(&mut conn, "login", "success", 0).unwrap(),
        3
    );
    // A LIKE wildcard in the filter is literal.
    assert!(audit::list(
        &mut conn,
        &audit::Filter {
            action_prefix: Some("%".into()),
            limit: 10,
            ..Default::default()
        }
    )
    .unwrap()
    .is_empty());
}
