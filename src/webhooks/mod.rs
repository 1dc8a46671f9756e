//! Webhooks: incoming hooks that let other tools post into a channel, and outgoing
//! hooks that tell other tools what happens in Parley.
pub mod incoming;
pub mod outgoing;
