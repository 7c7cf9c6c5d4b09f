//! Which redirect URIs may be registered (RFC 6749 §3.1.2, RFC 8252 §7,
//! RFC 9700 §2.1): https, http on a loopback host, or a private-use scheme.

use url::Url;

/// Why a URI cannot be registered, in words for the person registering it.
pub fn check_registrable(raw: &str) -> Result<(), String> {
    let uri = Url::parse(raw).map_err(|e| format!("{raw:?} is not an absolute URI ({e})"))?;
    if raw.contains(char::is_whitespace) {
        return Err(format!("{raw:?} contains white space"));
    }
    if uri.fragment().is_some() || raw.contains('#') {
        return Err(format!(
            "{raw} has a fragment (#...), which RFC 6749 §3.1.2 forbids"
        ));
    }
    if !uri.username().is_empty() || uri.password().is_some() {
        return Err(format!("{raw} carries user credentials"));
    }
    let allowed = match uri.scheme() {
        "https" => Ok(()),
        "http" if uri.host_str().is_some_and(crate::util::net::is_loopback_host) => Ok(()),
        "http" => Err(format!("{raw} must use https (http only on a loopback host: 127.0.0.1, [::1] or localhost)")),
        scheme if is_private_use_scheme(scheme) => Ok(()),
        scheme => Err(format!(
            "{raw} uses the scheme '{scheme}': use https, http on loopback, or a private-use scheme in reverse-domain form like com.example.app"
        )),
    };
    allowed?;
    // What the admin API's document states, and so what every way in takes.
    if raw.chars().count() > MAX_CHARS || !crate::idm::patterns::is_redirect_uri(raw) {
        return Err(format!(
            "{raw} is not in the form this server registers: a host name or IPv4 address (ports 1 to 65535), a path and query of URI characters, or for a private-use scheme a path like com.example.app:/callback"
        ));
    }
    Ok(())
}

/// The longest redirect URI, in characters.
pub const MAX_CHARS: usize = 2_000;

/// RFC 8252 §7.1: native apps use a scheme based on a domain they own, in
/// reverse order (`com.example.app`); schemes that browsers run or read locally
/// are never redirect targets.
fn is_private_use_scheme(scheme: &str) -> bool {
    const DANGEROUS: [&str; 6] = ["javascript", "data", "file", "vbscript", "blob", "about"];
    scheme.contains('.') && !DANGEROUS.contains(&scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_uris() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=1",
            "http://127.0.0.1:9000/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check_registrable(ok), Ok(()), "{ok}");
        }
        for bad in [
            "/relative/cb",
            "https://app.example.com/cb#frag",
            "http://app.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "myapp:/cb",
            "https://user:pw@app.example.com/cb",
            "https://app.example.com/c b",
        ] {
            assert!(check_registrable(bad).is_err(), "{bad}");
        }
    }
}
