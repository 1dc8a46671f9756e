//! A rate limit per hook: a burst, then a steady rate (GCRA, by the governor crate).
//! Per node: behind several nodes a hook's budget is that many times larger.
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

pub struct HookLimiter {
    limiter: DefaultKeyedRateLimiter<Uuid>,
}

impl HookLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self { limiter: RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)) }
    }

    /// Ok, or the seconds until the hook may post again.
    pub fn check(&self, hook: Uuid) -> Result<(), u64> {
        self.limiter.check_key(&hook).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            wait.as_secs() + 1
        })
    }

    /// Forgets hooks whose budget is full again (housekeeping).
    pub fn prune(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusals_with_a_wait() {
        let l = HookLimiter::new(60, 3);
        let hook = Uuid::now_v7();
        for _ in 0..3 {
            assert!(l.check(hook).is_ok());
        }
        let wait = l.check(hook).expect_err("over the burst");
        assert!((1..=2).contains(&wait), "{wait}");
        assert!(l.check(Uuid::now_v7()).is_ok(), "another hook has its own budget");
    }
}
