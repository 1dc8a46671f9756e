//! How many sockets one person may hold open on this node (`realtime.max_sockets_per_person`):
//! a leaked token or a runaway script cannot pin a node's memory by opening thousands.
//! Counted per node: behind several nodes a person's allowance is that many times larger.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

pub struct SocketQuota {
    max: usize,
    held: Mutex<HashMap<Uuid, usize>>,
}

/// One socket's place in its person's allowance, given back when dropped.
pub struct SocketSlot {
    quota: Arc<SocketQuota>,
    user: Uuid,
}

impl SocketQuota {
    /// `max` 0: no limit.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, held: Mutex::new(HashMap::new()) })
    }

    /// A place for one more socket of `user`, or None when they hold `max` already.
    pub fn take(self: &Arc<Self>, user: Uuid) -> Option<SocketSlot> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(user).or_insert(0);
        if self.max > 0 && *n >= self.max {
            return None;
        }
        *n += 1;
        Some(SocketSlot { quota: self.clone(), user })
    }

    /// People holding at least one socket here (the map never keeps the others).
    pub fn people(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut held = self.quota.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SocketQuota;
    use uuid::Uuid;

    #[test]
    fn a_person_gets_max_sockets_and_a_place_back_when_one_closes() {
        let quota = SocketQuota::new(2);
        let (ann, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let first = quota.take(ann).expect("first");
        let _second = quota.take(ann).expect("second");
        assert!(quota.take(ann).is_none(), "a third is refused");
        assert!(quota.take(bob).is_some(), "others are counted apart");
        drop(first);
        assert!(quota.take(ann).is_some(), "a closed socket gives its place back");
        assert_eq!(quota.people(), 1, "nobody is kept once their sockets are gone");
        assert!(SocketQuota::new(0).take(ann).is_some(), "0: no limit");
    }
}
