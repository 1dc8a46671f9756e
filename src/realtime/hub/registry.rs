//! Sockets joining and leaving the hub: registration (brought level from the recent
//! events), removal, and closing them.
use std::collections::HashSet;

use super::handle::{close, Registration, Reply, SessionId, Stale};
use super::index::{index_add, index_remove};
use super::{Hub, Shared, Socket};

impl Hub {
    pub(super) fn on_register(&mut self, id: SessionId, reg: Registration, reply: Reply) {
        let dispatched = self.next_pos - 1;
        if reg.snapshot_pos > dispatched {
            self.pending.push((id, reg, reply));
            return;
        }
        let snapshot = reg.snapshot_pos;
        if snapshot < dispatched
            && self.recent.front().and_then(|f| f.event.pos).is_none_or(|first| first > snapshot + 1)
        {
            let _ = reply.send(Err(Stale));
            return;
        }
        self.activate(id, reg);
        // Bring the socket level: what was dispatched after its snapshot, for it alone.
        let catch_up: Vec<Shared> =
            self.recent.iter().filter(|e| e.event.pos.is_some_and(|p| p > snapshot)).cloned().collect();
        for e in catch_up {
            self.apply_membership(&e, Some(id), true);
            self.route(&e, Some(id));
            self.apply_membership(&e, Some(id), false);
        }
        let _ = reply.send(Ok(()));
    }

    pub(super) fn activate_pending(&mut self) {
        let dispatched = self.next_pos - 1;
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].1.snapshot_pos <= dispatched {
                let (id, reg, reply) = self.pending.swap_remove(i);
                self.on_register(id, reg, reply);
            } else {
                i += 1;
            }
        }
    }

    fn activate(&mut self, id: SessionId, reg: Registration) {
        index_add(&mut self.by_user, reg.user_id, id);
        for ch in &reg.channels {
            index_add(&mut self.by_channel, *ch, id);
        }
        for ws in &reg.workspaces {
            index_add(&mut self.by_workspace, *ws, id);
        }
        let relay = match self.relays.iter().position(|r| r.id == reg.relay.id) {
            Some(i) => i,
            None => {
                self.relays.push(reg.relay.clone());
                self.relays.len() - 1
            }
        };
        self.sockets.insert(
            id,
            Socket {
                user_id: reg.user_id,
                channels: reg.channels,
                workspaces: reg.workspaces,
                watching: HashSet::new(),
                relay,
                close: reg.close,
            },
        );
    }

    pub(super) fn remove(&mut self, id: SessionId) {
        self.pending.retain(|(pid, _, _)| *pid != id);
        let Some(s) = self.sockets.remove(&id) else { return };
        index_remove(&mut self.by_user, s.user_id, id);
        for ch in s.channels {
            index_remove(&mut self.by_channel, ch, id);
        }
        for ws in s.workspaces {
            index_remove(&mut self.by_workspace, ws, id);
        }
        for u in s.watching {
            index_remove(&mut self.by_watched, u, id);
        }
    }

    /// A worker thread too far behind: every socket on it is closed as too slow (they
    /// resume) instead of events piling up for it without bound.
    pub(super) fn kill_relay_sockets(&mut self, relay: usize) {
        let ids: Vec<SessionId> = self.sockets.iter().filter(|(_, s)| s.relay == relay).map(|(id, _)| *id).collect();
        tracing::warn!(sockets = ids.len(), "a worker thread fell too far behind; closing its sockets");
        for id in ids {
            self.kill(id, close::TOO_SLOW, close::TOO_SLOW_REASON);
        }
    }

    /// Closes a socket's queue; its session task then closes it with this code.
    pub(super) fn kill(&mut self, id: SessionId, code: u16, reason: &'static str) {
        if let Some(s) = self.sockets.get(&id) {
            if let Ok(mut slot) = s.close.lock() {
                slot.get_or_insert((code, reason));
            }
            self.relays[s.relay].close(id);
        }
        self.remove(id);
    }
}
