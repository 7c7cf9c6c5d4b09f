//! Registering and changing clients: the rules shared by the CLI, the admin
//! pages and the admin API. Public clients have no secret and always use PKCE;
//! confidential clients get a `kw_cs_` secret, shown once and stored as a
//! SHA-256 digest.

use crate::crypto::secret::{self, SecretString};
use crate::db::DbConn;
use crate::store::types::{
    AuthMethod, ClientId, ClientType, ConsentPolicy, GrantType, TokenFormat, Words,
};
use crate::store::{self, audit, clients, clients::Client};

pub mod redirect_uri;

pub const ACCESS_TTL_RANGE: std::ops::RangeInclusive<i64> = 60..=86_400;
pub const REFRESH_TTL_RANGE: std::ops::RangeInclusive<i64> = 60..=366 * 86_400;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("no such client: {0}")]
    NotFound(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl crate::db::Contention for ClientError {
    fn is_contention(&self) -> bool {
        matches!(self, ClientError::Db(e) if crate::db::is_contention(e))
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ClientError {
    ClientError::Invalid {
        field,
        message: message.into(),
    }
}

/// What an administrator asks for; unset fields take the defaults a careful
/// provider would choose.
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    pub name: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Option<Vec<String>>,
    pub auth_method: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub default_scopes: Option<Vec<String>>,
    pub consent: Option<String>,
    pub token_format: Option<String>,
    pub require_pkce: bool,
    pub access_ttl: Option<i64>,
    pub refresh_ttl: Option<i64>,
    /// May be allowed the built-in `admin` scope (the admin API, by client
    /// credentials). Confidential clients only.
    pub admin_capable: bool,
}

/// The scope only admin-capable clients may be allowed.
pub const ADMIN_SCOPE: &str = "admin";

/// One of a column's words (`store::types`), or the refusal that lists them.
fn word<T: std::str::FromStr<Err = String>>(
    field: &'static str,
    value: &str,
) -> Result<T, ClientError> {
    value.parse().map_err(|m| invalid(field, m))
}

/// Checks the spec against the rules and the scope table; returns the row to store.
fn build(
    conn: &mut DbConn,
    spec: &ClientSpec,
    id: ClientId,
    secret_digest: Option<String>,
) -> Result<Client, ClientError> {
    let known: Vec<String> = store::scopes::list(conn)?
        .into_iter()
        .map(|s| s.name)
        .collect();
    decide_registration(spec, &known, id, secret_digest, store::now())
}

/// What a client is allowed when its registration names no scopes: the
/// OpenID Connect basics for apps that sign people in, nothing otherwise.
pub fn default_allowed_scopes(grants: &[String]) -> Vec<String> {
    if grants.iter().any(|g| g == "authorization_code") {
        vec!["openid".into(), "profile".into(), "email".into()]
    } else {
        vec![]
    }
}

/// The grant types of a registration that names none.
pub fn default_grant_types() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}

/// The registration rules over plain values: `known_scopes` are the scope
/// table's names. Returns the row to store, or the first rule the spec breaks.
pub fn decide_registration(
    spec: &ClientSpec,
    known_scopes: &[String],
    id: ClientId,
    secret_digest: Option<String>,
    now: i64,
) -> Result<Client, ClientError> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid(
            "name",
            "Give the client a name of 1 to 100 characters.",
        ));
    }
    for uri in &spec.redirect_uris {
        redirect_uri::check_registrable(uri).map_err(|m| invalid("redirect_uris", m))?;
    }
    for uri in &spec.post_logout_redirect_uris {
        redirect_uri::check_registrable(uri)
            .map_err(|m| invalid("post_logout_redirect_uris", m))?;
    }
    let grants = spec.grant_types.clone().unwrap_or_else(default_grant_types);
    if grants.is_empty() {
        return Err(invalid("grant_types", "Allow at least one grant type."));
    }
    let grant_list = grants
        .iter()
        .map(|g| word::<GrantType>("grant_types", g))
        .collect::<Result<Vec<_>, _>>()?;
    if grants.iter().any(|g| g == "authorization_code") && spec.redirect_uris.is_empty() {
        return Err(invalid(
            "redirect_uris",
            "The authorization_code grant needs at least one redirect URI.",
        ));
    }
    if spec.public && grants.iter().any(|g| g == "client_credentials") {
        return Err(invalid(
            "grant_types",
            "A public client cannot use client_credentials: it has no secret.",
        ));
    }
    let auth_method = spec.auth_method.clone().unwrap_or_else(|| {
        if spec.public {
            "none"
        } else {
            "client_secret_basic"
        }
        .into()
    });
    let auth_method: AuthMethod = word("token_endpoint_auth_method", &auth_method)?;
    if spec.public != (auth_method == AuthMethod::None) {
        return Err(invalid(
            "token_endpoint_auth_method",
            "Public clients authenticate with 'none'; confidential clients with client_secret_basic or client_secret_post.",
        ));
    }
    let scopes = spec
        .scopes
        .clone()
        .unwrap_or_else(|| default_allowed_scopes(&grants));
    if spec.admin_capable && spec.public {
        return Err(invalid(
            "admin_capable",
            "A public client cannot be admin-capable: the admin API needs client credentials.",
        ));
    }
    if !spec.admin_capable && scopes.iter().any(|s| s == ADMIN_SCOPE) {
        return Err(invalid(
            "scopes",
            "Only an admin-capable client may be allowed the admin scope.",
        ));
    }
    if let Some(unknown) = scopes.iter().find(|s| !known_scopes.contains(s)) {
        return Err(invalid("scopes", format!("There is no scope '{unknown}'.")));
    }
    let default_scopes = spec.default_scopes.clone().unwrap_or_else(|| {
        if scopes.iter().any(|s| s == "openid") {
            vec!["openid".into()]
        } else {
            vec![]
        }
    });
    if let Some(extra) = default_scopes.iter().find(|s| !scopes.contains(s)) {
        return Err(invalid(
            "default_scopes",
            format!("'{extra}' is a default scope but not an allowed one."),
        ));
    }
    let consent = spec.consent.clone().unwrap_or_else(|| "once".into());
    let consent: ConsentPolicy = word("consent_policy", &consent)?;
    let token_format = spec.token_format.clone().unwrap_or_else(|| "opaque".into());
    let token_format: TokenFormat = word("token_format", &token_format)?;
    if let Some(t) = spec.access_ttl.filter(|t| !ACCESS_TTL_RANGE.contains(t)) {
        return Err(invalid(
            "access_token_ttl",
            format!("{t} s is outside 60 s to 1 day."),
        ));
    }
    if let Some(t) = spec.refresh_ttl.filter(|t| !REFRESH_TTL_RANGE.contains(t)) {
        return Err(invalid(
            "refresh_token_ttl",
            format!("{t} s is outside 60 s to 366 days."),
        ));
    }
    let t = now;
    Ok(Client {
        id,
        name: name.to_owned(),
        client_type: if spec.public {
            ClientType::Public
        } else {
            ClientType::Confidential
        },
        secret_digest,
        redirect_uris: Words::from(spec.redirect_uris.clone()),
        post_logout_redirect_uris: Words::from(spec.post_logout_redirect_uris.clone()),
        grant_types: Words::from(grant_list),
        token_endpoint_auth_method: auth_method,
        allowed_scopes: Words::from(scopes),
        default_scopes: Words::from(default_scopes),
        // RFC 9700 §2.1.1: PKCE is never optional for a public client.
        require_pkce: spec.public || spec.require_pkce,
        consent_policy: consent,
        token_format,
        access_token_ttl: spec.access_ttl,
        refresh_token_ttl: spec.refresh_ttl,
        launch_url: None,
        show_on_portal: false,
        resource_server: false,
        admin_capable: spec.admin_capable,
        disabled: false,
        created_at: t,
        updated_at: t,
        revision: 0,
    })
}

