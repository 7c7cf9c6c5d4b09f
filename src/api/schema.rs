//! What the admin API accepts, stated once. The patterns and limits here are
//! what the handlers check before the shared rules run, and [`constrain`]
//! writes the same into the OpenAPI document, with the rules between members
//! (a public client has no client_credentials grant, say) as `if`/`then`. So
//! a request the document calls valid is accepted, and one it calls invalid
//! is refused with 422: a client generated from the document sends nothing
//! the server then refuses, and the fuzzer in CI holds both to that.
//!
//! Two kinds of refusal stay outside the document, as 409 Conflict: what
//! depends on the data as it is (a scope that does not exist, a username
//! taken, the only administrator, a change that contradicts a client's type).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::error::ApiError;

use crate::idm::patterns;
pub use crate::idm::patterns::{CLAIM, EMAIL, LAUNCH_URL, REDIRECT_URI, SCOPE_NAME, USERNAME};
pub const CURSOR: &str = r"^(?:o[0-9]{1,18})?$";
pub const AUDIT_CURSOR: &str = r"^(?:b[0-9]{1,18})?$";
/// Has a character that is not white space (see `util::text::is_blank`).
pub const NOT_BLANK: &str = r"\S";
pub const URI_MAX: usize = crate::idm::clients::redirect_uri::MAX_CHARS;
pub const EMAIL_MAX: usize = 254;
pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 200;

pub const GRANT_TYPES: [&str; 4] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
];
pub const SECRET_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];
pub const CONSENT_POLICIES: [&str; 3] = ["always", "once", "skip"];
pub const TOKEN_FORMATS: [&str; 2] = ["opaque", "jwt"];
pub const ALGORITHMS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

fn compiled(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("the pattern {pattern} does not compile: {e}"))
}

fn refuse(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid(field, message)
}

/// A name of 1 to `max` characters that is not blank.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if crate::util::text::is_blank(value) || value.chars().count() > max {
        return Err(refuse(
            field,
            format!("give {field} as 1 to {max} characters, not only white space"),
        ));
    }
    Ok(())
}

/// At most `max` characters (blank allowed: it clears the field).
pub fn at_most(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(refuse(field, format!("keep {field} to {max} characters")));
    }
    Ok(())
}

pub fn redirect_uris(field: &str, uris: &[String]) -> Result<(), ApiError> {
    for uri in uris {
        if uri.chars().count() > URI_MAX || !patterns::is_redirect_uri(uri) {
            return Err(refuse(
                field,
                format!("{uri:?} is not a redirect URI this server registers: https, http on 127.0.0.1, [::1] or localhost, or a private-use scheme like com.example.app:/cb; no fragment, no user info"),
            ));
        }
    }
    Ok(())
}

pub fn launch_url(value: Option<&str>) -> Result<(), ApiError> {
    match value {
        None | Some("") => Ok(()),
        Some(u) if u.chars().count() <= URI_MAX && patterns::is_launch_url(u) => Ok(()),
        Some(_) => Err(refuse(
            "launch_url",
            "the launch URL is an absolute http(s) address, or empty",
        )),
    }
}

/// An email address, or "" where that clears it.
pub fn email(value: Option<&str>) -> Result<(), ApiError> {
    match value {
        None | Some("") => Ok(()),
        Some(e) if e.chars().count() <= EMAIL_MAX && patterns::is_email(e) => Ok(()),
        Some(_) => Err(refuse(
            "email",
            "give an email address like name@example.com",
        )),
    }
}

pub fn username(value: &str) -> Result<(), ApiError> {
    if patterns::is_username(value) {
        return Ok(());
    }
    Err(refuse(
        "username",
        "use 2 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ))
}

pub fn scope_names(field: &str, names: &[String]) -> Result<(), ApiError> {
    match names.iter().find(|n| !patterns::is_scope_name(n)) {
        None => Ok(()),
        Some(bad) => Err(refuse(field, format!("{bad:?} is not a scope name"))),
    }
}

pub fn scope_name(name: &str) -> Result<(), ApiError> {
    scope_names("name", std::slice::from_ref(&name.to_owned()))
}

pub fn claims(names: &[String]) -> Result<(), ApiError> {
    match names.iter().find(|n| !patterns::is_claim(n)) {
        None => Ok(()),
        Some(bad) => Err(refuse(
            "claims",
            format!("{bad:?} is not a claim name (1 to 64 letters, digits and _)"),
        )),
    }
}

/// `value` is one of `allowed`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        return Ok(());
    }
    Err(refuse(
        field,
        format!("{field} is one of {}", allowed.join(", ")),
    ))
}

pub fn grant_types(values: &[String]) -> Result<(), ApiError> {
    if values.is_empty() {
        return Err(refuse("grant_types", "allow at least one grant type"));
    }
    for g in values {
        one_of("grant_types", g, &GRANT_TYPES)?;
    }
    Ok(())
}

/// An integer member that may also be written as a number with no fraction
/// (`72.0`): JSON Schema calls both integers.
pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) => {
            Ok(Some(f as i64))
        }
        _ => Err(D::Error::custom(format!("{n} is not a 64-bit integer"))),
    }
}

