//! Parley: a self-hosted team chat server.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod access;
pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod channels;
pub mod clock;
pub mod db;
pub mod edge;
pub mod error;
pub mod files;
pub mod jobs;
pub mod loadseed;
pub mod messages;
pub mod ops;
pub mod realtime;
pub mod search;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validate;
pub mod web;
pub mod workspaces;
