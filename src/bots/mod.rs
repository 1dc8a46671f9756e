//! Bots: automation with an identity of its own (a bot user) and scoped tokens.
pub mod model;
pub mod routes;
pub mod scopes;
pub mod service;
