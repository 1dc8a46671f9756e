//! AppState: everything a request or worker needs, passed explicitly (no globals).
use std::sync::Arc;

use crate::auth::throttle::LoginThrottle;
use crate::blobs::BlobStore;
use crate::db::Db;
use crate::edge::connections::Connections;
use crate::jobs::JobRegistry;
use crate::realtime::Realtime;
use crate::search::SearchIndex;
use crate::settings::Settings;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub login_throttle: Arc<LoginThrottle>,
    /// Session cookies and API tokens already resolved (auth::credentials).
    pub credentials: Arc<crate::auth::credentials::CredentialCache>,
    pub jobs: Arc<JobRegistry>,
    pub realtime: Arc<Realtime>,
    pub blobs: Arc<dyn BlobStore>,
    pub search: Arc<dyn SearchIndex>,
    /// One-time first-run setup token, present while no user exists.
    pub setup_token: Arc<std::sync::Mutex<Option<String>>>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Open connections and requests in progress (per-address cap, drain on shutdown).
    pub connections: Arc<Connections>,
    /// Seals and opens secrets kept at rest (auth::sealed).
    pub sealer: Arc<crate::auth::sealed::Sealer>,
    /// Request budgets per credential and per client address (edge::request_rate).
    pub request_rate: Arc<crate::edge::request_rate::RequestRate>,
    /// Per-hook rate limits of incoming webhooks.
    pub hook_limiter: Arc<crate::webhooks::incoming::rate::HookLimiter>,
    /// The guarded client every outgoing call goes through.
    pub outbound: crate::outbound::Outbound,
    /// Where mails go: the outbox folder or SMTP.
    pub mailer: Arc<dyn crate::mail::transport::MailTransport>,
    /// The identity providers people may sign in through.
    pub sso: crate::sso::provider::Providers,
    /// When this node started (the admin overview's uptime).
    pub started_at: std::time::Instant,
    /// This node's id among the nodes of a cluster (admin::nodes).
    pub node_id: uuid::Uuid,
    /// The last failure of each dependency, for the system page (ops::faults).
    pub faults: Arc<crate::ops::faults::Faults>,
}
