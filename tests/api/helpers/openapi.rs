//! Checks admin API responses against the served OpenAPI document: the
//! operation (method and path template) must be documented, with the status
//! the server answered, and a JSON body must match that response's schema.
//! Every call the API tests make goes through [`Api`], so every response in
//! the suite is checked.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// An admin API client that checks each answer against the document.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub doc: Value,
    /// `Authorization: Bearer` credential, if any.
    pub credential: Option<String>,
}

impl<'a> Api<'a> {
    pub async fn new(app: &'a TestApp, credential: Option<&str>) -> Api<'a> {
        let res = app.get("/api/v1/openapi.json").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        let doc: Value = res.json().await.unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3."),
            "OpenAPI 3"
        );
        Api {
            app,
            doc,
            credential: credential.map(str::to_owned),
        }
    }

    pub fn with(&self, credential: Option<&str>) -> Api<'a> {
        Api {
            app: self.app,
            doc: self.doc.clone(),
            credential: credential.map(str::to_owned),
        }
    }

    /// Sends the request (with the credential as a bearer token), checks the
    /// answer against the document, and returns status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.app.http.request(method.clone(), self.app.url(path));
        if let Some(c) = &self.credential {
            req = req.bearer_auth(c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(method, path, req).await
    }

    /// Sends a prepared request and checks its answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        req: reqwest::RequestBuilder,
    ) -> (StatusCode, Value) {
        let res = req.send().await.unwrap();
        let status = res.status();
        let json = res
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
        let text = res.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            assert!(json, "{method} {path}: {status} answered non-JSON: {text}");
            serde_json::from_str(&text).unwrap()
        };
        check(&self.doc, method.as_str(), path, status.as_u16(), &value);
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::POST, path, None).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }
}

/// The documented path template that `path` (without its query) matches.
fn template<'d>(doc: &'d Value, path: &str) -> Option<(&'d str, &'d Value)> {
    let path = path.split('?').next().unwrap_or(path);
    let want: Vec<&str> = path.split('/').collect();
    let paths = doc["paths"].as_object()?;
    // Literal segments win over parameters (/keys/rotate over /keys/{kid}).
    let mut best: Option<(&str, &Value, usize)> = None;
    for (t, item) in paths {
        let have: Vec<&str> = t.split('/').collect();
        if have.len() != want.len() {
            continue;
        }
        let mut literal = 0;
        let fits = have.iter().zip(&want).all(|(h, w)| {
            if h.starts_with('{') && h.ends_with('}') {
                !w.is_empty()
            } else {
                literal += 1;
                h == w
            }
        });
        if fits && best.is_none_or(|(_, _, l)| literal > l) {
            best = Some((t, item, literal));
        }
    }
    best.map(|(t, item, _)| (t, item))
}

pub fn check(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let (t, item) = template(doc, path)
        .unwrap_or_else(|| panic!("{method} {path}: no such path in the OpenAPI document"));
    let op = &item[method.to_lowercase()];
    assert!(op.is_object(), "{method} {t}: not documented");
    let response = &op["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {t}: status {status} is not documented (body {body})"
    );
    match response["content"]["application/json"]["schema"].as_object() {
        Some(_) => {
            let schema = &response["content"]["application/json"]["schema"];
            if let Err(e) = validate(doc, schema, body, "$") {
                panic!("{method} {t} {status}: {e}\nbody: {body}");
            }
        }
        None => assert!(
            body.is_null(),
            "{method} {t} {status}: documented without a body, got {body}"
        ),
    }
}

fn resolve<'d>(doc: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r
                .strip_prefix("#/components/schemas/")
                .expect("a local $ref");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_fits(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        other => panic!("unknown schema type {other}"),
    }
}

/// A JSON Schema check for what utoipa emits: $ref, type (or a list of types),
/// properties and required, additionalProperties: false, items, enum, oneOf,
/// anyOf, allOf.
pub fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let s = resolve(doc, schema);
    if let Some(all) = s["allOf"].as_array() {
        for sub in all {
            validate(doc, sub, v, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = s[key].as_array() {
            let fits = options
                .iter()
                .filter(|o| validate(doc, o, v, at).is_ok())
                .count();
            let ok = if key == "oneOf" { fits == 1 } else { fits >= 1 };
            if !ok {
                return Err(format!("{at}: {v} fits {fits} of the {key} options"));
            }
        }
    }
    match &s["type"] {
        Value::String(t) if !type_fits(t, v) => {
            return Err(format!("{at}: {v} is not {t}"));
        }
        Value::Array(ts) if !ts.iter().any(|t| type_fits(t.as_str().unwrap_or(""), v)) => {
            return Err(format!("{at}: {v} is none of {ts:?}"));
        }
        _ => {}
    }
    if let Some(allowed) = s["enum"].as_array() {
        if !allowed.contains(v) {
            return Err(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    if let (Some(obj), Some(props)) = (v.as_object(), s["properties"].as_object()) {
        for r in s["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                return Err(format!("{at}: the required {r} is missing"));
            }
        }
        for (k, val) in obj {
            match props.get(k) {
                Some(p) => validate(doc, p, val, &format!("{at}.{k}"))?,
                None if s["additionalProperties"] == Value::Bool(false) => {
                    return Err(format!("{at}: {k} is not in the schema"))
                }
                // Undocumented members: the document must list what we send.
                None => return Err(format!("{at}: {k} is not documented")),
            }
        }
    }
    if let (Some(items), Some(schema)) = (v.as_array(), s.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(doc, schema, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}
