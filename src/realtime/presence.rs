//! Presence: the "is this person here?" service. A user is online while at least one
//! of their sockets is open and active, away once all have been idle for
//! `away_after_s`, offline when the last socket has been closed for `offline_grace_s`
//! (so a page reload does not flicker), and do-not-disturb or away when they say so.
//!
//! Each node knows its own sockets exactly and learns the others' from
//! `presence.changed` events on the bus; every node re-announces its users
//! periodically and forgets a node that has gone quiet, so a crashed node's users
//! drift to offline instead of staying online forever.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::bus::SharedBus;
use super::event::{kind, Audience, Event, Shared};
use crate::clock::now_ms;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Online,
    Away,
    Dnd,
    Offline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum NodeStatus {
    Online,
    Away,
    Offline,
}

struct LocalUser {
    sockets: usize,
    last_active: Instant,
    closed_at: Option<Instant>,
    workspaces: Vec<Uuid>,
    announced: NodeStatus,
}

/// What the person chose (stored on their user row): do-not-disturb, or away even
/// while their sockets are active.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chosen {
    pub dnd: bool,
    pub away: bool,
}

struct Remote {
    status: NodeStatus,
    seen: Instant,
}

pub struct Presence {
    node: Uuid,
    bus: SharedBus,
    away_after: Duration,
    grace: Duration,
    local: Mutex<HashMap<Uuid, LocalUser>>,
    remote: Mutex<HashMap<Uuid, HashMap<Uuid, Remote>>>,
    chosen: Mutex<HashMap<Uuid, Chosen>>,
}

const REANNOUNCE: Duration = Duration::from_secs(30);
const FORGET_NODE_AFTER: Duration = Duration::from_secs(95);

impl Presence {
    pub fn start(bus: SharedBus, away_after: Duration, grace: Duration) -> Arc<Self> {
        let p = Arc::new(Self {
            node: Uuid::now_v7(),
            bus: bus.clone(),
            away_after,
            grace,
            local: Mutex::new(HashMap::new()),
            remote: Mutex::new(HashMap::new()),
            chosen: Mutex::new(HashMap::new()),
        });
        tokio::spawn(listen(Arc::downgrade(&p), bus.subscribe()));
        tokio::spawn(tick(Arc::downgrade(&p)));
        p
    }

    /// The user's status across every node.
    pub fn status(&self, user: Uuid) -> Status {
        let best = self.sockets_status(user);
        let chosen = self.chosen.lock().ok().and_then(|d| d.get(&user).copied()).unwrap_or_default();
        match best {
            NodeStatus::Offline => Status::Offline,
            _ if chosen.dnd => Status::Dnd,
            _ if chosen.away => Status::Away,
            NodeStatus::Online => Status::Online,
            NodeStatus::Away => Status::Away,
        }
    }

    /// Whether some socket of the user is open and active, whatever they chose to show
    /// (a chosen away or do-not-disturb does not make someone absent).
    pub fn is_active(&self, user: Uuid) -> bool {
        self.sockets_status(user) == NodeStatus::Online
    }

    /// What the user's sockets say across every node.
    fn sockets_status(&self, user: Uuid) -> NodeStatus {
        let mut best = NodeStatus::Offline;
        if let Ok(local) = self.local.lock() {
            if let Some(l) = local.get(&user) {
                best = l.announced;
            }
        }
        if let Ok(remote) = self.remote.lock() {
            for r in remote.get(&user).into_iter().flat_map(|m| m.values()) {
                if r.seen.elapsed() < FORGET_NODE_AFTER {
                    best = stronger(best, r.status);
                }
            }
        }
        best
    }

    pub fn connected(&self, user: Uuid, workspaces: Vec<Uuid>, chosen: Chosen) {
        if let Ok(mut d) = self.chosen.lock() {
            d.insert(user, chosen);
        }
        let changed = {
            let Ok(mut local) = self.local.lock() else { return };
            let l = local.entry(user).or_insert(LocalUser {
                sockets: 0,
                last_active: Instant::now(),
                closed_at: None,
                workspaces: workspaces.clone(),
                announced: NodeStatus::Offline,
            });
            l.sockets += 1;
            l.closed_at = None;
            l.last_active = Instant::now();
            l.workspaces = workspaces;
            set(l, NodeStatus::Online)
        };
        if changed {
            self.announce(user, Audience::Watchers);
        }
    }