/// A JSON body that must be an object, as the document says (serde would
/// also read a struct from an array): parsed under the scope's `JsonConfig`
/// (size limit, errors), then checked, then converted (422 when it does not
/// fit).
pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let value = actix_web::web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::invalid("body", "the body is a JSON object").into());
            }
            serde_json::from_value(value)
                .map(Body)
                .map_err(|e| ApiError::invalid("body", e.to_string()).into())
        })
    }
}

static RE_CURSOR: LazyLock<Regex> = LazyLock::new(|| compiled(CURSOR));
static RE_AUDIT_CURSOR: LazyLock<Regex> = LazyLock::new(|| compiled(AUDIT_CURSOR));

fn given_cursor(pattern: &Regex, value: &str) -> Result<(), ApiError> {
    if pattern.is_match(value) {
        return Ok(());
    }
    Err(ApiError::bad_request("the cursor is not one this API gave"))
}

/// A paging cursor this API gave, or none.
pub fn cursor(value: &str) -> Result<(), ApiError> {
    given_cursor(&RE_CURSOR, value)
}

/// An audit log cursor this API gave, or none.
pub fn audit_cursor(value: &str) -> Result<(), ApiError> {
    given_cursor(&RE_AUDIT_CURSOR, value)
}

/// Merges `patch` into `target`: objects member by member, anything else
/// replaced.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn string(pattern: &str, min: usize, max: usize) -> Value {
    json!({ "type": "string", "pattern": pattern, "minLength": min, "maxLength": max })
}

fn uris() -> Value {
    json!({ "type": "array", "items": string(&REDIRECT_URI, 0, URI_MAX) })
}

fn scope_list() -> Value {
    json!({ "type": "array", "items": { "type": "string", "pattern": SCOPE_NAME } })
}

fn nullable_enum(values: &[&str]) -> Value {
    let mut all: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    all.push(Value::Null);
    json!({ "type": ["string", "null"], "enum": all })
}

/// A condition: the array member `name` is present and holds `value`.
fn holds(name: &str, value: &str) -> Value {
    json!({ "required": [name], "properties": { name: { "type": "array", "contains": { "const": value } } } })
}

/// The admin scope, among the allowed or the default scopes, needs an
/// admin-capable client.
fn admin_scope_rule() -> Value {
    json!({
        "if": { "anyOf": [holds("scopes", "admin"), holds("default_scopes", "admin")] },
        "then": { "required": ["admin_capable"], "properties": { "admin_capable": { "const": true } } }
    })
}

/// The authorization code grant needs a redirect URI.
fn code_needs_redirect() -> Value {
    json!({
        "if": { "properties": { "grant_types": { "contains": { "const": "authorization_code" } } } },
        "then": { "required": ["redirect_uris"], "properties": { "redirect_uris": { "minItems": 1 } } }
    })
}

