//! Presence subscriptions: which sockets follow whose presence.
use std::collections::HashSet;

use uuid::Uuid;

use super::index::{index_add, index_remove};
use super::{Hub, SessionId};

impl Hub {
    /// The user's own sockets and those watching them, within the event's workspace.
    pub(super) fn watchers(&self, user: Option<Uuid>, workspace: Option<Uuid>) -> Vec<SessionId> {
        let (Some(user), Some(workspace)) = (user, workspace) else { return Vec::new() };
        let own = self.by_user.get(&user).into_iter().flatten();
        let watching = self.by_watched.get(&user).into_iter().flatten();
        own.chain(watching)
            .copied()
            .filter(|id| self.sockets.get(id).is_some_and(|s| s.workspaces.contains(&workspace)))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    }

    pub(super) fn watch(&mut self, id: SessionId, users: HashSet<Uuid>) {
        let Some(s) = self.sockets.get_mut(&id) else { return };
        let old = std::mem::replace(&mut s.watching, users.clone());
        for u in old.difference(&users) {
            index_remove(&mut self.by_watched, *u, id);
        }
        for u in users.difference(&old) {
            index_add(&mut self.by_watched, *u, id);
        }
    }
}
