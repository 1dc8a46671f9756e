//! Parley's integration suite: one binary, a real server per test.
//! Runs on SQLite by default and on PostgreSQL when PARLEY_TEST_DATABASE_URL is set.
mod accounts;
mod auth;
mod authz;
mod bad_input;
mod bots;
mod channels;
mod cluster;
mod concurrency;
mod files;
mod files_cleanup;
mod files_support;
mod helpers;
mod history;
mod hooks;
mod jobs;
mod messages;
mod ops;
mod pages;
mod presence;
mod raw_socket;
mod realtime;
mod search;
mod search_meili;
mod shutdown;
mod workspaces;
mod ws_client;
