//! Text-backed enums for the columns that hold one of a fixed set of words:
//! stored as the same TEXT as before, parsed once when a row is read, and
//! written back as their word. An unknown word in the database is a
//! deserialization error, never a silent default.

/// Declares a text-backed enum: `as_str`, `ALL`, `FromStr` (with an error
/// that lists the allowed words), `Display`, serde as the word, and Diesel's
/// `ToSql`/`FromSql` for `Text` on every backend.
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// The words, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($text,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("'{other}' is not one of {}", $name::WORDS.join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let word = String::from_sql(bytes)?;
                word.parse().map_err(Into::into)
            }
        }
    };
}

text_enum! {
    /// RFC 6749 §2.1: whether a client can keep a secret.
    pub enum ClientType {
        Public = "public",
        Confidential = "confidential",
    }
}

text_enum! {
    /// The grants a client may use at the token endpoint (and, for
    /// `authorization_code`, at /authorize).
    pub enum GrantType {
        AuthorizationCode = "authorization_code",
        RefreshToken = "refresh_token",
        ClientCredentials = "client_credentials",
        Password = "password",
    }
}

text_enum! {
    /// How a client authenticates at the token endpoint (RFC 6749 §2.3).
    pub enum AuthMethod {
        ClientSecretBasic = "client_secret_basic",
        ClientSecretPost = "client_secret_post",
        None = "none",
    }
}

text_enum! {
    /// When a user is asked to consent to a client's scopes.
    pub enum ConsentPolicy {
        Always = "always",
        Once = "once",
        Skip = "skip",
    }
}

text_enum! {
    /// What an access token looks like: a random string looked up by digest,
    /// or a signed JWT (RFC 9068). Refresh tokens are always opaque.
    pub enum TokenFormat {
        Opaque = "opaque",
        Jwt = "jwt",
    }
}

text_enum! {
    pub enum TokenKind {
        Access = "access",
        Refresh = "refresh",
    }
}

text_enum! {
    /// A signing key's place in its lifecycle: it signs (active), is still
    /// published for verification (retired), or is gone (revoked).
    pub enum KeyStatus {
        Active = "active",
        Retired = "retired",
        Revoked = "revoked",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_words_are_named() {
        for g in GrantType::ALL {
            assert_eq!(g.as_str().parse::<GrantType>(), Ok(*g));
        }
        assert_eq!(
            "implicit".parse::<GrantType>(),
            Err("'implicit' is not one of authorization_code, refresh_token, client_credentials, password".into())
        );
        assert_eq!(ConsentPolicy::Once.to_string(), "once");
        assert_eq!(serde_json::to_string(&TokenFormat::Jwt).unwrap(), "\"jwt\"");
        assert!(KeyStatus::Retired == "retired");
    }
}
