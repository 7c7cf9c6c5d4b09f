//! Plain rows for unit tests: a client, a user, an access token.

use crate::store::clients::Client;
use crate::store::tokens::Token;
use crate::store::types::{AuthMethod, ClientType, ConsentPolicy, TokenFormat, TokenKind};
use crate::store::users::User;

pub const NOW: i64 = 1_700_000_000;

pub fn client(id: &str) -> Client {
    Client {
        id: id.into(),
        name: id.into(),
        client_type: ClientType::Confidential,
        secret_digest: Some("digest".into()),
        redirect_uris: "https://app.example/cb".parse().unwrap(),
        post_logout_redirect_uris: Default::default(),
        grant_types: "authorization_code refresh_token".parse().unwrap(),
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
        allowed_scopes: "openid profile email offline_access".parse().unwrap(),
        default_scopes: "openid".parse().unwrap(),
        require_pkce: false,
        consent_policy: ConsentPolicy::Once,
        token_format: TokenFormat::Opaque,
        access_token_ttl: None,
        refresh_token_ttl: None,
        launch_url: None,
        show_on_portal: false,
        resource_server: false,
        admin_capable: false,
        disabled: false,
        created_at: NOW - 1000,
        updated_at: NOW - 1000,
        revision: 1,
    }
}

pub fn user(id: &str) -> User {
    User {
        id: id.into(),
        username: id.into(),
        ..User::default()
    }
}

/// A live access token of `client_id` for `user_id` (a machine token when
/// `None`), with `scope`.
pub fn access_token(client_id: &str, user_id: Option<&str>, scope: &str) -> Token {
    Token {
        id: "t1".into(),
        digest: "d".into(),
        kind: TokenKind::Access,
        format: TokenFormat::Opaque,
        client_id: client_id.into(),
        user_id: user_id.map(Into::into),
        scope: scope.into(),
        family_id: None,
        auth_time: None,
        created_at: NOW - 10,
        expires_at: NOW + 10,
        family_expires_at: None,
        rotated_at: None,
        revoked_at: None,
        kid: None,
    }
}
