//! Registered clients and their policy columns.

use diesel::prelude::*;

use super::{like_pattern, lower, now};
use crate::db::schema::clients;
use crate::db::DbConn;
use crate::store::types::{
    AuthMethod, ClientId, ClientType, ConsentPolicy, GrantType, TokenFormat, Words,
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub client_type: ClientType,
    /// SHA-256 digest of the secret; `None` for public clients.
    pub secret_digest: Option<String>,
    pub redirect_uris: Words<String>,
    pub post_logout_redirect_uris: Words<String>,
    pub grant_types: Words<GrantType>,
    pub token_endpoint_auth_method: AuthMethod,
    pub allowed_scopes: Words<String>,
    pub default_scopes: Words<String>,
    pub require_pkce: bool,
    pub consent_policy: ConsentPolicy,
    pub token_format: TokenFormat,
    /// Seconds; `None` means the server default.
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub launch_url: Option<String>,
    pub show_on_portal: bool,
    /// May introspect any client's tokens.
    pub resource_server: bool,
    /// May receive the `admin` scope.
    pub admin_capable: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every change, so a cached copy can be checked against it.
    pub revision: i64,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.client_type == ClientType::Public
    }
    pub fn redirect_uri_list(&self) -> Vec<String> {
        self.redirect_uris.to_vec()
    }
    pub fn post_logout_redirect_uri_list(&self) -> Vec<String> {
        self.post_logout_redirect_uris.to_vec()
    }
    pub fn grant_type_list(&self) -> Vec<String> {
        self.grant_types.iter().map(|g| g.to_string()).collect()
    }
    /// Whether the client may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
    pub fn allowed_scope_list(&self) -> Vec<String> {
        self.allowed_scopes.to_vec()
    }
    pub fn default_scope_list(&self) -> Vec<String> {
        self.default_scopes.to_vec()
    }
}

/// The policy columns, changed together by the policy editor.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct PolicyChanges {
    pub name: String,
    pub redirect_uris: Words<String>,
    pub post_logout_redirect_uris: Words<String>,
    pub grant_types: Words<GrantType>,
    pub token_endpoint_auth_method: AuthMethod,
    pub allowed_scopes: Words<String>,
    pub default_scopes: Words<String>,
    pub require_pkce: bool,
    pub consent_policy: ConsentPolicy,
    pub token_format: TokenFormat,
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub launch_url: Option<String>,
    pub show_on_portal: bool,
    pub resource_server: bool,
    pub admin_capable: bool,
    pub updated_at: i64,
}

impl From<&Client> for PolicyChanges {
    /// The client's current policy, to change a field or two of.
    fn from(c: &Client) -> Self {
        PolicyChanges {
            name: c.name.clone(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.clone(),
            token_endpoint_auth_method: c.token_endpoint_auth_method,
            allowed_scopes: c.allowed_scopes.clone(),
            default_scopes: c.default_scopes.clone(),
            require_pkce: c.require_pkce,
            consent_policy: c.consent_policy,
            token_format: c.token_format,
            access_token_ttl: c.access_token_ttl,
            refresh_token_ttl: c.refresh_token_ttl,
            launch_url: c.launch_url.clone(),
            show_on_portal: c.show_on_portal,
            resource_server: c.resource_server,
            admin_capable: c.admin_capable,
            updated_at: now(),
        }
    }
}

pub fn insert(conn: &mut DbConn, client: &Client) -> QueryResult<()> {
    diesel::insert_into(clients::table)
        .values(client)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Client>> {
    clients::table
        .find(id)
        .select(Client::as_select())
        .first(conn)
        .optional()
}

/// Clients ordered by name, optionally filtered by a substring of name or id.
pub fn list(
    conn: &mut DbConn,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Client>> {
    let mut query = clients::table.select(Client::as_select()).into_boxed();
    if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = like_pattern(&s.to_lowercase());
        query = query.filter(
            lower(clients::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(clients::id).like(pattern).escape('\\')),
        );
    }
    query
        .order((clients::name, clients::id))
        .limit(limit)
        .offset(offset)
        .load(conn)
}

/// Enabled clients an admin put on the portal, with a launch URL.
pub fn list_portal(conn: &mut DbConn) -> QueryResult<Vec<Client>> {
    clients::table
        .filter(clients::show_on_portal.eq(true))
        .filter(clients::disabled.eq(false))
        .filter(clients::launch_url.is_not_null())
        .order(clients::name)
        .select(Client::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    clients::table.count().get_result(conn)
}

pub fn update_policy(conn: &mut DbConn, id: &str, changes: &PolicyChanges) -> QueryResult<bool> {
    Ok(diesel::update(clients::table.find(id))
        .set((changes, clients::revision.eq(clients::revision + 1)))
        .execute(conn)?
        == 1)
}

pub fn set_secret_digest(conn: &mut DbConn, id: &str, digest: &str) -> QueryResult<bool> {
    let n = diesel::update(clients::table.find(id))
        .set((
            clients::secret_digest.eq(digest),
            clients::updated_at.eq(now()),
            clients::revision.eq(clients::revision + 1),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn set_disabled(conn: &mut DbConn, id: &str, disabled: bool) -> QueryResult<bool> {
    let n = diesel::update(clients::table.find(id))
        .set((
            clients::disabled.eq(disabled),
            clients::updated_at.eq(now()),
            clients::revision.eq(clients::revision + 1),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Deletes the client; its consents, codes and tokens go with it (foreign keys
/// cascade, in the same statement).
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(clients::table.find(id)).execute(conn)? == 1)
}
