//! Workspaces: creation, membership and roles, invitation links.
pub mod invites;
pub mod model;
pub mod routes;
pub mod service;
