//! The hub: one task per node that delivers events to this node's sockets.
//!
//! Durable events are delivered strictly in position order: out-of-order arrivals wait
//! in a buffer, and a gap that does not close within moments is filled from the log
//! (positions are gapless once committed, so the missing ones are there). Routing uses
//! in-memory indexes by channel, user and workspace that membership events themselves
//! keep current, so the hub never queries the database on the hot path; the reads that
//! fill gaps run on a task of their own (reader.rs), so a stalled database holds up only
//! the events behind a gap, never registrations, typing or presence. Each event goes
//! once to each worker thread's relay with the ids of its sockets there (relay.rs); a
//! socket whose queue is full is dropped there (it resumes), an event never is.
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::bus::SharedBus;
use super::event::{kind, Audience, Outgoing, Shared};
use super::log;
use super::relay::RelayHandle;
use crate::db::Db;

mod handle;
mod index;
mod reader;
mod registry;
mod watchers;

pub use handle::{close, CloseSlot, HubHandle, Registration, SessionId, Stale};
use handle::{Command, Reply};
use index::{index_add, index_remove};

/// How many dispatched events the hub remembers to bring a registering socket level.
const RECENT: usize = 8192;
/// How long an out-of-order event waits for the gap before it to close by itself.
const GAP_WAIT: Duration = Duration::from_millis(30);
/// How often the hub looks at the log for events nobody published (another process).
const POLL: Duration = Duration::from_millis(500);

#[derive(Clone, Copy)]
enum Scope {
    Channel,
    Workspace,
}

struct Socket {
    user_id: Uuid,
    channels: HashSet<Uuid>,
    workspaces: HashSet<Uuid>,
    /// People whose presence this socket subscribed to.
    watching: HashSet<Uuid>,
    /// Index into `Hub::relays`.
    relay: usize,
    close: CloseSlot,
}

struct Hub {
    /// Asks the log reader (reader.rs) for what is missing; one read at a time.
    reader: mpsc::UnboundedSender<reader::ReadRequest>,
    reading: bool,
    sockets: HashMap<SessionId, Socket>,
    by_user: HashMap<Uuid, HashSet<SessionId>>,
    by_channel: HashMap<Uuid, HashSet<SessionId>>,
    by_workspace: HashMap<Uuid, HashSet<SessionId>>,
    by_watched: HashMap<Uuid, HashSet<SessionId>>,
    next_pos: i64,
    waiting: BTreeMap<i64, Shared>,
    gap_since: Option<Instant>,
    recent: VecDeque<Shared>,
    pending: Vec<(SessionId, Registration, Reply)>,
    /// One per worker thread that has held a socket.
    relays: Vec<RelayHandle>,
}

