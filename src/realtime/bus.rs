//! Fan-out between nodes: in-process by default, NATS when several Parley nodes share
//! one database. A publish is fire-and-forget: durable events are in the log already,
//! and each hub fills any gap from there, so a lost publish delays but never loses.
//! That is also the outbox's policy while NATS is unreachable: at most
//! `OUTBOX_EVENTS` events wait to be published (beside the NATS client's own buffer of
//! 2,048 publishes); past that a batch is dropped (counted and logged) instead of growing
//! memory, and the other nodes read it from the log.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::event::{Event, Outgoing, Shared};

const LOCAL_CAPACITY: usize = 65_536;
const SUBJECT: &str = "parley.events";
/// Events waiting for NATS, at most (a few seconds of a busy node's output).
pub const OUTBOX_EVENTS: usize = 65_536;

pub trait Bus: Send + Sync {
    /// Sends events to every node's hub, this one included.
    fn publish(&self, events: Vec<Event>);
    /// The events arriving at this node, in the order this node received them.
    fn subscribe(&self) -> broadcast::Receiver<Shared>;
    /// Whether the connection to the other nodes is up; None when there is none to have.
    fn health(&self) -> Option<Result<(), String>> {
        None
    }
}

pub type SharedBus = Arc<dyn Bus>;

/// One process: a broadcast channel.
pub struct LocalBus {
    tx: broadcast::Sender<Shared>,
}

impl LocalBus {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { tx: broadcast::channel(LOCAL_CAPACITY).0 })
    }
}

impl Bus for LocalBus {
    fn publish(&self, events: Vec<Event>) {
        for e in events {
            let _ = self.tx.send(Outgoing::new(e));
        }
    }
    fn subscribe(&self) -> broadcast::Receiver<Shared> {
        self.tx.subscribe()
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    node: Uuid,
    events: Vec<Event>,
}

/// Several nodes: each publishes to one NATS subject and delivers what it publishes
/// to itself directly; what arrives from NATS with its own node id is skipped.
pub struct NatsBus {
    local: broadcast::Sender<Shared>,
    outbox: mpsc::UnboundedSender<Vec<Event>>,
    counts: Arc<OutboxCounts>,
    capacity: usize,
    client: async_nats::Client,
}

/// What waits in the outbox, and what it has dropped since start.
#[derive(Default)]
struct OutboxCounts {
    waiting: AtomicUsize,
    dropped: AtomicU64,
}

impl NatsBus {
    pub async fn connect(url: &str) -> anyhow::Result<Arc<Self>> {
        Self::connect_bounded(url, OUTBOX_EVENTS).await
    }

    /// With an outbox of `capacity` events (tests use a small one).
    pub async fn connect_bounded(url: &str, capacity: usize) -> anyhow::Result<Arc<Self>> {
        let client = async_nats::connect(url).await?;
        let node = Uuid::now_v7();
        let local = broadcast::channel(LOCAL_CAPACITY).0;
        let mut sub = client.subscribe(SUBJECT).await?;
        let inbound = local.clone();
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                match serde_json::from_slice::<Envelope>(&msg.payload) {
                    Ok(env) if env.node != node => {
                        for e in env.events {
                            let _ = inbound.send(Outgoing::new(e));
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "undecodable event on the bus"),
                }
            }
        });
        // One publisher task keeps this node's events in order on the wire.
        let (outbox, mut rx) = mpsc::unbounded_channel::<Vec<Event>>();
        let counts = Arc::new(OutboxCounts::default());
        let (publisher, published) = (client.clone(), counts.clone());
        tokio::spawn(async move {
            while let Some(events) = rx.recv().await {
                let n = events.len();
                if let Ok(body) = serde_json::to_vec(&Envelope { node, events }) {
                    if let Err(e) = publisher.publish(SUBJECT, body.into()).await {
                        tracing::warn!(error = %e, "NATS publish failed; other nodes catch up from the log");
                    }
                }
                published.waiting.fetch_sub(n, Ordering::Relaxed);
            }
        });
        Ok(Arc::new(Self { local, outbox, counts, capacity: capacity.max(1), client }))
    }

    /// Events waiting to be published now.
    pub fn waiting(&self) -> usize {
        self.counts.waiting.load(Ordering::Relaxed)
    }

    /// Events dropped because the outbox was full (the other nodes read them from the log).
    pub fn dropped(&self) -> u64 {
        self.counts.dropped.load(Ordering::Relaxed)
    }
}

impl Bus for NatsBus {
    fn publish(&self, events: Vec<Event>) {
        for e in &events {
            let _ = self.local.send(Outgoing::new(e.clone()));
        }
        let n = events.len();
        let waiting = self.counts.waiting.fetch_add(n, Ordering::Relaxed);
        if waiting + n > self.capacity {
            self.counts.waiting.fetch_sub(n, Ordering::Relaxed);
            let before = self.counts.dropped.fetch_add(n as u64, Ordering::Relaxed);
            // The first drop, then one line per 10,000 events, not one per batch.
            if before == 0 || before / 10_000 != (before + n as u64) / 10_000 {
                tracing::warn!(
                    dropped = before + n as u64,
                    waiting,
                    "NATS outbox full (NATS unreachable?): events dropped; other nodes read them from the log"
                );
            }
            return;
        }
        if self.outbox.send(events).is_err() {
            self.counts.waiting.fetch_sub(n, Ordering::Relaxed);
        }
    }
    fn subscribe(&self) -> broadcast::Receiver<Shared> {
        self.local.subscribe()
    }
    fn health(&self) -> Option<Result<(), String>> {
        Some(match self.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            other => Err(format!("NATS connection {other}")),
        })
    }
}
