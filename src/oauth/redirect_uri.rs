//! Redirect URIs: which may be registered, and whether a requested one matches
//! a registered one (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1 and §4.1.3).

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
    match uri.scheme() {
        "https" => Ok(()),
        "http" if uri.host_str().is_some_and(crate::app::config::is_loopback_host) => Ok(()),
        "http" => Err(format!("{raw} must use https (http only on a loopback host: 127.0.0.1, [::1] or localhost)")),
        scheme if is_private_use_scheme(scheme) => Ok(()),
        scheme => Err(format!(
            "{raw} uses the scheme '{scheme}': use https, http on loopback, or a private-use scheme in reverse-domain form like com.example.app"
        )),
    }
}

/// RFC 8252 §7.1: native apps use a scheme based on a domain they own, in
/// reverse order (`com.example.app`); schemes that browsers run or read locally
/// are never redirect targets.
fn is_private_use_scheme(scheme: &str) -> bool {
    const DANGEROUS: [&str; 6] = ["javascript", "data", "file", "vbscript", "blob", "about"];
    scheme.contains('.') && !DANGEROUS.contains(&scheme)
}

/// Whether `requested` is one of `registered`: exact string comparison, except
/// that for an http redirect to a loopback IP literal the port may differ
/// (RFC 8252 §7.3: a native app listens on whatever port it gets).
pub fn matches(registered: &[String], requested: &str) -> bool {
    registered
        .iter()
        .any(|r| r == requested || loopback_port_variant(r, requested))
}

fn loopback_port_variant(registered: &str, requested: &str) -> bool {
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    let loopback_ip = |u: &Url| matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]"));
    reg.scheme() == "http"
        && req.scheme() == "http"
        && loopback_ip(&reg)
        && reg.host_str() == req.host_str()
        && reg.path() == req.path()
        && reg.query() == req.query()
        && req.fragment().is_none()
        && req.username().is_empty()
        && req.password().is_none()
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

    #[test]
    fn matching_is_exact_but_for_loopback_ports() {
        let reg = vec![
            "https://app.example.com/cb".to_string(),
            "http://127.0.0.1/native".to_string(),
        ];
        assert!(matches(&reg, "https://app.example.com/cb"));
        // The conformance suite's probes: another path, a query, a prefix.
        assert!(!matches(&reg, "https://app.example.com/cb/extra"));
        assert!(!matches(&reg, "https://app.example.com/cb?x=1"));
        assert!(!matches(&reg, "https://app.example.com/c"));
        assert!(!matches(&reg, "https://APP.example.com/cb"));
        assert!(!matches(&reg, "https://app.example.com/cb#x"));
        // RFC 8252 §7.3: any port on a loopback IP literal, same path.
        assert!(matches(&reg, "http://127.0.0.1:51234/native"));
        assert!(!matches(&reg, "http://127.0.0.1:51234/other"));
        assert!(!matches(&reg, "http://localhost:51234/native"));
        assert!(!matches(&reg, "https://127.0.0.1:51234/native"));
    }
}
