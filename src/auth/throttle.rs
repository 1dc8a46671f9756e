//! Login throttling per client IP and per account: a sliding one-minute window of
//! failures. Only failures count, so a busy office behind one NAT address can still
//! sign in at nine o'clock; once a budget is spent, every attempt (even with the right
//! password) waits until the oldest failure leaves the window.
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Hash, PartialEq, Eq, Clone)]
enum Key {
    Ip(IpAddr),
    Account(String),
}

pub struct LoginThrottle {
    per_ip: usize,
    per_account: usize,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

/// The account key is normalised like the account lookup: " Ada@X " is "ada@x".
fn account_key(account: &str) -> String {
    account.trim().to_lowercase()
}

impl LoginThrottle {
    pub fn new(per_ip_per_minute: u32, per_account_per_minute: u32) -> Self {
        Self {
            per_ip: per_ip_per_minute.max(1) as usize,
            per_account: per_account_per_minute.max(1) as usize,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(&self, ip: IpAddr, account: &str) -> [(Key, usize); 2] {
        [(Key::Ip(ip), self.per_ip), (Key::Account(account_key(account)), self.per_account)]
    }

    /// Refuses while this IP or this account has used up its budget.
    pub fn check(&self, ip: IpAddr, account: &str) -> Result<(), AppError> {
        let now = Instant::now();
        let Ok(mut failures) = self.failures.lock() else { return Ok(()) };
        let mut wait = Duration::ZERO;
        for (key, budget) in self.keys(ip, account) {
            if let Some(times) = failures.get_mut(&key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                if times.len() >= budget {
                    if let Some(oldest) = times.front() {
                        wait = wait.max(WINDOW - now.duration_since(*oldest));
                    }
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(AppError::RateLimited { retry_after_s: wait.as_secs().max(1) })
        }
    }

    /// Records one failed (or, for sign-up, any) attempt against both budgets.
    pub fn spend(&self, ip: IpAddr, account: &str) {
        let now = Instant::now();
        let Ok(mut failures) = self.failures.lock() else { return };
        for (key, budget) in self.keys(ip, account) {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            while times.len() > budget {
                times.pop_front();
            }
        }
    }

    /// Forgets keys with no failure inside the window (keeps memory bounded).
    pub fn prune(&self) {
        let now = Instant::now();
        if let Ok(mut failures) = self.failures.lock() {
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_recorded_failures_count_and_each_key_has_its_own_budget() {
        let t = LoginThrottle::new(100, 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..10 {
            t.check(ip, "ok@x.io").unwrap();
        }
        t.spend(ip, "a@x.io");
        t.check(ip, "A@x.io ").unwrap();
        t.spend(ip, " A@X.io");
        assert!(matches!(t.check(ip, "a@x.io"), Err(AppError::RateLimited { retry_after_s }) if retry_after_s <= 60));
        t.check(ip, "b@x.io").unwrap();
    }
}
