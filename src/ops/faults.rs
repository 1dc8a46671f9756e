//! The last failure of each service Parley depends on, kept after it recovers: the system
//! page shows that the mail server refused mail at 03:12 even when it answers again now.
//! Per node, in memory (a restart forgets; the log keeps every one).
use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::clock::{now_ms, rfc3339};

/// Longest error text kept.
const ERROR_CHARS: usize = 500;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Fault {
    /// When it last failed (RFC 3339).
    pub at: String,
    pub error: String,
}

#[derive(Default)]
pub struct Faults {
    last: Mutex<HashMap<&'static str, Fault>>,
}

impl Faults {
    /// Remembers that `role` (`database`, `bus`, `file storage`, `search`, `mail`) failed.
    pub fn note(&self, role: &'static str, error: &str) {
        let fault = Fault { at: rfc3339(now_ms()), error: error.chars().take(ERROR_CHARS).collect() };
        if let Ok(mut last) = self.last.lock() {
            last.insert(role, fault);
        }
    }

    pub fn last(&self, role: &str) -> Option<Fault> {
        self.last.lock().ok().and_then(|last| last.get(role).cloned())
    }
}
