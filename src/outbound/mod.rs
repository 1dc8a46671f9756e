//! The one HTTP client for everything Parley sends out (outgoing webhooks, slash
//! commands, later link previews): it cannot be pointed at the inside of the network.
//! A name is resolved once and every address checked (policy.rs); the connection goes
//! to a checked address, never to a second resolution (resolver.rs); each redirect hop
//! is checked again, at most `MAX_REDIRECTS`; only http/https, only the configured
//! ports; 10 s in all; at most 64 KiB of the answer is read (client.rs). Refusals carry
//! their reason, for the delivery log.
mod client;
pub mod policy;
mod resolver;

pub use client::{Outbound, OutboundError, OutboundRequest, OutboundResponse};
pub use policy::{Policy, Refusal};

/// Redirect hops followed, each checked like the first request.
pub const MAX_REDIRECTS: usize = 3;
/// Bytes of an answer read; the rest is dropped.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[cfg(test)]
mod tests;
