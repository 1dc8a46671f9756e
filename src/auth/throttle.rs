//! Login throttling per client IP and per account (governor's keyed GCRA limiters).
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

pub struct LoginThrottle {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
}

impl LoginThrottle {
    pub fn new(per_ip_per_minute: u32, per_account_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            by_ip: RateLimiter::keyed(quota(per_ip_per_minute)),
            by_account: RateLimiter::keyed(quota(per_account_per_minute)),
        }
    }

    /// Spends one attempt for this IP and account; refuses with Retry-After when out.
    pub fn attempt(&self, ip: IpAddr, account: &str) -> Result<(), AppError> {
        let clock = DefaultClock::default();
        let ip_check = self.by_ip.check_key(&ip);
        let account_check = self.by_account.check_key(&account.to_lowercase());
        for check in [ip_check, account_check] {
            if let Err(not_until) = check {
                let wait = not_until.wait_time_from(clock.now());
                return Err(AppError::RateLimited { retry_after_s: wait.as_secs().max(1) });
            }
        }
        Ok(())
    }

    /// Forget keys whose budget has fully refilled (keeps memory bounded).
    pub fn prune(&self) {
        self.by_ip.retain_recent();
        self.by_account.retain_recent();
    }
}
