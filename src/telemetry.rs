//! Structured logging with tracing: human-readable or JSON lines.
use tracing_subscriber::EnvFilter;

use crate::settings::LogSettings;

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = if settings.format == "json" { builder.json().try_init() } else { builder.try_init() };
    // Already initialised (e.g. by a test harness): keep the existing subscriber.
    let _ = result;
}
