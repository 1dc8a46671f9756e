//! Outgoing webhooks: a workspace or a channel subscribed to events, delivered per
//! Standard Webhooks — signed, retried durably for about a day with the same
//! `webhook-id`, in order by default, every attempt logged — through the outbound
//! client that cannot reach the inside of the network. A receiver's JSON answer may
//! post a reply back as the hook.
pub mod deliver;
pub mod fanout;
pub mod log;
pub mod model;
pub mod notify;
pub mod reply;
pub mod routes;
pub mod service;
pub mod signing;
