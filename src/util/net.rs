//! Host names and addresses.

/// `localhost`, `[::1]` or a loopback IP literal.
pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

use std::net::IpAddr;

/// One trusted range: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    addr: IpAddr,
    bits: u8,
}

impl Range {
    fn parse(text: &str) -> Option<Range> {
        let (addr, bits) = match text.split_once('/') {
            Some((a, b)) => (a.parse::<IpAddr>().ok()?, Some(b.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Range { addr, bits })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(r), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(r) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(r), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(r) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`) as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The reverse proxies whose forwarding headers are believed
/// (`KEYWARD_TRUSTED_PROXIES`: addresses or CIDR ranges, comma-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Range>);

impl TrustedProxies {
    /// Parses the list; the error names the first entry that is not an
    /// address or a range.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                Range::parse(s).ok_or_else(|| format!("'{s}' is not an IP address or CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client's address for a connection from `peer`: only when `peer` is
    /// trusted, the right-most address in the forwarding chain that is not a
    /// trusted proxy (`forwarded_for` is the X-Forwarded-For values in order,
    /// or the `for=` values of `Forwarded`). A chain of trusted proxies only,
    /// or a malformed entry, stops the walk at what is known.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[String]) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let mut client = canonical(peer);
        for hop in forwarded_for.iter().flat_map(|h| h.split(',')).rev() {
            match parse_hop(hop) {
                Some(ip) if self.trusts(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }

    /// Whether a trusted proxy said the original request was https.
    pub fn forwarded_https(&self, peer: IpAddr, proto: Option<&str>) -> bool {
        self.trusts(peer)
            && proto
                .and_then(|p| p.split(',').next())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    }
}

/// One hop of X-Forwarded-For or one `for=` of Forwarded: `a.b.c.d`,
/// `a.b.c.d:port`, `[v6]`, `[v6]:port`, `"[v6]:port"`, or a bare v6 address.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let h = hop.trim().trim_matches('"');
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = h.strip_prefix('[') {
        return rest
            .split(']')
            .next()?
            .parse::<IpAddr>()
            .ok()
            .map(canonical);
    }
    let (addr, _port) = h.rsplit_once(':')?;
    addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The `for=` values of `Forwarded` headers (RFC 7239), in order.
pub fn forwarded_for_values(headers: &[String]) -> Vec<String> {
    headers
        .iter()
        .flat_map(|h| h.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| v.trim().to_owned())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_and_addresses_parse_and_bad_entries_are_named() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.5 ,::1,fd00::/8").unwrap();
        assert!(t.trusts(ip("10.200.3.4")));
        assert!(t.trusts(ip("192.168.1.5")));
        assert!(!t.trusts(ip("192.168.1.6")));
        assert!(t.trusts(ip("::1")));
        assert!(t.trusts(ip("fd12::1")));
        assert!(t.trusts(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert_eq!(
            TrustedProxies::parse("10.0.0.1, proxy.local").unwrap_err(),
            "'proxy.local' is not an IP address or CIDR range"
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .trusts(ip("8.8.8.8")));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let xff = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // From the proxy: the client is what it appended.
        assert_eq!(
            t.client_address(ip("10.0.0.2"), &xff(&["203.0.113.9"])),
            ip("203.0.113.9")
        );
        // A spoofed left-most entry is ignored; a chain of proxies is walked.
        assert_eq!(
            t.client_address(ip("10.0.0.2"), &xff(&["1.1.1.1, 203.0.113.9", "10.0.0.7"])),
            ip("203.0.113.9")
        );
        // Not from a trusted proxy: the header changes nothing.
        assert_eq!(
            t.client_address(ip("198.51.100.1"), &xff(&["1.1.1.1"])),
            ip("198.51.100.1")
        );
        // No header, or garbage: the proxy's own address.
        assert_eq!(t.client_address(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
        assert_eq!(
            t.client_address(ip("10.0.0.2"), &xff(&["nonsense"])),
            ip("10.0.0.2")
        );
        assert_eq!(
            t.client_address(ip("10.0.0.2"), &xff(&["203.0.113.9:4711"])),
            ip("203.0.113.9")
        );
        assert_eq!(
            t.client_address(
                ip("10.0.0.2"),
                &forwarded_for_values(&[
                    "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:80\"".into()
                ])
            ),
            ip("2001:db8::1")
        );
        assert!(t.forwarded_https(ip("10.0.0.2"), Some("https")));
        assert!(!t.forwarded_https(ip("8.8.8.8"), Some("https")));
    }
}
