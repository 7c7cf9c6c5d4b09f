//! The OpenAPI 3 document at /api/v1/openapi.json, generated from the
//! handlers' `#[utoipa::path]` attributes and the request and response types,
//! so it cannot drift from the code. Rendered once.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{api_keys, audit, clients, error, keys, scopes, sessions, settings, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keyward admin API",
        description = "Manage clients, scopes, users, signing keys, API keys and settings, and read the audit log. \
            Authenticate with an admin API key (`Authorization: Bearer kw_ak_...` or \
            `X-Admin-Token`), or with a client-credentials access token that carries the \
            `admin` scope. Every call is written to the audit log."
    ),
    paths(
        clients::list, clients::create, clients::get, clients::update, clients::delete,
        clients::rotate_secret, clients::get_policy, clients::put_policy,
        scopes::list, scopes::get, scopes::put, scopes::delete,
        users::list, users::create, users::get, users::update, users::delete,
        users::disable, users::enable,
        sessions::list, sessions::end, sessions::failures, sessions::unlock,
        keys::list, keys::rotate, keys::retire, keys::revoke,
        api_keys::list, api_keys::create, api_keys::revoke,
        settings::get, settings::update,
        audit::list,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&Security, &CommonErrors),
    security(("bearer" = []), ("admin_token" = [])),
    tags(
        (name = "clients", description = "Apps that sign people in, and machine clients"),
        (name = "scopes", description = "What apps may ask for, and the claims each releases"),
        (name = "users", description = "People with accounts"),
        (name = "keys", description = "Signing keys for ID tokens and JWT access tokens"),
        (name = "api-keys", description = "Credentials for this API"),
        (name = "settings", description = "Server-wide settings"),
        (name = "audit", description = "Who did what, when, from where"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An admin API key, or an access token with the admin scope",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Admin-Token"))),
        );
    }
}

/// The errors any call can meet, added to every operation that does not
/// list them: 400 (both credential headers, a malformed query), 401, 403 and
/// 503 (the database is down).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let common = [
            ("400", "a malformed request"),
            (
                "401",
                "no credential, or an unknown, expired or revoked one",
            ),
            ("403", "the credential may not use the admin API"),
            ("503", "the database is unavailable"),
        ];
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(description)
                                    .content(
                                        "application/json",
                                        ContentBuilder::new()
                                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                                            .build(),
                                    )
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

/// The document as JSON, with the constraints of [`super::schema`].
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = match serde_json::to_value(ApiDoc::openapi()) {
            Ok(d) => d,
            Err(e) => return format!("{{\"error\":\"internal\",\"message\":\"{e}\"}}"),
        };
        super::schema::constrain(&mut doc);
        doc.to_string()
    })
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(document())
}
