//! Times as people read them: `<When at=t/>` shows a moment on the reader's own clock with
//! how long ago it was ("30 Nov 2026, 10:05 (5 minutes ago)"), and keeps UTC on hover
//! (`title`) and in the machine-readable `<time datetime=…>`.
//!
//! The server does not know the reader's zone, and hydration needs the browser to start
//! from the very HTML the server sent. So the server (and the browser while it hydrates)
//! writes the UTC text, named as UTC; only once an element is live in the browser does its
//! text switch to local time. Without JavaScript the page keeps the UTC text.
//!
//! One [`ReaderClock`] per page (from [`provide_reader_clock`], in the App) ticks every
//! half minute, so relative phrases stay true while the page is open; a `When` that is gone
//! no longer reads it.

use super::format::{date_time, iso, local_date_time, relative};
use leptos::prelude::*;
use time::{OffsetDateTime, UtcOffset};

/// The reader's current time, shared by every [`When`] on the page: `None` on the server,
/// while the page hydrates and without JavaScript.
#[derive(Clone, Copy)]
pub struct ReaderClock(RwSignal<Option<OffsetDateTime>>);

/// Starts the page's [`ReaderClock`] (call once, in the App). It begins to tick after
/// hydration and stops with the App.
pub fn provide_reader_clock() {
    let now = RwSignal::new(None);
    provide_context(ReaderClock(now));
    // Effects run in the browser only, once the App has hydrated.
    Effect::new(move |_| browser::tick(now));
}

/// The reader's current time once the calling component is live in the browser (hydrated
/// or rendered there): `None` until then, on the server and without JavaScript. Parts of a
/// page that only make sense next to UTC text (a "45 minutes left" the server counted) can
/// hide themselves once this is `Some`.
pub fn reader_now() -> Signal<Option<OffsetDateTime>> {
    let clock = use_context::<ReaderClock>();
    let live = RwSignal::new(false);
    // Effects run in the browser only, after this component's HTML was hydrated.
    Effect::new(move |_| live.set(true));
    Signal::derive(move || {
        if live.try_get() != Some(true) {
            return None;
        }
        clock.and_then(|c| c.0.try_get().flatten())
    })
}

/// A moment as the reader reads it (see the module).
#[component]
pub fn When(at: OffsetDateTime) -> AnyView {
    let utc = date_time(at);
    let now = reader_now();
    let shown = {
        let utc = utc.clone();
        move || match now.try_get().flatten() {
            Some(now) => on_reader_clock(at, now, browser::offset_at),
            None => utc.clone(),
        }
    };
    // One type for every use, so the pages that show times share its rendering code.
    view! { <time datetime=iso(at) title=utc>{shown}</time> }.into_any()
}

/// Words around at most one moment, for sentences built in one place and shown in several
/// ("Lapsed on " 29 Nov 2026… ": new requests are refused"): the moment is shown as a
/// [`When`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    before: String,
    at: Option<OffsetDateTime>,
    after: String,
}

impl Phrase {
    /// Words with no moment in them.
    pub fn words(text: impl Into<String>) -> Self {
        Self {
            before: text.into(),
            at: None,
            after: String::new(),
        }
    }

    /// `before`, the moment `at`, then `after`.
    pub fn around(before: impl Into<String>, at: OffsetDateTime, after: impl Into<String>) -> Self {
        Self {
            before: before.into(),
            at: Some(at),
            after: after.into(),
        }
    }

    /// The same phrase with `lead` in front ("Nora New: " + "Lapsed on …").
    pub fn after_lead(mut self, lead: &str) -> Self {
        self.before.insert_str(0, lead);
        self
    }

    /// The phrase on a page.
    pub fn view(self) -> AnyView {
        let nonempty = |s: String| (!s.is_empty()).then_some(s);
        view! {
            {nonempty(self.before)}
            {self.at.map(|at| view! { <When at/> })}
            {nonempty(self.after)}
        }
        .into_any()
    }
}

/// "30 Nov 2026, 10:05 (5 minutes ago)": `at` on the reader's clock, given the reader's
/// offset from UTC at any moment (zones change offset through the year).
pub fn on_reader_clock(
    at: OffsetDateTime,
    now: OffsetDateTime,
    offset_at: impl Fn(OffsetDateTime) -> UtcOffset,
) -> String {
    let (at, now) = (at.to_offset(offset_at(at)), now.to_offset(offset_at(now)));
    format!(
        "{} ({})",
        local_date_time(at, at.offset()),
        relative(at, now)
    )
}

/// What only the browser knows: its clock and its time zone.
mod browser {
    use time::{OffsetDateTime, UtcOffset};

    /// The browser's clock.
    #[cfg(feature = "hydrate")]
    pub fn now() -> Option<OffsetDateTime> {
        let nanos = (js_sys::Date::now() * 1_000_000.0) as i128;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    }

    /// The browser zone's offset from UTC at `t` (JavaScript's `getTimezoneOffset` counts
    /// minutes the other way: UTC minus local).
    #[cfg(feature = "hydrate")]
    pub fn offset_at(t: OffsetDateTime) -> UtcOffset {
        let millis = (t.unix_timestamp_nanos() / 1_000_000) as f64;
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
        let west_minutes = date.get_timezone_offset();
        if !west_minutes.is_finite() {
            return UtcOffset::UTC;
        }
        UtcOffset::from_whole_seconds((-west_minutes * 60.0).round() as i32)
            .unwrap_or(UtcOffset::UTC)
    }

    /// Sets `now` to the browser's clock, then again every half minute until the App is gone.
    #[cfg(feature = "hydrate")]
    pub fn tick(now: leptos::prelude::RwSignal<Option<OffsetDateTime>>) {
        use leptos::prelude::*;
        now.set(self::now());
        let tick = set_interval_with_handle(
            move || {
                now.try_set(self::now());
            },
            std::time::Duration::from_secs(30),
        );
        if let Ok(tick) = tick {
            on_cleanup(move || tick.clear());
        }
    }

    /// Outside the browser there is no clock to follow.
    #[cfg(not(feature = "hydrate"))]
    pub fn tick(_: leptos::prelude::RwSignal<Option<OffsetDateTime>>) {}

    /// Outside the browser there is no reader's zone: UTC.
    #[cfg(not(feature = "hydrate"))]
    pub fn offset_at(_: OffsetDateTime) -> UtcOffset {
        UtcOffset::UTC
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn a_time_reads_on_the_readers_clock_with_how_long_ago_it_was() {
        let now = datetime!(2026-11-29 21:10 UTC);
        let auckland = |_| offset!(+13);
        assert_eq!(
            on_reader_clock(datetime!(2026-11-29 21:05 UTC), now, auckland),
            "30 Nov 2026, 10:05 (5 minutes ago)"
        );
        let new_york = |_| offset!(-5);
        assert_eq!(
            on_reader_clock(datetime!(2026-11-29 21:30 UTC), now, new_york),
            "29 Nov 2026, 16:30 (in 20 minutes)"
        );
    }

    #[test]
    fn each_moment_uses_the_offset_its_zone_had_then() {
        // New York: summer time (-4) in July, standard time (-5) in November.
        let new_york = |t: OffsetDateTime| {
            if t.month() == time::Month::July {
                offset!(-4)
            } else {
                offset!(-5)
            }
        };
        assert_eq!(
            on_reader_clock(
                datetime!(2026-07-01 16:00 UTC),
                datetime!(2026-11-29 17:00 UTC),
                new_york
            ),
            "1 Jul 2026, 12:00 (5 months ago)"
        );
    }
}
