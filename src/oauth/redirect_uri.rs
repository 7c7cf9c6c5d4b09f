//! Whether a requested redirect URI matches a registered one (RFC 6749
//! §3.1.2, RFC 8252 §7.3, RFC 9700 §2.1 and §4.1.3). Which URIs may be
//! registered is `idm::clients::redirect_uri`.

use url::Url;

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
