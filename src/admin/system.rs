//! The system page: this node, whether each service Parley depends on answers now, and
//! the configuration in effect — secrets shown only as set or not set.
use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::AppResult;
use crate::ops::faults::Faults;
use crate::state::AppState;

/// How long one dependency may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Serialize, utoipa::ToSchema)]
pub struct NodeView {
    pub hostname: String,
    pub pid: u32,
    pub version: String,
    pub uptime_s: u64,
    /// WebSockets open on this node.
    pub sockets: usize,
    /// HTTP connections open on this node (sockets included).
    pub connections: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DependencyView {
    /// `database`, `bus`, `file storage`, `search` or `mail`.
    pub role: &'static str,
    /// What serves it here (sqlite, postgresql, nats, local, s3, database, meilisearch, file, smtp).
    pub backend: String,
    pub ok: bool,
    /// The error, when it did not answer.
    pub error: Option<String>,
    pub latency_ms: u64,
    /// Its last failure seen by this node (by a check, or by the work that uses it),
    /// kept after it recovers; absent when none since the node started.
    pub last_failure: Option<crate::ops::faults::Fault>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SettingView {
    /// Dotted, as in the configuration file (`server.site_url`) or PARLEY_SERVER__SITE_URL.
    pub key: String,
    pub value: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SystemView {
    pub node: NodeView,
    /// Every node seen in the last three minutes (each reports once a minute).
    pub cluster: Vec<super::nodes::NodeRow>,
    pub dependencies: Vec<DependencyView>,
    pub settings: Vec<SettingView>,
}

async fn probe<F>(faults: &Faults, role: &'static str, backend: String, check: F) -> DependencyView
where
    F: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let result = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    };
    if let Err(e) = &result {
        faults.note(role, e);
    }
    DependencyView {
        role,
        backend,
        ok: result.is_ok(),
        error: result.err(),
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        last_failure: faults.last(role),
    }
}

pub async fn dependencies(state: &AppState) -> Vec<DependencyView> {
    let db_kind = if state.db.is_postgres() { "postgresql" } else { "sqlite" };
    let faults = &state.faults;
    let database =
        probe(faults, "database", db_kind.into(), async { state.db.ping().await.map_err(|e| e.to_string()) });
    let bus_health = state.realtime.bus.health();
    let bus_kind = if bus_health.is_some() { "nats" } else { "in-process (one node)" };
    let bus = probe(faults, "bus", bus_kind.into(), async { bus_health.unwrap_or(Ok(())) });
    let files = probe(faults, "file storage", state.blobs.name().into(), async {
        state.blobs.check().await.map_err(|e| e.to_string())
    });
    let search = probe(faults, "search", state.search.name().into(), async {
        state.search.check().await.map_err(|e| e.to_string())
    });
    let mail = probe(faults, "mail", state.mailer.kind().into(), state.mailer.check());
    let (a, b, c, d, e) = futures_util::join!(database, bus, files, search, mail);
    vec![a, b, c, d, e]
}

/// The settings in effect as dotted keys and display values, in file order.
pub fn settings(state: &AppState) -> AppResult<Vec<SettingView>> {
    let tree = serde_json::to_value(&*state.settings).map_err(anyhow::Error::from)?;
    let mut out = Vec::new();
    flatten("", &tree, &mut out);
    Ok(out)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<SettingView>) {
    use serde_json::Value;
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) if items.iter().any(|v| v.is_object()) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::String(s) => out.push(SettingView { key: prefix.to_owned(), value: s.clone() }),
        other => out.push(SettingView { key: prefix.to_owned(), value: other.to_string() }),
    }
}

pub async fn system(state: &AppState) -> AppResult<SystemView> {
    let node = NodeView {
        hostname: super::nodes::hostname(),
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_s: state.started_at.elapsed().as_secs(),
        sockets: state.realtime.hub.socket_count().await,
        connections: state.connections.open_connections(),
    };
    let cluster = super::nodes::alive(&state.db.conn, state.node_id).await?;
    Ok(SystemView { node, cluster, dependencies: dependencies(state).await, settings: settings(state)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn secrets_show_as_set_or_not_and_urls_lose_their_credentials() {
        let mut s = crate::settings::Settings::defaults().unwrap();
        s.database.url = SecretString::from("postgres://u:hunter2@db/x");
        s.realtime.nats_url = "nats://user:pw@nats.internal:4222".into();
        let tree = serde_json::to_value(&s).unwrap();
        let mut rows = Vec::new();
        flatten("", &tree, &mut rows);
        let text = serde_json::to_string(&rows.iter().map(|r| (&r.key, &r.value)).collect::<Vec<_>>()).unwrap();
        assert!(!text.contains("hunter2") && !text.contains("pw@"), "{text}");
        let value = |k: &str| rows.iter().find(|r| r.key == k).map(|r| r.value.clone());
        assert_eq!(value("database.url").as_deref(), Some("(set)"));
        assert_eq!(value("server.secret_key").as_deref(), Some("(not set)"));
        assert_eq!(value("realtime.nats_url").as_deref(), Some("nats://nats.internal:4222 (credentials set)"));
        assert!(value("server.site_url").is_some());
    }
}
