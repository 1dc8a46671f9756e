//! Request rate limits, before any work is done for a request. A request that carries a
//! credential — an `Authorization` header, the session cookie, or an incoming webhook's
//! secret URL — counts against that credential (`server.requests_per_minute_per_credential`),
//! so one leaked or runaway token cannot starve everyone else, and two devices of one
//! person each have their own budget. A request that carries none counts against its
//! client address (`server.requests_per_minute_per_address`); the address is the peer's
//! unless the peer is a trusted proxy, so a forged `X-Forwarded-For` changes nothing.
//! Either budget refills steadily and allows a burst of ten seconds' worth.
//!
//! Credentials are not checked here (that costs a lookup): a client inventing a new one
//! for every request would get a fresh budget each time, so at most `MAX_CREDENTIALS`
//! are tracked at once; past that (until housekeeping forgets the idle ones, each
//! minute), requests count against their address instead.
use std::net::IpAddr;

use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use sha2::{Digest, Sha256};

use crate::rate_limit::KeyedLimiter;

/// Credentials tracked at once (about 100 bytes each).
const MAX_CREDENTIALS: usize = 100_000;

pub struct RequestRate {
    by_credential: Option<KeyedLimiter<[u8; 32]>>,
    by_address: Option<KeyedLimiter<IpAddr>>,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<KeyedLimiter<K>> {
    (per_minute > 0).then(|| KeyedLimiter::new(per_minute, (per_minute / 6).max(1)))
}

impl RequestRate {
    /// Budgets per minute; 0 turns one off.
    pub fn new(per_credential: u32, per_address: u32) -> Self {
        Self { by_credential: limiter(per_credential), by_address: limiter(per_address) }
    }

    /// Ok, or the seconds until this request's credential (or address) may go again.
    pub fn check(&self, req: &ServiceRequest, session_cookie: &str, ip: IpAddr) -> Result<(), u64> {
        if req.path() == "/healthz" {
            return Ok(());
        }
        if let Some(key) = credential(req, session_cookie) {
            let Some(limiter) = &self.by_credential else { return Ok(()) };
            if limiter.len() < MAX_CREDENTIALS {
                return limiter.check(&key);
            }
        }
        match &self.by_address {
            Some(limiter) => limiter.check(&ip),
            None => Ok(()),
        }
    }

    /// Forgets credentials and addresses whose budget is full again (housekeeping).
    pub fn prune(&self) {
        if let Some(l) = &self.by_credential {
            l.prune();
        }
        if let Some(l) = &self.by_address {
            l.prune();
        }
    }
}

/// A digest of the credential the request carries, if any.
fn credential(req: &ServiceRequest, session_cookie: &str) -> Option<[u8; 32]> {
    let digest = |bytes: &[u8]| -> [u8; 32] { Sha256::digest(bytes).into() };
    if let Some(v) = req.headers().get(header::AUTHORIZATION) {
        return Some(digest(v.as_bytes()));
    }
    if let Some(c) = req.cookie(session_cookie) {
        return Some(digest(c.value().as_bytes()));
    }
    // An incoming webhook's URL is its credential (it also has a per-hook limit).
    req.path().starts_with("/hooks/").then(|| digest(req.path().as_bytes()))
}