/// A client id: 128 random bits, with a prefix that no user id (`sub`, a UUID)
/// can have, so a client never collides with a user (RFC 9700 §4.15).
pub fn new_client_id() -> ClientId {
    let s = secret::generate("");
    format!("kwc_{}", &s.expose()[..22]).into()
}

/// Registers a client; returns it and, for a confidential client, its secret
/// (the only time the secret exists outside the caller's hands).
#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub fn create(
    conn: &mut DbConn,
    spec: &ClientSpec,
    actor: &audit::Actor,
) -> Result<(Client, Option<SecretString>), ClientError> {
    let secret = (!spec.public).then(|| secret::generate("kw_cs_"));
    let client = build(
        conn,
        spec,
        new_client_id(),
        secret.as_ref().map(SecretString::digest),
    )?;
    crate::db::transaction(conn, |c| {
        clients::insert(c, &client)?;
        store::settings::increment(c, store::settings::METADATA_VERSION)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("client.create", true)
                .by(actor)
                .target(client.id.clone())
                .detail(serde_json::json!({ "name": client.name, "type": client.client_type })),
        )?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok((client, secret))
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Client, ClientError> {
    clients::find(conn, id)?.ok_or_else(|| ClientError::NotFound(id.to_owned()))
}

/// A new secret for a confidential client; the old one stops working at once.
#[tracing::instrument(skip_all, fields(actor = %actor.id, id))]
pub fn rotate_secret(
    conn: &mut DbConn,
    id: &str,
    actor: &audit::Actor,
) -> Result<SecretString, ClientError> {
    let client = find(conn, id)?;
    if client.is_public() {
        return Err(invalid(
            "client_type",
            "A public client has no secret to rotate.",
        ));
    }
    let secret = secret::generate("kw_cs_");
    crate::db::transaction(conn, |c| {
        clients::set_secret_digest(c, id, &secret.digest())?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("client.rotate_secret", true)
                .by(actor)
                .target(id),
        )?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(secret)
}

/// Where the portal sends people for an app, and whether it lists the app;
/// and whether the app may introspect every client's tokens.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub launch_url: Option<String>,
    pub show_on_portal: bool,
    pub resource_server: bool,
}

/// Changes a client's registration and policy by the same rules as
/// registering it (its type and secret stay). Returns the stored client.
#[tracing::instrument(skip_all, fields(actor = %actor.id, id))]
pub fn update(
    conn: &mut DbConn,
    id: &str,
    spec: &ClientSpec,
    placement: &Placement,
    actor: &audit::Actor,
) -> Result<Client, ClientError> {
    let current = find(conn, id)?;
    let spec = ClientSpec {
        public: current.is_public(),
        ..spec.clone()
    };
    let launch_url = placement
        .launch_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    if let Some(u) = launch_url {
        let ok = url::Url::parse(u)
            .is_ok_and(|p| matches!(p.scheme(), "https" | "http") && p.host().is_some())
            && u.chars().count() <= redirect_uri::MAX_CHARS
            && crate::idm::patterns::is_launch_url(u);
        if !ok {
            return Err(invalid(
                "launch_url",
                "The launch URL must be an absolute http(s) address.",
            ));
        }
    }
    if placement.show_on_portal && launch_url.is_none() {
        return Err(invalid(
            "launch_url",
            "To show the app on the portal, give it a launch URL.",
        ));
    }
    let mut client = build(
        conn,
        &spec,
        current.id.clone(),
        current.secret_digest.clone(),
    )?;
    client.launch_url = launch_url.map(str::to_owned);
    client.show_on_portal = placement.show_on_portal;
    client.resource_server = placement.resource_server;
    crate::db::transaction(conn, |c| {
        clients::update_policy(c, id, &clients::PolicyChanges::from(&client))?;
        store::settings::increment(c, store::settings::METADATA_VERSION)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("client.update", true)
                .by(actor)
                .target(id)
                .detail(to_json(&client)),
        )?;
        Ok::<_, diesel::result::Error>(())
    })?;
    find(conn, id)
}

/// Disables (or enables again) a client. Disabling revokes every token it
/// holds: a disabled app signs nobody in and its tokens stop working.
#[tracing::instrument(skip_all, fields(actor = %actor.id, id))]
pub fn set_disabled(
    conn: &mut DbConn,
    id: &str,
    disabled: bool,
    actor: &audit::Actor,
) -> Result<usize, ClientError> {
    crate::db::durably(conn, |conn| {
        crate::db::transaction(conn, |c| {
            if !clients::set_disabled(c, id, disabled)? {
                return Err(ClientError::NotFound(id.to_owned()));
            }
            let revoked = if disabled {
                store::tokens::revoke_for_client(c, id, store::now())?
            } else {
                0
            };
            // Disabled clients' origins leave the CORS list.
            store::settings::increment(c, store::settings::METADATA_VERSION)?;
            audit::record(
                c,
                &audit::NewAuditEvent::new(
                    if disabled {
                        "client.disable"
                    } else {
                        "client.enable"
                    },
                    true,
                )
                .by(actor)
                .target(id)
                .detail(serde_json::json!({ "revoked_tokens": revoked })),
            )?;
            Ok(revoked)
        })
    })
}

/// Deletes the client with its consents, codes and tokens.
#[tracing::instrument(skip_all, fields(actor = %actor.id, id))]
pub fn delete(conn: &mut DbConn, id: &str, actor: &audit::Actor) -> Result<(), ClientError> {
    crate::db::transaction(conn, |c| {
        if !clients::delete(c, id)? {
            return Err(ClientError::NotFound(id.to_owned()));
        }
        store::settings::increment(c, store::settings::METADATA_VERSION)?;
        audit::record(
            c,
            &audit::NewAuditEvent::new("client.delete", true)
                .by(actor)
                .target(id),
        )?;
        Ok(())
    })
}

/// The client as JSON for listings and the CLI: never the secret digest.
pub fn to_json(c: &Client) -> serde_json::Value {
    serde_json::json!({
        "client_id": c.id,
        "name": c.name,
        "client_type": c.client_type,
        "redirect_uris": c.redirect_uri_list(),
        "post_logout_redirect_uris": c.post_logout_redirect_uri_list(),
        "grant_types": c.grant_type_list(),
        "token_endpoint_auth_method": c.token_endpoint_auth_method,
        "scopes": c.allowed_scope_list(),
        "default_scopes": c.default_scope_list(),
        "require_pkce": c.require_pkce,
        "consent_policy": c.consent_policy,
        "token_format": c.token_format,
        "access_token_ttl": c.access_token_ttl,
        "refresh_token_ttl": c.refresh_token_ttl,
        "launch_url": c.launch_url,
        "show_on_portal": c.show_on_portal,
        "resource_server": c.resource_server,
        "admin_capable": c.admin_capable,
        "disabled": c.disabled,
        "created_at": c.created_at,
    })
}

#[cfg(test)]
mod tests;