    /// Anything the user does on a socket.
    pub fn active(&self, user: Uuid) {
        let changed = {
            let Ok(mut local) = self.local.lock() else { return };
            let Some(l) = local.get_mut(&user) else { return };
            l.last_active = Instant::now();
            set(l, NodeStatus::Online)
        };
        if changed {
            self.announce(user, Audience::Watchers);
        }
    }

    pub fn disconnected(&self, user: Uuid) {
        if let Ok(mut local) = self.local.lock() {
            if let Some(l) = local.get_mut(&user) {
                l.sockets = l.sockets.saturating_sub(1);
                if l.sockets == 0 {
                    l.closed_at = Some(Instant::now());
                }
            }
        }
    }

    pub fn set_chosen(&self, user: Uuid, workspaces: Vec<Uuid>, chosen: Chosen) {
        if let Ok(mut d) = self.chosen.lock() {
            d.insert(user, chosen);
        }
        self.publish(user, &workspaces, None, Audience::Watchers);
    }

    /// Tells watchers (a change) or only the other nodes (a periodic re-announcement).
    fn announce(&self, user: Uuid, audience: Audience) {
        let (workspaces, status) = match self.local.lock() {
            Ok(local) => match local.get(&user) {
                Some(l) => (l.workspaces.clone(), l.announced),
                None => return,
            },
            Err(_) => return,
        };
        self.publish(user, &workspaces, Some(status), audience);
    }

    fn publish(&self, user: Uuid, workspaces: &[Uuid], node_status: Option<NodeStatus>, audience: Audience) {
        let status = self.status(user);
        let events = workspaces
            .iter()
            .map(|ws| Event {
                kind: kind::PRESENCE_CHANGED.into(),
                pos: None,
                at: now_ms(),
                audience,
                workspace_id: Some(*ws),
                channel_id: None,
                user_id: Some(user),
                data: json!({"user_id": user, "status": status, "node": self.node, "node_status": node_status,
                              "dnd": status == Status::Dnd, "chosen": self.chosen_of(user)}),
            })
            .collect::<Vec<_>>();
        if !events.is_empty() {
            self.bus.publish(events);
        }
    }

    fn chosen_of(&self, user: Uuid) -> serde_json::Value {
        let c = self.chosen.lock().ok().and_then(|d| d.get(&user).copied()).unwrap_or_default();
        json!({"dnd": c.dnd, "away": c.away})
    }

    /// Idle sockets turn away; closed ones turn offline after the grace period; every
    /// so often the node re-announces its users so other nodes keep them.
    fn sweep(&self, reannounce: bool) {
        let mut changed = Vec::new();
        let mut unchanged = Vec::new();
        let mut gone = Vec::new();
        if let Ok(mut local) = self.local.lock() {
            for (user, l) in local.iter_mut() {
                if l.sockets == 0 && l.closed_at.is_some_and(|t| t.elapsed() >= self.grace) {
                    l.announced = NodeStatus::Offline;
                    gone.push(*user);
                } else if l.sockets > 0 {
                    if l.last_active.elapsed() >= self.away_after && set(l, NodeStatus::Away) {
                        changed.push(*user);
                    } else if reannounce {
                        unchanged.push(*user);
                    }
                }
            }
        }
        for user in changed {
            self.announce(user, Audience::Watchers);
        }
        for user in unchanged {
            self.announce(user, Audience::Nodes);
        }
        for user in gone {
            self.announce(user, Audience::Watchers);
            if let Ok(mut local) = self.local.lock() {
                if local.get(&user).is_some_and(|l| l.sockets == 0) {
                    local.remove(&user);
                }
            }
        }
        self.forget_absent();
    }

    /// Keeps the maps to the people some socket backs: other nodes' entries go when those
    /// nodes have gone quiet, and a person's choices when they are absent everywhere (the
    /// next connection, here or on another node, brings them back).
    fn forget_absent(&self) {
        let (Ok(local), Ok(mut remote), Ok(mut chosen)) = (self.local.lock(), self.remote.lock(), self.chosen.lock())
        else {
            return;
        };
        remote.retain(|_, nodes| {
            nodes.retain(|_, r| r.seen.elapsed() < FORGET_NODE_AFTER);
            !nodes.is_empty()
        });
        chosen.retain(|user, _| local.contains_key(user) || remote.contains_key(user));
    }

