//! Structured logging with tracing: human-readable or JSON lines.
use tracing_subscriber::EnvFilter;

use crate::settings::LogSettings;

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(directives(&settings.filter)));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = if settings.format == "json" { builder.json().try_init() } else { builder.try_init() };
    // Already initialised (e.g. by a test harness): keep the existing subscriber.
    let _ = result;
}

/// The configured filter, plus quiet for sqlx's pool: it warns whenever a checkout
/// waits over 2 s, which every burst of thousands of connecting sockets causes and
/// which says nothing /metrics (pool size and idle connections) does not. A filter that
/// names sqlx itself is left as it is. Likewise meilisearch-sdk, which warns on every
/// 404 — and "no such index / document" is an answer Parley asks for (it reports real
/// failures as errors of its own).
fn directives(configured: &str) -> String {
    let mut out = configured.to_owned();
    for (target, quiet) in [("sqlx", "sqlx::pool::acquire=error"), ("meilisearch_sdk", "meilisearch_sdk=error")] {
        if !configured.contains(target) {
            out.push(',');
            out.push_str(quiet);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::directives;

    #[test]
    fn the_pool_wait_warning_is_quiet_unless_sqlx_is_named() {
        assert_eq!(directives("info"), "info,sqlx::pool::acquire=error,meilisearch_sdk=error");
        assert_eq!(directives("warn,sqlx=debug"), "warn,sqlx=debug,meilisearch_sdk=error");
    }
}
