// The one schema for both backends. Written by hand (not by `diesel print-schema`)
// so that it uses only types the MultiConnection backend supports; the store tests
// read and write every column on SQLite and PostgreSQL, which catches any drift
// from migrations/postgres and migrations/sqlite.

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        username_key -> Text,
        email -> Nullable<Text>,
        email_key -> Nullable<Text>,
        email_verified -> Bool,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        display_name -> Nullable<Text>,
        extra_claims -> Text,
        password_hash -> Nullable<Text>,
        is_admin -> Bool,
        disabled -> Bool,
        session_epoch -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_login_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    scopes (name) {
        name -> Text,
        description -> Text,
        claims -> Text,
        builtin -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        name -> Text,
        client_type -> Text,
        secret_digest -> Nullable<Text>,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        grant_types -> Text,
        token_endpoint_auth_method -> Text,
        allowed_scopes -> Text,
        default_scopes -> Text,
        require_pkce -> Bool,
        consent_policy -> Text,
        token_format -> Text,
        access_token_ttl -> Nullable<BigInt>,
        refresh_token_ttl -> Nullable<BigInt>,
        launch_url -> Nullable<Text>,
        show_on_portal -> Bool,
        resource_server -> Bool,
        admin_capable -> Bool,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        revision -> BigInt,
    }
}

diesel::table! {
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scopes -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    authorization_codes (digest) {
        digest -> Text,
        client_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        auth_time -> BigInt,
        family_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        consumed_at -> Nullable<BigInt>,
        redirect_uri_given -> Bool,
    }
}

diesel::table! {
    authorization_requests (id) {
        id -> Text,
        binding -> Text,
        client_id -> Text,
        request -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        digest -> Text,
        kind -> Text,
        format -> Text,
        client_id -> Text,
        user_id -> Nullable<Text>,
        scope -> Text,
        family_id -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        family_expires_at -> Nullable<BigInt>,
        rotated_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        kid -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        private_key -> Text,
        encrypted -> Bool,
        public_jwk -> Text,
        status -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    admin_api_keys (id) {
        id -> Text,
        name -> Text,
        digest -> Text,
        created_by -> Nullable<Text>,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> BigInt,
        actor -> Nullable<Text>,
        action -> Text,
        target -> Nullable<Text>,
        outcome -> Text,
        ip -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        secret_digest -> Text,
        user_id -> Nullable<Text>,
        data -> Text,
        persistent -> Bool,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        idle_timeout -> BigInt,
        expires_at -> BigInt,
        address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        amr -> Nullable<Text>,
    }
}

diesel::table! {
    counters (key) {
        key -> Text,
        window_start -> BigInt,
        count -> BigInt,
    }
}

diesel::joinable!(consents -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(consents -> clients (client_id));
diesel::joinable!(authorization_codes -> clients (client_id));
diesel::joinable!(tokens -> clients (client_id));
diesel::joinable!(authorization_requests -> clients (client_id));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    users,
    scopes,
    clients,
    consents,
    authorization_codes,
    authorization_requests,
    tokens,
    signing_keys,
    admin_api_keys,
    audit_events,
    sessions,
    counters,
);
