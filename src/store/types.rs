//! Text-backed enums for the columns that hold one of a fixed set of words:
//! stored as the same TEXT as before, parsed once when a row is read, and
//! written back as their word. An unknown word in the database is a
//! deserialization error, never a silent default.

/// Diesel's `ToSql`/`FromSql` for `Text` on every backend, for a type with
/// `as_str()` and `FromStr` (its text in the database, read back by parsing).
macro_rules! text_sql {
    ($name:ident) => {
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
                let text = String::from_sql(bytes)?;
                text.parse().map_err(Into::into)
            }
        }
    };
}

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

        text_sql!($name);
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

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name(s.to_owned()))
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

        text_sql!($name);
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

/// A space-separated list column (redirect URIs, scopes, grant types): parsed
/// once when the row is read, kept with its stored text so it writes back
/// unchanged. Items never contain white space (registration ensures it).
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Words<T> {
    text: String,
    items: Vec<T>,
}

impl<T> Words<T> {
    /// The stored form: the items joined by single spaces.
    pub fn as_text(&self) -> &str {
        &self.text
    }
}

impl<T: std::fmt::Display> From<Vec<T>> for Words<T> {
    fn from(items: Vec<T>) -> Self {
        let text = items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        Words { text, items }
    }
}

impl<T: std::fmt::Display + Clone> From<&[T]> for Words<T> {
    fn from(items: &[T]) -> Self {
        Words::from(items.to_vec())
    }
}

impl<T> std::fmt::Display for Words<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Any text is a list of strings: split at white space.
impl From<&str> for Words<String> {
    fn from(stored: &str) -> Self {
        Words::from(
            stored
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
    }
}

impl<T> PartialEq<&str> for Words<T> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// Pages and audit details show a list as its stored text.
impl<T> serde::Serialize for Words<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<T> std::ops::Deref for Words<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> std::str::FromStr for Words<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    type Err = String;
    fn from_str(stored: &str) -> Result<Self, String> {
        let items = stored
            .split_whitespace()
            .map(|w| w.parse::<T>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<T>, String>>()?;
        Ok(Words {
            text: stored.split_whitespace().collect::<Vec<_>>().join(" "),
            items,
        })
    }
}

impl<T, DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Words<T>
where
    T: std::fmt::Debug,
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        self.text.as_str().to_sql(out)
    }
}

impl<T, DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Words<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let stored = String::from_sql(bytes)?;
        stored.parse().map_err(Into::into)
    }
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
    fn word_lists_parse_once_and_keep_their_text() {
        let grants: Words<GrantType> = "authorization_code  refresh_token".parse().unwrap();
        assert_eq!(
            &grants[..],
            &[GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(grants.as_text(), "authorization_code refresh_token");
        assert!("authorization_code implicit"
            .parse::<Words<GrantType>>()
            .is_err());
        let uris = Words::from(vec!["https://a/cb".to_string(), "https://b/cb".to_string()]);
        assert_eq!(uris.as_text(), "https://a/cb https://b/cb");
        assert!(Words::<String>::from(Vec::new()).is_empty());
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
