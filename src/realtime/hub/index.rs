//! The hub's routing indexes: key (channel, workspace, user) → sockets.
use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::SessionId;

pub(super) fn index_add(index: &mut HashMap<Uuid, HashSet<SessionId>>, key: Uuid, id: SessionId) {
    index.entry(key).or_default().insert(id);
}

pub(super) fn index_remove(index: &mut HashMap<Uuid, HashSet<SessionId>>, key: Uuid, id: SessionId) {
    if let Some(set) = index.get_mut(&key) {
        set.remove(&id);
        if set.is_empty() {
            index.remove(&key);
        }
    }
}
