//! The metadata documents (OpenID Connect Discovery 1.0 §3 and RFC 8414 §2) and
//! the JWKS, rendered once per change and served from memory.
//!
//! They advertise only what this build implements. Each capability adds its
//! endpoint and values here when it lands.

use serde_json::{json, Map, Value};

use crate::crypto::keys::Algorithm;
use crate::store;

pub const OPENID_CONFIGURATION_PATH: &str = "/.well-known/openid-configuration";
pub const OAUTH_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const TOKEN_PATH: &str = "/token";

/// An endpoint's URL under the issuer (which may end in `/`).
pub fn endpoint(issuer: &str, path: &str) -> String {
    format!("{}{path}", issuer.trim_end_matches('/'))
}

/// An issuer is an absolute https URL with no query or fragment (RFC 8414 §2),
/// or http on a loopback host for local use.
pub fn validate_issuer(raw: &str) -> Result<String, String> {
    let u = url::Url::parse(raw).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if u.query().is_some() || u.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not carry user credentials".into());
    }
    let host = u.host_str().unwrap_or("");
    match u.scheme() {
        "https" if !host.is_empty() => {}
        "http" if crate::util::net::is_loopback_host(host) => {}
        "http" => {
            return Err("must use https (http is allowed only on localhost or 127.0.0.1)".into())
        }
        _ => return Err("must be an https URL".into()),
    }
    // Kept exactly as given: relying parties compare the issuer byte for byte.
    Ok(raw.to_owned())
}

/// What the documents are made of, read from the database.
pub struct Inputs<'a> {
    pub issuer: &'a str,
    pub scopes: &'a [store::scopes::Scope],
    pub signing_algs: &'a [Algorithm],
}

/// The OpenID Provider metadata. RFC 8414 metadata is the same object: every
/// member here is defined for both.
pub fn render(inputs: &Inputs) -> Value {
    let issuer = inputs.issuer;
    let scopes: Vec<&str> = inputs.scopes.iter().map(|s| s.name.as_str()).collect();
    let mut claims: Vec<String> = vec!["sub".into()];
    for scope in inputs.scopes {
        for claim in scope.claim_names() {
            if !claims.contains(&claim) {
                claims.push(claim);
            }
        }
    }
    // Only algorithms with an active key: a listed algorithm must be one the
    // server can sign with. Setup creates an RS256 key by default, the one
    // OIDC Discovery §3 requires.
    let algs: Vec<&str> = inputs.signing_algs.iter().map(|a| a.as_str()).collect();
    let mut doc = Map::new();
    doc.insert("issuer".into(), json!(issuer));
    doc.insert("jwks_uri".into(), json!(endpoint(issuer, JWKS_PATH)));
    doc.insert("scopes_supported".into(), json!(scopes));
    doc.insert("claims_supported".into(), json!(claims));
    doc.insert(
        "authorization_endpoint".into(),
        json!(endpoint(issuer, "/authorize")),
    );
    doc.insert("token_endpoint".into(), json!(endpoint(issuer, TOKEN_PATH)));
    doc.insert(
        "userinfo_endpoint".into(),
        json!(endpoint(issuer, "/userinfo")),
    );
    doc.insert(
        "introspection_endpoint".into(),
        json!(endpoint(issuer, "/introspect")),
    );
    doc.insert(
        "revocation_endpoint".into(),
        json!(endpoint(issuer, "/revoke")),
    );
    doc.insert(
        "end_session_endpoint".into(),
        json!(endpoint(issuer, "/end_session")),
    );
    doc.insert("response_types_supported".into(), json!(["code"]));
    doc.insert("response_modes_supported".into(), json!(["query"]));
    doc.insert(
        "grant_types_supported".into(),
        json!(["authorization_code", "refresh_token", "client_credentials"]),
    );
    doc.insert(
        "token_endpoint_auth_methods_supported".into(),
        json!(["client_secret_basic", "client_secret_post", "none"]),
    );
    doc.insert(
        "introspection_endpoint_auth_methods_supported".into(),
        json!(["client_secret_basic", "client_secret_post"]),
    );
    doc.insert(
        "revocation_endpoint_auth_methods_supported".into(),
        json!(["client_secret_basic", "client_secret_post", "none"]),
    );
    doc.insert("code_challenge_methods_supported".into(), json!(["S256"]));
    doc.insert("subject_types_supported".into(), json!(["public"]));
    doc.insert("id_token_signing_alg_values_supported".into(), json!(algs));
    doc.insert(
        "prompt_values_supported".into(),
        json!(["none", "login", "consent"]),
    );
    doc.insert(
        "authorization_response_iss_parameter_supported".into(),
        json!(true),
    );
    doc.insert("claims_parameter_supported".into(), json!(false));
    doc.insert("request_parameter_supported".into(), json!(false));
    doc.insert("request_uri_parameter_supported".into(), json!(false));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_name_the_issuer_and_list_scopes_and_claims() {
        let scopes = vec![
            store::scopes::Scope::new("openid", "", &["sub".into()]),
            store::scopes::Scope::new("email", "", &["email".into(), "email_verified".into()]),
        ];
        let doc = render(&Inputs {
            issuer: "https://id.example",
            scopes: &scopes,
            signing_algs: &[Algorithm::ES256],
        });
        assert_eq!(doc["issuer"], "https://id.example");
        assert_eq!(doc["jwks_uri"], "https://id.example/.well-known/jwks.json");
        assert_eq!(doc["scopes_supported"], json!(["openid", "email"]));
        assert_eq!(
            doc["claims_supported"],
            json!(["sub", "email", "email_verified"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["ES256"])
        );
        assert_eq!(doc["subject_types_supported"], json!(["public"]));
        assert_eq!(doc["request_uri_parameter_supported"], json!(false));
    }
}
