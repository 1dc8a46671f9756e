//! Instance administration: the figures and lists behind the /admin pages and the
//! /api/v1/admin API (both call these; neither computes anything of its own).
pub mod cli;
pub mod export;
pub mod gate;
pub mod integration_routes;
pub mod integrations;
pub mod nodes;
pub mod overview;
pub mod people;
pub mod person;
pub mod retention;
pub mod retention_routes;
pub mod routes;
pub mod scope;
pub mod system;
pub mod task_routes;
pub mod tasks;
pub mod workspace_routes;
pub mod workspaces;
