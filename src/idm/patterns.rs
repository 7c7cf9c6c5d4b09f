//! The text rules that have a regular-expression form, written once: the
//! identity rules check values against them, and the admin API's OpenAPI
//! document states them as `pattern`s, so both say the same. They use only
//! what Rust's `regex`, ECMAScript and Python agree on (no look-around).

use std::sync::LazyLock;

use regex::Regex;

const LABEL: &str = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
/// A host name's last label starts with a letter: never read as an IPv4
/// address.
const TOP: &str = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const OCTET: &str = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const PORT: &str = r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?";
/// RFC 3986 pchar (unreserved, sub-delims, `:`, `@`, `%`).
const PCHAR: &str = r"\-A-Za-z0-9._~!$&'()*+,;=:@%";
/// A pchar but `@`, for the paths of private-use URIs (no authority).
const PCHAR_NO_AT: &str = r"\-A-Za-z0-9._~!$&'()*+,;=:%";

fn host() -> String {
    format!("(?:(?:{LABEL}\\.)*{TOP}|{OCTET}(?:\\.{OCTET}){{3}})")
}

fn path_and_query() -> String {
    format!("(?:/[{PCHAR}/]*)?(?:\\?[{PCHAR}/?]*)?")
}

/// A redirect URI the API registers: https, http on a loopback host, or a
/// private-use scheme in reverse-domain form (RFC 8252 §7.1); no fragment,
/// no user info, no white space.
pub static REDIRECT_URI: LazyLock<String> = LazyLock::new(|| {
    let pq = path_and_query();
    format!(
        "^(?:https://{host}{PORT}{pq}|http://(?:localhost|127(?:\\.{OCTET}){{3}}|\\[::1\\]){PORT}{pq}|[a-z][a-z0-9+-]*(?:\\.[a-z0-9+-]+)+:/[{PCHAR_NO_AT}][{PCHAR_NO_AT}/]*(?:\\?[{PCHAR}/?]*)?)$",
        host = host()
    )
});
/// Where the portal sends people to open an app: an http(s) address.
pub static LAUNCH_URL: LazyLock<String> =
    LazyLock::new(|| format!("^https?://{}{PORT}{}$", host(), path_and_query()));
pub static EMAIL: LazyLock<String> =
    LazyLock::new(|| format!("^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{LABEL}(?:\\.{LABEL})*$"));
pub const USERNAME: &str = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$";
pub const SCOPE_NAME: &str = r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$";
pub const CLAIM: &str = r"^[A-Za-z0-9_]{1,64}$";

fn compiled(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("the pattern {pattern} does not compile: {e}"))
}

macro_rules! test_fn {
    ($(#[$doc:meta])* $name:ident, $pattern:expr) => {
        $(#[$doc])*
        pub fn $name(value: &str) -> bool {
            static RE: LazyLock<Regex> = LazyLock::new(|| compiled(&$pattern));
            RE.is_match(value)
        }
    };
}

test_fn!(
    /// [`REDIRECT_URI`] matches `value`.
    is_redirect_uri,
    REDIRECT_URI
);
test_fn!(
    /// [`LAUNCH_URL`] matches `value`.
    is_launch_url,
    LAUNCH_URL
);
test_fn!(
    /// [`EMAIL`] matches `value`.
    is_email,
    EMAIL
);
test_fn!(
    /// [`USERNAME`] matches `value`.
    is_username,
    USERNAME
);
test_fn!(
    /// [`SCOPE_NAME`] matches `value`.
    is_scope_name,
    SCOPE_NAME
);
test_fn!(
    /// [`CLAIM`] matches `value`.
    is_claim,
    CLAIM
);