/// Starts the hub. Subscribes before reading the log's end, so nothing committed
/// after start-up can fall between the two.
pub async fn spawn(db: Db, bus: SharedBus) -> anyhow::Result<HubHandle> {
    let rx = bus.subscribe();
    let last = log::counter(&db.conn).await.map_err(|e| anyhow::anyhow!("{e}"))?.last_pos;
    let (cmds, cmd_rx) = mpsc::unbounded_channel();
    let (reader, read_rx) = reader::spawn(db);
    let hub = Hub {
        reader,
        reading: false,
        sockets: HashMap::new(),
        by_user: HashMap::new(),
        by_channel: HashMap::new(),
        by_workspace: HashMap::new(),
        by_watched: HashMap::new(),
        next_pos: last + 1,
        waiting: BTreeMap::new(),
        gap_since: None,
        recent: VecDeque::with_capacity(RECENT),
        pending: Vec::new(),
        relays: Vec::new(),
    };
    tokio::spawn(hub.run(rx, cmd_rx, read_rx));
    Ok(HubHandle { cmds, next_id: Arc::new(AtomicU64::new(1)) })
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until_some(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Hub {
    async fn run(
        mut self,
        mut rx: broadcast::Receiver<Shared>,
        mut cmds: mpsc::UnboundedReceiver<Command>,
        mut reads: mpsc::UnboundedReceiver<Option<reader::ReadResult>>,
    ) {
        // No timer runs while nothing waits: an idle hub wakes only to poll the log.
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let gap_deadline = self.gap_since.map(|t| tokio::time::Instant::from_std(t + GAP_WAIT));
            tokio::select! {
                biased;
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.on_command(c),
                    None => break,
                },
                ev = rx.recv() => match ev {
                    Ok(e) => self.on_event(e),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "hub lagged behind the bus; catching up from the log");
                        self.catch_up();
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                read = reads.recv() => match read {
                    Some(read) => self.on_read(read),
                    None => break,
                },
                () = sleep_until_some(gap_deadline.filter(|_| !self.reading)) => self.catch_up(),
                _ = poll.tick() => self.catch_up(),
            }
        }
    }

    fn on_command(&mut self, cmd: Command) {
        match cmd {
            Command::Register(id, reg, reply) => self.on_register(id, reg, reply),
            Command::Unregister(id) => self.remove(id),
            Command::CloseAll(code, reason, done) => {
                let ids: Vec<SessionId> = self.sockets.keys().copied().collect();
                for id in ids {
                    self.kill(id, code, reason);
                }
                for (_, reg, reply) in self.pending.drain(..) {
                    if let Ok(mut slot) = reg.close.lock() {
                        *slot = Some((code, reason));
                    }
                    let _ = reply.send(Err(Stale));
                }
                let _ = done.send(());
            }
            Command::Count(reply) => {
                let _ = reply.send(self.sockets.len());
            }
            Command::Watch(id, users) => self.watch(id, users),
        }
    }

    fn on_event(&mut self, e: Shared) {
        let Some(pos) = e.event.pos else {
            self.route(&e, None);
            return;
        };
        if pos < self.next_pos {
            return;
        }
        self.waiting.insert(pos, e);
        self.drain();
        if !self.waiting.is_empty() && self.gap_since.is_none() {
            self.gap_since = Some(Instant::now());
        }
    }

    /// Dispatches every waiting event that is next in line.
    fn drain(&mut self) {
        while let Some(e) = self.waiting.remove(&self.next_pos) {
            self.dispatch(e);
        }
        if self.waiting.is_empty() {
            self.gap_since = None;
        }
    }

    /// Asks the reader for whatever is missing: the gap before the first waiting event,
    /// or events nobody published (committed by another process). One read at a time;
    /// the answer comes back through `on_read`.
    fn catch_up(&mut self) {
        if self.reading {
            return;
        }
        let upto = self.waiting.keys().next().map(|first| first - 1);
        if upto.is_some_and(|u| u < self.next_pos) {
            self.drain();
            return;
        }
        if self.reader.send(reader::ReadRequest { from: self.next_pos, upto }).is_ok() {
            self.reading = true;
        }
    }

    fn on_read(&mut self, read: Option<reader::ReadResult>) {
        self.reading = false;
        // A failed read: the next poll asks again.
        let Some(read) = read else { return };
        if read.events.is_empty() {
            // Pruned away (a node that slept past retention): skip ahead, unless live
            // events moved on while the read was out.
            if read.from == self.next_pos && read.upto >= self.next_pos {
                self.next_pos = read.upto + 1;
            }
            self.drain();
            return;
        }
        for ev in read.events {
            if let Some(p) = ev.pos.filter(|p| *p >= self.next_pos) {
                self.next_pos = p;
                self.dispatch(Outgoing::new(ev));
            }
        }
        self.drain();
        if read.more || self.waiting.keys().next().is_some_and(|first| *first > self.next_pos) {
            self.catch_up();
        }
    }

    fn dispatch(&mut self, e: Shared) {
        self.apply_membership(&e, None, true);
        self.route(&e, None);
        self.apply_membership(&e, None, false);
        if let Some(pos) = e.event.pos {
            self.next_pos = pos + 1;
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent.push_back(e);
            self.activate_pending();
        }
    }

    fn user_sockets(&self, user: Uuid, only: Option<SessionId>) -> Vec<SessionId> {
        self.by_user
            .get(&user)
            .map(|s| s.iter().copied().filter(|id| only.is_none_or(|o| o == *id)).collect())
            .unwrap_or_default()
    }

    /// Keeps the routing indexes in step with membership events: joins apply before
    /// the event is routed (the joiner sees it), departures after (the leaver sees it).
    /// A workspace removal's channels were left by member.left events just before it.
    fn apply_membership(&mut self, e: &Shared, only: Option<SessionId>, before: bool) {
        let ev = &e.event;
        let Some(user) = ev.user_id else { return };
        let ids = self.user_sockets(user, only);
        match (ev.kind.as_str(), before) {
            (kind::MEMBER_JOINED, true) => self.set_scope(&ids, Scope::Channel, ev.channel_id, true),
            (kind::MEMBER_LEFT, false) => self.set_scope(&ids, Scope::Channel, ev.channel_id, false),
            (kind::WORKSPACE_MEMBER_ADDED, true) => self.set_scope(&ids, Scope::Workspace, ev.workspace_id, true),
            (kind::WORKSPACE_MEMBER_REMOVED, false) => self.set_scope(&ids, Scope::Workspace, ev.workspace_id, false),
            (kind::SESSIONS_REVOKED, false) => {
                ids.into_iter().for_each(|id| self.kill(id, close::UNAUTHENTICATED, "signed out: authenticate again"));
            }
            (kind::USER_DEACTIVATED, false) => {
                ids.into_iter().for_each(|id| self.kill(id, close::DEACTIVATED, "account deactivated"));
            }
            _ => {}
        }
    }

    /// Adds a channel or workspace to these sockets (and its index), or removes it.
    fn set_scope(&mut self, ids: &[SessionId], scope: Scope, key: Option<Uuid>, add: bool) {
        let Some(key) = key else { return };
        for &id in ids {
            if let Some(s) = self.sockets.get_mut(&id) {
                let set = match scope {
                    Scope::Channel => &mut s.channels,
                    Scope::Workspace => &mut s.workspaces,
                };
                if add {
                    set.insert(key);
                } else {
                    set.remove(&key);
                }
            }
            let index = match scope {
                Scope::Channel => &mut self.by_channel,
                Scope::Workspace => &mut self.by_workspace,
            };
            if add {
                index_add(index, key, id);
            } else {
                index_remove(index, key, id);
            }
        }
    }

    fn targets(&self, e: &Shared) -> Vec<SessionId> {
        let ev = &e.event;
        let set = match ev.audience {
            Audience::Channel => ev.channel_id.and_then(|c| self.by_channel.get(&c)),
            Audience::User => ev.user_id.and_then(|u| self.by_user.get(&u)),
            Audience::Workspace => ev.workspace_id.and_then(|w| self.by_workspace.get(&w)),
            Audience::Watchers => return self.watchers(ev.user_id, ev.workspace_id),
            Audience::Nodes => None,
        };
        set.map(|s| s.iter().copied().collect()).unwrap_or_default()
    }

    fn route(&mut self, e: &Shared, only: Option<SessionId>) {
        // Typing is not echoed to the typist's own sockets.
        let skip_user = if e.event.kind == kind::TYPING { e.event.user_id } else { None };
        let mut per_relay: Vec<Vec<SessionId>> = vec![Vec::new(); self.relays.len()];
        for id in self.targets(e) {
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let Some(s) = self.sockets.get(&id) else { continue };
            if skip_user == Some(s.user_id) {
                continue;
            }
            per_relay[s.relay].push(id);
        }
        for (i, ids) in per_relay.into_iter().enumerate() {
            if ids.is_empty() {
                continue;
            }
            if self.relays[i].overloaded() {
                self.kill_relay_sockets(i);
                continue;
            }
            self.relays[i].deliver(e.clone(), ids);
        }
    }
}
