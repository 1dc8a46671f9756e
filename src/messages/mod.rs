//! Messages: posting with gapless per-channel seqs, history, threads, edits,
//! deletes, reactions, pins, mentions and Markdown.
pub mod cards;
pub mod history;
pub mod markdown;
pub mod model;
pub mod pins;
pub mod reactions;
pub mod revisions;
pub mod routes;
pub mod service;
pub mod view;
