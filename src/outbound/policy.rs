//! Which addresses Parley may call: public unicast only, unless the self-hoster's
//! allowlist names the host or its network. URLs reach here parsed by the `url`
//! crate, which already turned every IPv4 spelling (decimal `2130706433`, octal
//! `0177.0.0.1`, hex `0x7f.1`, short `127.1`) and IDNA names into their one form.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Why a call was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the scheme {0} is not allowed (http and https only)")]
    Scheme(String),
    #[error("port {0} is not allowed")]
    Port(u16),
    #[error("the URL has no host")]
    NoHost,
    #[error("{addr} is a {kind} address")]
    Address { addr: IpAddr, kind: &'static str },
    #[error("the name {0} does not resolve")]
    Unresolved(String),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("a redirect without a usable Location")]
    BadRedirect,
}

#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Networks opened by the allowlist.
    nets: Vec<IpNet>,
    /// Host names opened by the allowlist (lowercase, no trailing dot).
    names: Vec<String>,
    /// Ports public destinations may use; allowlisted ones may use any.
    ports: Vec<u16>,
}

impl Policy {
    /// `allow` holds CIDRs (`10.1.0.0/16`), single addresses or host names.
    pub fn new(allow: &[String], ports: &[u16]) -> Self {
        let mut policy = Self { ports: ports.to_vec(), ..Self::default() };
        for entry in allow.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if let Ok(net) = entry.parse::<IpNet>() {
                policy.nets.push(net);
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                policy.nets.push(IpNet::from(ip));
            } else {
                policy.names.push(normal_name(entry));
            }
        }
        policy
    }

    pub fn name_allowed(&self, host: &str) -> bool {
        let host = normal_name(host);
        self.names.contains(&host)
    }

    fn net_allowed(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// An address the connection may go to (`by_name`: the allowlist named its host).
    pub fn check_ip(&self, ip: IpAddr, by_name: bool) -> Result<(), Refusal> {
        if by_name || self.net_allowed(ip) {
            return Ok(());
        }
        match forbidden(ip) {
            Some(kind) => Err(Refusal::Address { addr: ip, kind }),
            None => Ok(()),
        }
    }

    /// The port rule: allowlisted destinations may use any port.
    pub fn check_port(&self, port: u16, allowlisted: bool) -> Result<(), Refusal> {
        if allowlisted || self.ports.contains(&port) {
            Ok(())
        } else {
            Err(Refusal::Port(port))
        }
    }

    /// Whether a literal address or a name is on the allowlist.
    pub fn allowlisted(&self, host: &url::Host<&str>) -> bool {
        match host {
            url::Host::Domain(d) => self.name_allowed(d),
            url::Host::Ipv4(ip) => self.net_allowed(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.net_allowed(IpAddr::V6(*ip)),
        }
    }
}

fn normal_name(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// What kind of address this is, if it is not public unicast.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified"),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local (cloud metadata)"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "IETF protocol"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    RANGES.iter().find(|(net, prefix, _)| in_v4(ip, *net, *prefix)).map(|(_, _, kind)| *kind)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // ::ffff:a.b.c.d and the deprecated ::a.b.c.d: an IPv4 address in disguise.
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        return Some("IPv4-mapped");
    }
    // NAT64 (64:ff9b::/96 carries an IPv4 address; 64:ff9b:1::/48 is local use).
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(embedded_v4(s[6], s[7])).map(|_| "NAT64 to a non-public");
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        return Some("local NAT64");
    }
    // 6to4 carries an IPv4 address in bits 16..48.
    if s[0] == 0x2002 {
        return forbidden_v4(embedded_v4(s[1], s[2])).map(|_| "6to4 to a non-public");
    }
    let checks: &[(u16, u16, &str)] = &[
        (0x2001, 0xffff, "Teredo"), // 2001:0::/32, matched on the second segment below
        (0xfc00, 0xfe00, "unique local"),
        (0xfe80, 0xffc0, "link-local"),
        (0xfec0, 0xffc0, "site-local"),
        (0xff00, 0xff00, "multicast"),
    ];
    for (value, mask, kind) in checks {
        if s[0] & mask == *value && (*value != 0x2001 || s[1] == 0) {
            return Some(kind);
        }
    }
    if s[0] == 0x2001 && s[1] == 0x0db8 {
        return Some("documentation");
    }
    if s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0010 {
        return Some("ORCHID");
    }
    if s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0 {
        return Some("benchmarking");
    }
    if s[..4] == [0x0100, 0, 0, 0] {
        return Some("discard-only");
    }
    None
}