/// The member constraints and the rules between members, by schema.
fn schema_patches() -> Vec<(&'static str, Value)> {
    let ttl = |min: i64, max: i64| json!({ "minimum": min, "maximum": max });
    vec![
        (
            "ClientCreate",
            json!({
                "properties": {
                    "name": string(NOT_BLANK, 1, NAME_MAX),
                    "client_type": { "enum": ["public", "confidential"] },
                    "redirect_uris": uris(),
                    "post_logout_redirect_uris": uris(),
                    "grant_types": { "type": ["array", "null"], "minItems": 1, "items": { "enum": GRANT_TYPES } },
                    "token_endpoint_auth_method": nullable_enum(&["none", SECRET_METHODS[0], SECRET_METHODS[1]]),
                    "scopes": { "type": ["array", "null"], "items": { "type": "string", "pattern": SCOPE_NAME } },
                    "default_scopes": { "type": ["array", "null"], "items": { "type": "string", "pattern": SCOPE_NAME } },
                    "consent_policy": nullable_enum(&CONSENT_POLICIES),
                    "token_format": nullable_enum(&TOKEN_FORMATS),
                    "access_token_ttl": ttl(60, 86_400),
                    "refresh_token_ttl": ttl(60, 31_622_400),
                },
                "allOf": [
                    {
                        "if": { "required": ["client_type"], "properties": { "client_type": { "const": "public" } } },
                        "then": { "properties": {
                            "grant_types": { "anyOf": [{ "type": "null" }, { "not": { "contains": { "const": "client_credentials" } } }] },
                            "token_endpoint_auth_method": { "enum": ["none", null] },
                            "admin_capable": { "const": false }
                        } },
                        "else": { "properties": {
                            "token_endpoint_auth_method": { "enum": [SECRET_METHODS[0], SECRET_METHODS[1], null] }
                        } }
                    },
                    code_needs_redirect(),
                    admin_scope_rule()
                ]
            }),
        ),
        (
            "ClientUpdate",
            json!({
                "properties": {
                    "name": string(NOT_BLANK, 1, NAME_MAX),
                    "redirect_uris": uris(),
                    "post_logout_redirect_uris": uris(),
                    "grant_types": { "minItems": 1, "items": { "enum": GRANT_TYPES } },
                    "token_endpoint_auth_method": { "enum": ["none", SECRET_METHODS[0], SECRET_METHODS[1]] },
                },
                "allOf": [code_needs_redirect()]
            }),
        ),
        (
            "PolicyBody",
            json!({
                "properties": {
                    "scopes": scope_list(),
                    "default_scopes": scope_list(),
                    "consent_policy": { "enum": CONSENT_POLICIES },
                    "token_format": { "enum": TOKEN_FORMATS },
                    "access_token_ttl": ttl(60, 86_400),
                    "refresh_token_ttl": ttl(60, 31_622_400),
                    "launch_url": { "type": ["string", "null"], "maxLength": URI_MAX,
                        "anyOf": [{ "type": "null" }, { "const": "" }, { "pattern": *LAUNCH_URL }] },
                },
                "allOf": [
                    admin_scope_rule(),
                    {
                        "if": { "required": ["show_on_portal"], "properties": { "show_on_portal": { "const": true } } },
                        "then": { "required": ["launch_url"], "properties": { "launch_url": { "type": "string", "minLength": 1 } } }
                    }
                ]
            }),
        ),
        (
            "UserCreate",
            json!({
                "properties": {
                    "username": { "pattern": USERNAME, "minLength": 2, "maxLength": 64 },
                    "email": { "type": ["string", "null"], "maxLength": EMAIL_MAX,
                        "anyOf": [{ "type": "null" }, { "const": "" }, { "pattern": *EMAIL }] },
                }
            }),
        ),
        (
            "UserUpdate",
            json!({
                "properties": {
                    "email": { "type": ["string", "null"], "maxLength": EMAIL_MAX,
                        "anyOf": [{ "type": "null" }, { "const": "" }, { "pattern": *EMAIL }] },
                    "given_name": { "maxLength": NAME_MAX },
                    "family_name": { "maxLength": NAME_MAX },
                    "display_name": { "maxLength": NAME_MAX },
                }
            }),
        ),
        (
            "ScopeIn",
            json!({
                "properties": {
                    "description": string(NOT_BLANK, 1, DESCRIPTION_MAX),
                    "claims": { "items": { "type": "string", "pattern": CLAIM } },
                }
            }),
        ),
        (
            "RotateIn",
            json!({ "properties": { "alg": { "enum": ALGORITHMS } } }),
        ),
    ]
}

/// Writes the constraints into the document: schemas, the paging
/// parameters of every list, and the scope-name path segment.
pub fn constrain(doc: &mut Value) {
    for (name, patch) in schema_patches() {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
            merge(schema, &patch);
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for op in ops.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for p in params {
                let patch = match (p["in"].as_str(), p["name"].as_str()) {
                    (Some("query"), Some("limit")) => {
                        json!({ "schema": { "minimum": 1, "maximum": 200 } })
                    }
                    (Some("query"), Some("cursor")) if path == "/api/v1/audit" => {
                        json!({ "schema": { "pattern": AUDIT_CURSOR } })
                    }
                    (Some("query"), Some("cursor")) => json!({ "schema": { "pattern": CURSOR } }),
                    (Some("path"), Some("name")) if path.starts_with("/api/v1/scopes/") => {
                        json!({ "schema": { "pattern": SCOPE_NAME } })
                    }
                    _ => continue,
                };
                merge(p, &patch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_compile_and_say_what_the_rules_say() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/cb?tenant=1&x=%20",
            "https://10.0.0.7/cb",
            "http://127.0.0.1:9000/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(patterns::is_redirect_uri(ok), "{ok}");
            assert!(
                crate::idm::clients::redirect_uri::check_registrable(ok).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "https://app.example.com/cb#frag",
            "http://app.example.com/cb",
            "https://user:pw@app.example.com/cb",
            "https://app.example.com/c b",
            "https://app.example.com:99999/cb",
            "https://1.2.3.256/cb",
            "com.example.app://host:port/cb",
            "myapp:/cb",
            "javascript:alert(1)",
            "https://app.example.com/cb\n",
        ] {
            assert!(!patterns::is_redirect_uri(bad), "{bad}");
        }
        assert!(patterns::is_email("ann.lee+ops@mail.example.org"));
        assert!(!patterns::is_email("ann@-bad.example"));
        assert!(patterns::is_username("ann.lee") && !patterns::is_username("-ann"));
        assert!(patterns::is_launch_url("https://wiki.example.com/"));
        assert!(Regex::new(CURSOR).unwrap().is_match("o50"));
    }

    #[test]
    fn integers_may_be_written_with_a_zero_fraction() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "integer")]
            n: Option<i64>,
        }
        let n = |s: &str| serde_json::from_str::<T>(s).map(|t| t.n);
        assert_eq!(n(r#"{"n": 72}"#).unwrap(), Some(72));
        assert_eq!(n(r#"{"n": 72.0}"#).unwrap(), Some(72));
        assert_eq!(n(r#"{"n": null}"#).unwrap(), None);
        assert_eq!(n("{}").unwrap(), None);
        assert!(n(r#"{"n": 7.5}"#).is_err());
        assert!(n(r#"{"n": 1e300}"#).is_err());
    }
}
