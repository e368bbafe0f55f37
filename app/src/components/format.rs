//! Formatting shared by server rendering and hydration (it must give the same text on both,
//! so it uses UTC and no locale).

use time::macros::format_description;
use time::OffsetDateTime;

/// "29 Nov 2026, 21:05 UTC".
pub fn date_time(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| t.to_string())
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
    use time::macros::datetime;

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
