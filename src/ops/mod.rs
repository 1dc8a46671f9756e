//! Operations: request ids, request metrics and logs, health and readiness, /metrics.
pub mod faults;
pub mod health;
pub mod memory;
pub mod observe;
pub mod prometheus;
pub mod statement_stats;
