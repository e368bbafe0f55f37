//! Formatting shared by server rendering and hydration (it must give the same text on both,
//! so it uses UTC and no locale), and the pure parts of showing a time in the reader's own
//! zone once the page runs in their browser (see [`super::when`]).

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// "29 Nov 2026, 21:05 UTC".
pub fn date_time(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| t.to_string())
}

/// "30 Nov 2026, 10:05": `t` on the clock of a zone that is `offset` from UTC at that
/// moment (the reader's zone; no zone name, as people read their own clock).
pub fn local_date_time(t: OffsetDateTime, offset: UtcOffset) -> String {
    let fmt = format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute]");
    t.to_offset(offset)
        .format(&fmt)
        .unwrap_or_else(|_| t.to_string())
}

/// How far `at` is from `now`, as people say it: "just now", "5 minutes ago", "in 2 hours",
/// "yesterday", "in 3 days", "2 months ago". Under a day it counts hours; from a day on it
/// counts calendar days, each date read on its own clock (the offsets `at` and `now` carry),
/// so 30 hours before 10:00 is "yesterday" and 40 hours before 10:00 is "2 days ago".
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (now - at).whole_seconds();
    let past = seconds >= 0;
    let phrase = |n: i64, unit: &str| {
        let amount = if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        };
        if past {
            format!("{amount} ago")
        } else {
            format!("in {amount}")
        }
    };
    let size = seconds.abs();
    if size < 60 {
        return "just now".into();
    }
    if size < 60 * 60 {
        return phrase(size / 60, "minute");
    }
    if size < 24 * 60 * 60 {
        return phrase(size / (60 * 60), "hour");
    }
    let days = (now.date() - at.date()).whole_days().abs().max(1);
    match days {
        1 if past => "yesterday".into(),
        1 => "tomorrow".into(),
        2..=30 => phrase(days, "day"),
        31..=364 => phrase((days / 30).max(1), "month"),
        _ => phrase(days / 365, "year"),
    }
}

/// The machine-readable form for `<time datetime=…>`.
pub fn iso(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// "45 minutes", "2 hours", "1 day".
pub fn duration_minutes(minutes: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if minutes % (24 * 60) == 0 && minutes >= 24 * 60 {
        plural(minutes / (24 * 60), "day")
    } else if minutes % 60 == 0 && minutes >= 60 {
        plural(minutes / 60, "hour")
    } else {
        plural(minutes, "minute")
    }
}

/// A list of phrases joined as in a sentence: "a, b and c".
pub fn sentence_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn dates_are_shown_in_utc_with_the_zone_named() {
        assert_eq!(
            date_time(datetime!(2026-11-29 21:05:09 UTC)),
            "29 Nov 2026, 21:05 UTC"
        );
        assert_eq!(
            date_time(datetime!(2026-03-01 00:30 +02:00)),
            "28 Feb 2026, 22:30 UTC"
        );
    }

    #[test]
    fn a_local_time_is_the_clock_of_the_given_offset_without_a_zone_name() {
        let t = datetime!(2026-11-29 21:05:09 UTC);
        assert_eq!(local_date_time(t, offset!(+13)), "30 Nov 2026, 10:05");
        assert_eq!(local_date_time(t, offset!(-5)), "29 Nov 2026, 16:05");
        assert_eq!(local_date_time(t, offset!(+5:30)), "30 Nov 2026, 02:35");
        assert_eq!(local_date_time(t, offset!(UTC)), "29 Nov 2026, 21:05");
    }

    #[test]
    fn under_a_minute_either_way_is_just_now() {
        let now = datetime!(2026-11-29 12:00 UTC);
        assert_eq!(relative(now, now), "just now");
        assert_eq!(
            relative(datetime!(2026-11-29 11:59:01 UTC), now),
            "just now"
        );
        assert_eq!(
            relative(datetime!(2026-11-29 12:00:59 UTC), now),
            "just now"
        );
    }

    #[test]
    fn minutes_and_hours_count_whole_units_past_and_future() {
        let now = datetime!(2026-11-29 12:00 UTC);
        assert_eq!(
            relative(datetime!(2026-11-29 11:59 UTC), now),
            "1 minute ago"
        );
        assert_eq!(
            relative(datetime!(2026-11-29 11:55 UTC), now),
            "5 minutes ago"
        );
        assert_eq!(
            relative(datetime!(2026-11-29 12:20 UTC), now),
            "in 20 minutes"
        );
        assert_eq!(relative(datetime!(2026-11-29 11:00 UTC), now), "1 hour ago");
        assert_eq!(relative(datetime!(2026-11-29 14:59 UTC), now), "in 2 hours");
        assert_eq!(
            relative(datetime!(2026-11-28 12:00:01 UTC), now),
            "23 hours ago"
        );
    }

    #[test]
    fn from_a_day_on_the_calendar_on_the_readers_clock_decides() {
        let now = datetime!(2026-11-29 10:00 +13);
        assert_eq!(relative(datetime!(2026-11-28 04:00 +13), now), "yesterday");
        assert_eq!(relative(datetime!(2026-11-27 18:00 +13), now), "2 days ago");
        assert_eq!(relative(datetime!(2026-11-30 12:00 +13), now), "tomorrow");
        assert_eq!(relative(datetime!(2026-12-02 09:00 +13), now), "in 3 days");
        assert_eq!(
            relative(datetime!(2026-10-30 10:00 +13), now),
            "30 days ago"
        );
        assert_eq!(
            relative(datetime!(2026-09-29 10:00 +13), now),
            "2 months ago"
        );
        assert_eq!(relative(datetime!(2025-11-29 10:00 +13), now), "1 year ago");
        assert_eq!(relative(datetime!(2029-01-01 10:00 +13), now), "in 2 years");
    }

    #[test]
    fn durations_use_the_largest_whole_unit() {
        assert_eq!(duration_minutes(45), "45 minutes");
        assert_eq!(duration_minutes(60), "1 hour");
        assert_eq!(duration_minutes(90), "90 minutes");
        assert_eq!(duration_minutes(480), "8 hours");
        assert_eq!(duration_minutes(1440), "1 day");
        assert_eq!(duration_minutes(1), "1 minute");
    }

    #[test]
    fn lists_read_as_a_sentence() {
        assert_eq!(sentence_list(&[]), "");
        assert_eq!(sentence_list(&["a"]), "a");
        assert_eq!(sentence_list(&["a", "b"]), "a and b");
        assert_eq!(sentence_list(&["a", "b", "c"]), "a, b and c");
    }
}
