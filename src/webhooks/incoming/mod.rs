//! Incoming webhooks: a secret URL bound to a channel. Tools post Slack's payloads or
//! their own (GitHub, GitLab, Alertmanager, Grafana, Sentry) to it; each hook posts as
//! a bot user of its own, through the same message path as everyone.
pub mod model;
pub mod rate;
pub mod receive;
pub mod routes;
pub mod service;
