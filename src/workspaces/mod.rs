//! Workspaces: creation, membership and roles, invitation links, settings.
pub mod invites;
pub mod model;
pub mod routes;
pub mod service;
pub mod settings_routes;
