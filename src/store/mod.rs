//! Typed rows and query functions, one file per table family. No HTTP here:
//! every function takes `&mut DbConn`, so callers compose several in one
//! transaction, and returns Diesel's `QueryResult`.

pub mod api_keys;
pub mod audit;
pub mod auth_requests;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod counters;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod keys;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod types;
pub mod users;

diesel::define_sql_function! {
    /// SQL `lower()`, so searches are case-insensitive on both backends (SQLite's
    /// LIKE ignores ASCII case, PostgreSQL's does not).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `lower()` of a nullable column.
    #[sql_name = "lower"]
    fn lower_nullable(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Seconds since the Unix epoch: the unit of every time column.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A fresh random id (UUID v4) for rows whose id is not a secret.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Lists (scopes, URIs, grant types) are stored as space-separated TEXT: none of
/// their items may contain white space, which validation ensures.
pub fn split_list(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}

pub fn join_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes `%`, `_` and `\` so user input is matched literally by LIKE
/// (with `ESCAPE` backslash).
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A LIKE pattern that matches `search` anywhere.
pub fn like_pattern(search: &str) -> String {
    format!("%{}%", escape_like(search))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let items = vec!["openid".to_string(), "profile".to_string()];
        assert_eq!(split_list(&join_list(&items)), items);
        assert!(split_list("").is_empty());
        assert_eq!(split_list("  a   b "), vec!["a", "b"]);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
