//! Parley's integration suite: one binary, a real server per test.
//! Runs on SQLite by default and on PostgreSQL when PARLEY_TEST_DATABASE_URL is set.
mod authz;
mod concurrency;
mod helpers;
