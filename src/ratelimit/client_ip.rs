//! Client IP resolution behind trusted proxies and the bucket's client key.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use http::HeaderMap;
use http::header::HeaderName;
use ipnet::IpNet;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

/// `TRUSTED_PROXIES`: the peers whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// No trusted proxy: forwarding headers are always ignored (the default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses a comma list of CIDRs or single IPs; items are trimmed and empty items
    /// dropped (the list rule of docs/configuration.md). The error names the offending item.
    pub fn parse(text: &str) -> Result<Self, String> {
        let nets = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(parse_entry)
            .collect::<Result<_, _>>()?;
        Ok(Self { nets })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` is a trusted proxy. IPv4-mapped IPv6 is compared as IPv4 so that a
    /// dual-stack listener matches IPv4 entries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

fn parse_entry(item: &str) -> Result<IpNet, String> {
    let parsed = if item.contains('/') {
        IpNet::from_str(item).map(|net| net.trunc()).ok()
    } else {
        IpAddr::from_str(item)
            .ok()
            .map(|ip| IpNet::from(ip.to_canonical()))
    };
    parsed.ok_or_else(|| format!("invalid entry \"{item}\": expected an IP address or CIDR"))
}

/// The client address of a request.
///
/// Forwarding headers are believed only from a trusted peer, because anyone can send them.
/// The X-Forwarded-For chain (with the peer appended) is walked from the right, skipping
/// trusted hops; an unparsable entry stops the walk at the address to its right, since
/// nothing left of it can be trusted; an all-trusted chain yields its leftmost entry.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    if has_forwarded_for(headers) {
        return walk_forwarded_for(peer, headers, trusted);
    }
    real_ip(headers).unwrap_or(peer)
}

/// An X-Forwarded-For header that is present but blank counts as absent.
fn has_forwarded_for(headers: &HeaderMap) -> bool {
    headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .any(|value| value.to_str().map_or(true, |text| !text.trim().is_empty()))
}

fn walk_forwarded_for(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let mut right = peer;
    // Several header lines are one list in order (RFC 9110 §5.3), so walk lines in reverse.
    for line in headers.get_all(X_FORWARDED_FOR).iter().rev() {
        let Ok(text) = line.to_str() else {
            return right;
        };
        for entry in text.rsplit(',') {
            let Ok(ip) = IpAddr::from_str(entry.trim()) else {
                return right;
            };
            let ip = ip.to_canonical();
            if !trusted.contains(ip) {
                return ip;
            }
            right = ip;
        }
    }
    right
}

fn real_ip(headers: &HeaderMap) -> Option<IpAddr> {
    let text = headers.get(X_REAL_IP)?.to_str().ok()?;
    IpAddr::from_str(text.trim())
        .ok()
        .map(|ip| ip.to_canonical())
}

/// Bucket client key: IPv4 in dotted form; IPv6 as its /64 prefix, so a host cannot
/// multiply its quota by rotating addresses within the /64 it usually owns.
pub fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX));
            format!("{prefix}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn proxies(text: &str) -> TrustedProxies {
        TrustedProxies::parse(text).unwrap()
    }

    #[test]
    fn parses_trusted_proxies() {
        let trusted = proxies(" 10.0.0.0/8 , 192.0.2.1,,2001:db8::/32, ::ffff:198.51.100.7 ");
        assert!(trusted.contains(ip("10.1.2.3")));
        assert!(trusted.contains(ip("192.0.2.1")));
        assert!(!trusted.contains(ip("192.0.2.2")));
        assert!(trusted.contains(ip("2001:db8:5::1")));
        assert!(trusted.contains(ip("198.51.100.7")));
        assert!(
            trusted.contains(ip("::ffff:10.9.9.9")),
            "mapped peer vs IPv4 CIDR"
        );
        assert!(proxies("").is_empty());
        assert!(proxies(" , ").is_empty());
    }

    #[test]
    fn rejects_bad_trusted_proxies() {
        for bad in [
            "10.0.0.0/33",
            "nope",
            "10.0.0.1, 300.1.1.1",
            "10.0.0.1:80",
            "2001:db8::/129",
        ] {
            let err = TrustedProxies::parse(bad).unwrap_err();
            assert!(err.contains("invalid entry"), "{bad}: {err}");
        }
    }

    #[test]
    fn no_proxies_means_peer() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-real-ip", "5.6.7.8")]);
        assert_eq!(
            client_ip(ip("203.0.113.7"), &h, &TrustedProxies::none()),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn untrusted_peer_ignores_spoofed_headers() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-real-ip", "5.6.7.8")]);
        assert_eq!(
            client_ip(ip("203.0.113.7"), &h, &trusted),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn peer_ipv4_mapped_is_normalised() {
        let h = HeaderMap::new();
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.7"), &h, &TrustedProxies::none()),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn trusted_chain_walks_from_the_right() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 1.2.3.4, 10.0.0.2")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("1.2.3.4"));
    }

    #[test]
    fn single_hop_proxy() {
        let trusted = proxies("10.0.0.1");
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("198.51.100.9"));
    }

    #[test]
    fn multiple_header_lines_form_one_list() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1, 2.2.2.2"),
            ("x-forwarded-for", "10.0.0.3"),
        ]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("2.2.2.2"));
    }

    #[test]
    fn unparsable_entry_stops_the_walk() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "1.2.3.4, garbage, 10.0.0.5")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.5"));
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 5.6.7.8:443")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "1.2.3.4,,10.0.0.7")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.7"));
    }

    #[test]
    fn all_trusted_gives_leftmost() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.8")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.9"));
    }

    #[test]
    fn forwarded_entries_are_normalised() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", " ::ffff:1.2.3.4 ")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("1.2.3.4"));
    }

    #[test]
    fn x_real_ip_fallback() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-real-ip", " 198.51.100.4 ")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("198.51.100.4"));
        let h = headers(&[("x-real-ip", "not-an-ip")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
        let h = HeaderMap::new();
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_for_wins_over_real_ip_and_blank_counts_as_absent() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-real-ip", "5.6.7.8")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("1.2.3.4"));
        let h = headers(&[("x-forwarded-for", "  "), ("x-real-ip", "5.6.7.8")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("5.6.7.8"));
    }

    #[test]
    fn non_utf8_forwarded_for_stops_at_peer() {
        let trusted = proxies("10.0.0.0/8");
        let mut h = HeaderMap::new();
        h.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"1.2.3.4\xff").unwrap(),
        );
        assert_eq!(client_ip(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_peer_and_chain() {
        let trusted = proxies("2001:db8:ffff::/48");
        let h = headers(&[("x-forwarded-for", "2001:db8:1:2:3:4:5:6, 2001:db8:ffff::2")]);
        assert_eq!(
            client_ip(ip("2001:db8:ffff::1"), &h, &trusted),
            ip("2001:db8:1:2:3:4:5:6")
        );
    }

    #[test]
    fn client_keys() {
        assert_eq!(client_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_key(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(client_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("::1")), "::/64");
        assert_eq!(client_key(ip("fe80::1:2:3:4")), "fe80::/64");
        assert_eq!(client_key(ip("2001:db8:0:0:1::")), "2001:db8::/64");
    }
}
