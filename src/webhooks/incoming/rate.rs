//! A rate limit per incoming hook (`webhooks.incoming_per_minute`, with a burst).
pub type HookLimiter = crate::rate_limit::KeyedLimiter<uuid::Uuid>;
