//! Many sockets at once (idle, fanout, reconnect storms): open, wait until all are
//! ready, close, reconnect all at once with resume, and check what each received.
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};

use crate::api::Api;
use crate::seed::SimUser;
use crate::socket::{self, Live, Seen, Tally};

/// Sockets opened at a time when not storming (a client that connects gradually).
const OPEN_CONCURRENCY: usize = 256;

pub struct Fleet {
    pub seen: Vec<Arc<Mutex<Seen>>>,
    live: Vec<Option<Live>>,
    pub tally: Arc<Tally>,
    /// Connection attempts that failed.
    pub failed: usize,
}

impl Fleet {
    /// Opens one socket per person; `all_at_once` starts every connection together.
    pub async fn open(users: &[SimUser], apis: &[Api], tally: Arc<Tally>) -> Self {
        let seen: Vec<_> = users
            .iter()
            .map(|u| {
                Arc::new(Mutex::new(Seen { channels: u.channels.iter().cloned().collect(), ..Default::default() }))
            })
            .collect();
        let mut fleet = Self { live: Vec::new(), seen, tally, failed: 0 };
        fleet.connect(users, apis, false, OPEN_CONCURRENCY).await;
        fleet
    }

    async fn connect(&mut self, users: &[SimUser], apis: &[Api], resume: bool, concurrency: usize) {
        let tally = &self.tally;
        let attempts = users.iter().zip(&self.seen).enumerate().map(|(i, (u, seen))| {
            let url = apis[i % apis.len()].ws_url();
            let me: Arc<str> = u.id.as_str().into();
            let from = resume.then(|| seen.lock().map(|s| s.pos).unwrap_or(0));
            async move { socket::open(&url, &u.token, from, seen, tally, &me).await }
        });
        let results: Vec<anyhow::Result<Live>> = stream::iter(attempts).buffered(concurrency).collect().await;
        self.failed = results.iter().filter(|r| r.is_err()).count();
        if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
            eprintln!("{} connections failed, e.g.: {e}", self.failed);
        }
        self.live = results.into_iter().map(Result::ok).collect();
    }

    /// Waits until `n` sockets have said ready since the counter was last reset.
    pub async fn wait_ready(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let ready = self.tally.ready.load(Ordering::Relaxed);
            if ready >= n as u64 {
                return true;
            }
            if Instant::now() >= deadline {
                eprintln!("only {ready} of {n} sockets ready");
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn close_all(&mut self) {
        join_all(self.live.drain(..).flatten().map(Live::close)).await;
    }

    /// Every socket reconnects at the same moment, resuming from its last position.
    /// Returns when the connections are open (their "ready" comes after the replay).
    pub async fn reconnect_all(&mut self, users: &[SimUser], apis: &[Api]) {
        self.tally.ready.store(0, Ordering::Relaxed);
        for s in &self.seen {
            if let Ok(mut s) = s.lock() {
                s.ready_at = None;
            }
        }
        self.connect(users, apis, true, users.len().max(1)).await;
    }

    /// (lost, duplicated) over seqs 1..=last of `channel`, across every socket.
    pub fn check(&self, channel: &str, last: i64) -> (u64, u64) {
        let (mut lost, mut dup) = (0, 0);
        for s in &self.seen {
            let Ok(s) = s.lock() else { continue };
            for seq in 1..=last {
                match s.count(channel, seq) {
                    0 => lost += 1,
                    1 => {}
                    _ => dup += 1,
                }
            }
        }
        (lost, dup)
    }

    /// Waits (up to `timeout`) until every socket has every seq through `last`.
    pub async fn settle(&self, channel: &str, last: i64, timeout: Duration) -> (u64, u64) {
        let deadline = Instant::now() + timeout;
        loop {
            let (lost, dup) = self.check(channel, last);
            if lost == 0 || Instant::now() >= deadline {
                return (lost, dup);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
