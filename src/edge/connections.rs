//! Open connections and requests in progress: counted per peer address (a cap, so one
//! address cannot hold every file descriptor) and in total (a stop waits for quiet).
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Connections {
    /// Connections one address may hold open; 0 means no cap.
    per_ip_cap: usize,
    /// Peers never capped (trusted reverse proxies carry many people).
    exempt: Vec<IpAddr>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    open: AtomicUsize,
    in_flight: AtomicUsize,
    draining: AtomicBool,
    started: Instant,
    /// Milliseconds since `started` of the last connection opened or request begun or ended.
    last_activity_ms: AtomicU64,
}

/// Held in a connection's data for as long as it is open.
pub struct ConnectionTicket {
    conns: Arc<Connections>,
    ip: Option<IpAddr>,
    /// This connection took its address past the cap: its requests are refused.
    pub over_cap: bool,
}

/// Held while a request is being handled.
pub struct RequestTicket(Arc<Connections>);

impl Connections {
    pub fn new(per_ip_cap: usize, exempt: Vec<IpAddr>) -> Arc<Self> {
        Arc::new(Self {
            per_ip_cap,
            exempt,
            per_ip: Mutex::new(HashMap::new()),
            open: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            draining: AtomicBool::new(false),
            started: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_activity_ms.store(ms, Ordering::Relaxed);
    }

    pub fn opened(self: &Arc<Self>, peer: Option<IpAddr>) -> ConnectionTicket {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.touch();
        let counted = peer.filter(|ip| self.per_ip_cap > 0 && !self.exempt.contains(ip));
        let mut over_cap = false;
        if let Some(ip) = counted {
            if let Ok(mut map) = self.per_ip.lock() {
                let n = map.entry(ip).or_insert(0);
                *n += 1;
                over_cap = *n > self.per_ip_cap;
            }
        }
        ConnectionTicket { conns: self.clone(), ip: counted, over_cap }
    }

    pub fn request_started(self: &Arc<Self>) -> RequestTicket {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        RequestTicket(self.clone())
    }

    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// From now on every response closes its connection after it is sent.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Waits until no request has been in progress and no connection has opened for
    /// `quiet` (counted from the call at the earliest), or until no connection is open
    /// once `quiet` has passed; at most `limit`. Requests already sent but not yet read —
    /// even on connections still waiting in the kernel's accept queue, which a busy
    /// machine may not have accepted yet — keep arriving at the handlers during this time.
    pub async fn wait_quiet(&self, quiet: Duration, limit: Duration) {
        let start = Instant::now();
        let until = start + limit;
        let step = Duration::from_millis(20);
        let quiet_ms = u64::try_from(quiet.as_millis()).unwrap_or(u64::MAX);
        while Instant::now() < until {
            let waited_enough = start.elapsed() >= quiet;
            if waited_enough && self.open.load(Ordering::Relaxed) == 0 {
                return;
            }
            let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let idle_ms = now_ms.saturating_sub(self.last_activity_ms.load(Ordering::Relaxed));
            if waited_enough && self.in_flight.load(Ordering::Relaxed) == 0 && idle_ms >= quiet_ms {
                return;
            }
            tokio::time::sleep(step).await;
        }
    }
}

impl Drop for ConnectionTicket {
    fn drop(&mut self) {
        self.conns.open.fetch_sub(1, Ordering::Relaxed);
        if let Some(ip) = self.ip {
            if let Ok(mut map) = self.conns.per_ip.lock() {
                if let Some(n) = map.get_mut(&ip) {
                    *n -= 1;
                    if *n == 0 {
                        map.remove(&ip);
                    }
                }
            }
        }
    }
}

impl Drop for RequestTicket {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_open_connections_per_address_and_spares_exempt_peers() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let proxy: IpAddr = "10.0.0.9".parse().unwrap();
        let conns = Connections::new(2, vec![proxy]);
        let first = conns.opened(Some(a));
        let second = conns.opened(Some(a));
        assert!(!first.over_cap && !second.over_cap);
        assert!(conns.opened(Some(a)).over_cap);
        drop(first);
        assert!(!conns.opened(Some(a)).over_cap, "a closed connection frees its slot");
        let through_proxy: Vec<_> = (0..5).map(|_| conns.opened(Some(proxy))).collect();
        assert!(through_proxy.iter().all(|t| !t.over_cap));
        assert_eq!(conns.open_connections(), 6);
    }
}
