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

/// Declares a TEXT-backed id: a newtype over `String` that derefs to `str`
/// (so it goes wherever an id is read), serialises as the bare string, and
/// stores as TEXT on every backend. Distinct types keep a client's id from
/// being passed where a user's is meant.
macro_rules! text_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
            serde::Serialize, serde::Deserialize,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
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
                self.0.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                Ok($name(String::from_sql(bytes)?))
            }
        }
    };
}

text_id! {
    /// A client's `client_id` (`kwc_...`).
    ClientId
}

text_id! {
    /// A user's id: the `sub` claim (a UUID).
    UserId
}

text_id! {
    /// The family a code's or a refresh chain's tokens share, so a replay
    /// can revoke them all.
    FamilyId
}

text_id! {
    /// A signing key's `kid`.
    Kid
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

    #[test]
    fn ids_are_their_string_and_only_equal_to_it() {
        let id = ClientId::from("kwc_1");
        assert_eq!(id, "kwc_1");
        assert_eq!(id.to_string(), "kwc_1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"kwc_1\"");
        assert_eq!(&*id, "kwc_1");
        let user: UserId = serde_json::from_str("\"u1\"").unwrap();
        assert_eq!(user.into_string(), "u1");
    }
}
