//! The Prometheus recorder (process-wide, as the `metrics` facade is) and /metrics.
use std::sync::OnceLock;

use actix_web::{get, web, HttpResponse};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DbBackend;

use crate::error::AppResult;
use crate::jobs::queue;
use crate::state::AppState;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// Installs the recorder once per process and returns a handle to render it.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = match builder.set_buckets(LATENCY_BUCKETS) {
                Ok(b) => b,
                Err(_) => PrometheusBuilder::new(),
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder already installed (e.g. by an embedding program) wins.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Prometheus text format: request counts and latencies, DB pool, job queue.
#[get("/metrics")]
pub async fn metrics_endpoint(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let conn = &state.db.conn;
    let (size, idle) = match state.db.backend() {
        DbBackend::Postgres => {
            let p = conn.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => {
            let p = conn.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
    };
    metrics::gauge!("parley_db_pool_connections").set(f64::from(size));
    metrics::gauge!("parley_db_pool_idle_connections").set(idle as f64);
    for (st, n) in queue::counts(conn).await? {
        metrics::gauge!("parley_jobs", "state" => st).set(n as f64);
    }
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render()))
}
