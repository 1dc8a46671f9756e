//! Time as Parley stores it: Unix milliseconds; RFC 3339 on the wire.
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn now_ms() -> i64 {
    let now = OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn opt_rfc3339(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}

pub const HOUR_MS: i64 = 3_600_000;

/// A time for people to read, in UTC ("6 Dec 2026, 14:05 UTC"): mails cannot know the
/// reader's time zone.
pub fn human_utc(ms: i64) -> String {
    let Ok(format) = time::format_description::parse_borrowed::<2>(
        "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC",
    ) else {
        return rfc3339(ms);
    };
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Unix milliseconds of an RFC 3339 timestamp.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The UTC day of a time, `YYYY-MM-DD`.
pub fn day_utc(ms: i64) -> String {
    rfc3339(ms).get(..10).unwrap_or_default().to_owned()
}

/// A time given as RFC 3339, or as a day (`YYYY-MM-DD`, its start in UTC).
pub fn parse_time_or_day(s: &str) -> Option<i64> {
    parse_rfc3339(s).or_else(|| {
        let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
        let t = OffsetDateTime::new_utc(d, time::Time::MIDNIGHT);
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
    })
}