    /// People this node keeps anything for: (its own, other nodes', choices).
    pub fn tracked(&self) -> (usize, usize, usize) {
        let count = |n: Option<usize>| n.unwrap_or(0);
        (
            count(self.local.lock().ok().map(|m| m.len())),
            count(self.remote.lock().ok().map(|m| m.len())),
            count(self.chosen.lock().ok().map(|m| m.len())),
        )
    }

    fn apply_remote(&self, e: &Event) {
        let Some(user) = e.user_id else { return };
        let node = e.data.get("node").and_then(|n| n.as_str()).and_then(|s| s.parse::<Uuid>().ok());
        if let Some(chosen) = e.data.get("chosen") {
            let flag = |name: &str| chosen.get(name).and_then(serde_json::Value::as_bool).unwrap_or(false);
            if let Ok(mut d) = self.chosen.lock() {
                d.insert(user, Chosen { dnd: flag("dnd"), away: flag("away") });
            }
        }
        let status = e.data.get("node_status").cloned().and_then(|s| serde_json::from_value::<NodeStatus>(s).ok());
        let (Some(node), Some(status)) = (node, status) else { return };
        if node == self.node {
            return;
        }
        if let Ok(mut remote) = self.remote.lock() {
            if status == NodeStatus::Offline {
                if let Some(nodes) = remote.get_mut(&user) {
                    nodes.remove(&node);
                    if nodes.is_empty() {
                        remote.remove(&user);
                    }
                }
            } else {
                remote.entry(user).or_default().insert(node, Remote { status, seen: Instant::now() });
            }
        }
    }
}

fn set(l: &mut LocalUser, to: NodeStatus) -> bool {
    let changed = l.announced != to;
    l.announced = to;
    changed
}

fn stronger(a: NodeStatus, b: NodeStatus) -> NodeStatus {
    match (a, b) {
        (NodeStatus::Online, _) | (_, NodeStatus::Online) => NodeStatus::Online,
        (NodeStatus::Away, _) | (_, NodeStatus::Away) => NodeStatus::Away,
        _ => NodeStatus::Offline,
    }
}

async fn listen(p: std::sync::Weak<Presence>, mut rx: broadcast::Receiver<Shared>) {
    loop {
        match rx.recv().await {
            Ok(e) if e.event.kind == kind::PRESENCE_CHANGED => match p.upgrade() {
                Some(p) => p.apply_remote(&e.event),
                None => return,
            },
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn tick(p: std::sync::Weak<Presence>) {
    let period = match p.upgrade() {
        Some(p) => (p.away_after.min(p.grace.max(Duration::from_millis(200))) / 2)
            .clamp(Duration::from_millis(100), Duration::from_secs(5)),
        None => return,
    };
    let mut interval = tokio::time::interval(period);
    let mut last_announce = Instant::now();
    loop {
        interval.tick().await;
        let Some(p) = p.upgrade() else { return };
        let reannounce = last_announce.elapsed() >= REANNOUNCE;
        if reannounce {
            last_announce = Instant::now();
        }
        p.sweep(reannounce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote_event(user: Uuid, node: Uuid, status: &str) -> Event {
        Event {
            kind: kind::PRESENCE_CHANGED.into(),
            pos: None,
            at: 0,
            audience: Audience::Nodes,
            workspace_id: None,
            channel_id: None,
            user_id: Some(user),
            data: json!({"user_id": user, "node": node, "node_status": status, "chosen": {"dnd": true, "away": false}}),
        }
    }

    #[tokio::test]
    async fn nothing_is_kept_for_people_who_are_gone_here_and_everywhere_else() {
        let p = Presence::start(super::super::bus::LocalBus::new(), Duration::from_secs(60), Duration::ZERO);
        let (ann, bob, other_node) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        p.connected(ann, vec![], Chosen { dnd: true, away: false });
        p.apply_remote(&remote_event(bob, other_node, "online"));
        assert_eq!(p.tracked(), (1, 1, 2));
        assert_eq!(p.status(bob), Status::Dnd, "bob's choice came with his presence");

        p.disconnected(ann);
        p.apply_remote(&remote_event(bob, other_node, "offline"));
        for _ in 0..50 {
            if p.tracked() == (0, 0, 0) {
                assert_eq!((p.status(ann), p.status(bob)), (Status::Offline, Status::Offline));
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("still kept: {:?}", p.tracked());
    }
}
