//! The client's IP: the peer address, or X-Forwarded-For when the peer is a trusted proxy.
use std::net::{IpAddr, Ipv4Addr};

use actix_web::HttpRequest;

pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = req.peer_addr().map(|a| a.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("");
    // Walk from the right: the first address that is not one of our proxies is the client.
    forwarded
        .split(',')
        .rev()
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted_proxies.contains(ip))
        .unwrap_or(peer)
}
