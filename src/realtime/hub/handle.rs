//! The hub's public side: registering sockets, closing them, counting them.
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::realtime::relay::RelayHandle;

pub type SessionId = u64;

/// Why a socket was closed, read by its session task when its queue ends.
pub type CloseSlot = Arc<Mutex<Option<(u16, &'static str)>>>;

pub mod close {
    pub const UNAUTHENTICATED: u16 = 4001;
    pub const BAD_FRAME: u16 = 4002;
    pub const TOO_SLOW: u16 = 4008;
    /// Why a socket closed with TOO_SLOW: it resumes from its position.
    pub const TOO_SLOW_REASON: &str = "too slow: reconnect and resume";
    pub const DEACTIVATED: u16 = 4010;
    /// The person already holds `realtime.max_sockets_per_person` sockets on this node.
    pub const TOO_MANY_SOCKETS: u16 = 4029;
    pub const HEARTBEAT_TIMEOUT: u16 = 4011;
    pub const SERVICE_RESTART: u16 = 1012;
    /// RFC 6455: a frame or message over the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
}

pub struct Registration {
    pub user_id: Uuid,
    pub channels: HashSet<Uuid>,
    pub workspaces: HashSet<Uuid>,
    /// The log position the channel and workspace sets were read at.
    pub snapshot_pos: i64,
    /// The relay of the worker thread the socket lives on (its queue is there).
    pub relay: RelayHandle,
    pub close: CloseSlot,
}

#[derive(Debug)]
pub struct Stale;

pub(super) type Reply = oneshot::Sender<Result<(), Stale>>;

pub(super) enum Command {
    Register(SessionId, Registration, Reply),
    Unregister(SessionId),
    CloseAll(u16, &'static str, oneshot::Sender<()>),
    Count(oneshot::Sender<usize>),
    Watch(SessionId, HashSet<Uuid>),
}

#[derive(Clone)]
pub struct HubHandle {
    pub(super) cmds: mpsc::UnboundedSender<Command>,
    pub(super) next_id: Arc<AtomicU64>,
}

impl HubHandle {
    /// A new socket's id, unique on this node.
    pub fn new_id(&self) -> SessionId {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
    /// Registers socket `id` (attached to its relay); events after `snapshot_pos` reach
    /// its queue from now on.
    pub async fn register(&self, id: SessionId, reg: Registration) -> Result<(), Stale> {
        let (tx, rx) = oneshot::channel();
        self.cmds.send(Command::Register(id, reg, tx)).map_err(|_| Stale)?;
        rx.await.map_err(|_| Stale)?
    }
    pub fn unregister(&self, id: SessionId) {
        let _ = self.cmds.send(Command::Unregister(id));
    }
    /// Replaces the set of people whose presence this socket follows.
    pub fn watch(&self, id: SessionId, users: HashSet<Uuid>) {
        let _ = self.cmds.send(Command::Watch(id, users));
    }
    /// Closes every socket on this node (shutdown: "service restart", resume elsewhere).
    pub async fn close_all(&self, code: u16, reason: &'static str) {
        let (tx, rx) = oneshot::channel();
        if self.cmds.send(Command::CloseAll(code, reason, tx)).is_ok() {
            let _ = rx.await;
        }
    }
    pub async fn socket_count(&self) -> usize {
        let (tx, rx) = oneshot::channel();
        if self.cmds.send(Command::Count(tx)).is_err() {
            return 0;
        }
        rx.await.unwrap_or(0)
    }
}
