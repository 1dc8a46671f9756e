//! Webhooks: incoming hooks that let other tools post into a channel.
pub mod incoming;
