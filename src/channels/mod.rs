//! Channels and conversations: membership, browsing, archiving, read state.
pub mod conversations;
pub mod manage;
pub mod model;
pub mod read_routes;
pub mod read_state;
pub mod routes;
pub mod service;
pub mod view;
