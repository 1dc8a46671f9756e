//! Files shared in channels: streamed uploads, sniffed types, permission-checked
//! downloads, thumbnails made by a job, deletion and a per-workspace quota.
pub mod jobs;
pub mod model;
pub mod routes;
pub mod service;
pub mod sniff;
pub mod sweep;
pub mod thumbnail;
pub mod upload;
pub mod view;
