//! Realtime: the durable event log, fan-out over the bus to each node's hub, and
//! WebSocket sessions with lossless resume. docs/realtime.md is the protocol.
pub mod bus;
pub mod ephemeral;
pub mod event;
pub mod frame_guard;
pub mod hub;
pub mod log;
pub mod model;
pub mod outbound;
pub mod presence;
pub mod presence_routes;
pub mod quota;
pub mod relay;
pub mod routes;
pub mod session;
mod snapshot;

use std::time::Duration;

use bus::SharedBus;
use hub::HubHandle;

use crate::db::Db;
use crate::settings::RealtimeSettings;

pub struct Realtime {
    pub bus: SharedBus,
    pub hub: HubHandle,
    pub presence: std::sync::Arc<presence::Presence>,
    pub sockets_per_person: std::sync::Arc<quota::SocketQuota>,
    pub queue_len: usize,
    pub heartbeat: Duration,
    pub dead_after: Duration,
}

impl Realtime {
    pub async fn start(db: Db, bus: SharedBus, settings: &RealtimeSettings) -> anyhow::Result<Self> {
        let hub = hub::spawn(db, bus.clone()).await?;
        let presence = presence::Presence::start(
            bus.clone(),
            Duration::from_secs(settings.away_after_s.max(1)),
            Duration::from_millis(settings.offline_grace_s.saturating_mul(1000)),
        );
        Ok(Self {
            bus,
            hub,
            presence,
            sockets_per_person: quota::SocketQuota::new(settings.max_sockets_per_person),
            queue_len: settings.queue_len.max(8),
            heartbeat: Duration::from_secs(settings.heartbeat_s.max(1)),
            dead_after: Duration::from_secs(settings.dead_after_s.max(2)),
        })
    }
}

/// The bus the settings ask for: NATS when a URL is given, else in-process.
pub async fn bus_from(settings: &RealtimeSettings) -> anyhow::Result<SharedBus> {
    if settings.nats_url.is_empty() {
        Ok(bus::LocalBus::new())
    } else {
        Ok(bus::NatsBus::connect(&settings.nats_url).await?)
    }
}
