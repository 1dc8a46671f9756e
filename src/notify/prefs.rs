//! How often a person wants to be mailed about what they missed, and what that means in
//! time: how long a notification waits for them, and how far apart two digests are.
use serde::{Deserialize, Serialize};

use crate::accounts::model::user;
use crate::clock::HOUR_MS;
use crate::error::{AppError, AppResult};
use crate::mail::settings::{minutes_ms, EmailSettings};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// After `delay_minutes` (or the server's delay) if still unread.
    AfterDelay,
    /// As soon as possible (still at most one mail per window).
    Immediately,
    /// One digest an hour at most.
    Hourly,
    Never,
}

pub const MAX_DELAY_MINUTES: i32 = 24 * 60;

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AfterDelay => "after_delay",
            Self::Immediately => "immediately",
            Self::Hourly => "hourly",
            Self::Never => "never",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::AfterDelay, Self::Immediately, Self::Hourly, Self::Never].into_iter().find(|f| f.as_str() == s)
    }
}

/// A person's choice, as stored on their user row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub frequency: Frequency,
    pub delay_minutes: Option<i32>,
}

impl Choice {
    pub fn of(u: &user::Model) -> Self {
        Self {
            frequency: Frequency::parse(&u.email_frequency).unwrap_or(Frequency::AfterDelay),
            delay_minutes: u.email_delay_minutes,
        }
    }

    /// How long a notification waits for them; None: they are never mailed.
    pub fn delay_ms(self, settings: &EmailSettings) -> Option<i64> {
        match self.frequency {
            Frequency::AfterDelay => Some(self.delay_minutes.map_or(settings.delay_ms(), |m| minutes_ms(f64::from(m)))),
            Frequency::Immediately => Some(0),
            Frequency::Hourly => Some(HOUR_MS),
            Frequency::Never => None,
        }
    }

    /// The least time between two of their digests.
    pub fn window_ms(self, settings: &EmailSettings) -> i64 {
        match self.frequency {
            Frequency::Hourly => settings.window_ms().max(HOUR_MS),
            _ => settings.window_ms(),
        }
    }

    pub fn validate(self) -> AppResult<Self> {
        if let Some(m) = self.delay_minutes {
            if !(1..=MAX_DELAY_MINUTES).contains(&m) {
                return Err(AppError::invalid("delay_minutes", format!("1 to {MAX_DELAY_MINUTES}")));
            }
        }
        Ok(self)
    }

    /// Written into an undo link: `after_delay/12`, `hourly/`.
    pub fn encode(self) -> String {
        format!("{}/{}", self.frequency.as_str(), self.delay_minutes.map(|m| m.to_string()).unwrap_or_default())
    }
    pub fn decode(s: &str) -> Option<Self> {
        let (f, m) = s.split_once('/')?;
        let delay_minutes = if m.is_empty() { None } else { Some(m.parse().ok()?) };
        Some(Self { frequency: Frequency::parse(f)?, delay_minutes }).and_then(|c| c.validate().ok())
    }

    /// In words, for the settings and unsubscribe pages.
    pub fn describe(self, settings: &EmailSettings) -> String {
        match self.frequency {
            Frequency::AfterDelay => {
                let minutes = self.delay_minutes.map_or(settings.delay_minutes, f64::from);
                format!("when something is still unread {} later", minutes_phrase(minutes))
            }
            Frequency::Immediately => "as soon as something arrives while you are away".into(),
            Frequency::Hourly => "at most once an hour".into(),
            Frequency::Never => "never".into(),
        }
    }
}

fn minutes_phrase(minutes: f64) -> String {
    if minutes < 1.0 {
        let s = (minutes * 60.0).round().max(1.0);
        return format!("{s} second{}", if s == 1.0 { "" } else { "s" });
    }
    let m = minutes.round();
    format!("{m} minute{}", if m == 1.0 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_through_undo_links_and_bad_ones_do_not() {
        for c in [
            Choice { frequency: Frequency::AfterDelay, delay_minutes: Some(12) },
            Choice { frequency: Frequency::Hourly, delay_minutes: None },
            Choice { frequency: Frequency::Never, delay_minutes: None },
        ] {
            assert_eq!(Choice::decode(&c.encode()), Some(c));
        }
        assert_eq!(Choice::decode("weekly/"), None);
        assert_eq!(Choice::decode("after_delay/0"), None);
        assert_eq!(Choice::decode("after_delay/x"), None);
    }

    #[test]
    fn delays_follow_the_choice() {
        let s = crate::settings::Settings::defaults().unwrap().email;
        let after = |m| Choice { frequency: Frequency::AfterDelay, delay_minutes: m };
        assert_eq!(after(None).delay_ms(&s), Some(600_000));
        assert_eq!(after(Some(2)).delay_ms(&s), Some(120_000));
        assert_eq!(Choice { frequency: Frequency::Never, delay_minutes: None }.delay_ms(&s), None);
        assert_eq!(Choice { frequency: Frequency::Hourly, delay_minutes: None }.window_ms(&s), 3_600_000);
        assert_eq!(after(None).describe(&s), "when something is still unread 10 minutes later");
    }
}
