//! The registration rules, over plain values.
use super::*;

const NOW: i64 = 1_700_000_000;

fn known() -> Vec<String> {
    [
        "openid",
        "profile",
        "email",
        "offline_access",
        "metrics",
        "admin",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn web_app() -> ClientSpec {
    ClientSpec {
        name: "Grafana".into(),
        redirect_uris: vec!["https://grafana.example/login/generic_oauth".into()],
        ..ClientSpec::default()
    }
}

fn decide(spec: &ClientSpec) -> Result<Client, ClientError> {
    decide_registration(spec, &known(), "kwc_x".into(), Some("d".into()), NOW)
}

fn field(r: Result<Client, ClientError>) -> &'static str {
    match r {
        Err(ClientError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_confidential_web_app_gets_careful_defaults() {
    let c = decide(&web_app()).unwrap();
    assert_eq!(c.client_type, "confidential");
    assert_eq!(c.grant_types, "authorization_code refresh_token");
    assert_eq!(c.token_endpoint_auth_method, "client_secret_basic");
    assert_eq!(c.allowed_scopes, "openid profile email");
    assert_eq!(c.default_scopes, "openid");
    assert_eq!(c.consent_policy, "once");
    assert_eq!(c.token_format, "opaque");
    assert!(!c.require_pkce);
    assert_eq!(c.created_at, NOW);
}

#[test]
fn a_public_client_always_uses_pkce_and_no_secret_method() {
    let c = decide(&ClientSpec {
        public: true,
        ..web_app()
    })
    .unwrap();
    assert_eq!(c.client_type, "public");
    assert_eq!(c.token_endpoint_auth_method, "none");
    assert!(c.require_pkce);
    let spec = ClientSpec {
        public: true,
        auth_method: Some("client_secret_post".into()),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "token_endpoint_auth_method");
}

#[test]
fn names_grants_and_redirect_uris_are_checked() {
    let spec = ClientSpec {
        name: "  ".into(),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "name");
    let spec = ClientSpec {
        redirect_uris: vec!["http://grafana.example/cb".into()],
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "redirect_uris");
    let spec = ClientSpec {
        redirect_uris: vec![],
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "redirect_uris");
    let spec = ClientSpec {
        grant_types: Some(vec!["implicit".into()]),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "grant_types");
    let spec = ClientSpec {
        grant_types: Some(vec![]),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "grant_types");
}

#[test]
fn a_public_machine_client_or_admin_capable_public_client_is_refused() {
    let spec = ClientSpec {
        public: true,
        grant_types: Some(vec!["client_credentials".into()]),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "grant_types");
    let spec = ClientSpec {
        public: true,
        admin_capable: true,
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "admin_capable");
}

#[test]
fn scopes_must_exist_defaults_must_be_allowed_and_admin_needs_admin_capable() {
    let spec = ClientSpec {
        scopes: Some(vec!["openid".into(), "billing".into()]),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "scopes");
    let spec = ClientSpec {
        scopes: Some(vec!["openid".into()]),
        default_scopes: Some(vec!["profile".into()]),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "default_scopes");
    let machine = ClientSpec {
        name: "ops".into(),
        grant_types: Some(vec!["client_credentials".into()]),
        scopes: Some(vec!["admin".into()]),
        ..ClientSpec::default()
    };
    assert_eq!(field(decide(&machine)), "scopes");
    let c = decide(&ClientSpec {
        admin_capable: true,
        ..machine
    })
    .unwrap();
    assert_eq!(c.allowed_scopes, "admin");
    assert_eq!(c.default_scopes, "");
}

#[test]
fn policy_words_and_lifetimes_are_range_checked() {
    let spec = ClientSpec {
        consent: Some("sometimes".into()),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "consent_policy");
    let spec = ClientSpec {
        token_format: Some("paseto".into()),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "token_format");
    let spec = ClientSpec {
        access_ttl: Some(59),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "access_token_ttl");
    let spec = ClientSpec {
        refresh_ttl: Some(367 * 86_400),
        ..web_app()
    };
    assert_eq!(field(decide(&spec)), "refresh_token_ttl");
    assert!(decide(&ClientSpec {
        access_ttl: Some(60),
        refresh_ttl: Some(366 * 86_400),
        ..web_app()
    })
    .is_ok());
}
