//! Legal holds: when the owner's notice of an emergency access may be deferred, to which
//! date, and who may move that date. Pure rules; the store and the log live elsewhere
//! (`services::legal_holds`).
//!
//! - Only an emergency access for a `legal_request` may hold its notice back: a life-safety
//!   emergency is told at once.
//! - The release date is a calendar date (UTC), after today and at most
//!   `requests.legal_hold_max_days` from today.
//! - A release date moves only later, never earlier than it was, and only with two
//!   security admins: one asks, a second, different one approves. Each extension is a new
//!   commitment in the log.
//! - The notice is released on its date whatever happened to the access, and never before
//!   (no one can release it early: the order is the court's, not the admin's).

use app::model::{JustificationCode, StaffId};
use time::{Date, Duration};

/// The date format of release dates: `2027-03-01`.
const FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Why a hold or an extension is refused; each message says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HoldError {
    /// A hold on anything but a legal request.
    #[error("Only an emergency access for a legal request can hold back the owner's notice; a life-safety emergency is told to the owner at once.")]
    NotALegalRequest,
    /// Not a date.
    #[error("Give the release date as a date, for example 2027-03-01.")]
    NotADate,
    /// Today or earlier.
    #[error("The release date must be after today: a notice due now is sent at once.")]
    NotInTheFuture,
    /// Beyond the configured cap.
    #[error("The release date may be at most {0} days from today; extend the hold, with a second admin, before it runs out.")]
    TooFar(i64),
    /// An extension that does not move the date later.
    #[error("An extension must move the release date later than {0}.")]
    NotLater(String),
    /// The same admin asking and approving.
    #[error(
        "A second, different security admin must approve an extension: you asked for this one."
    )]
    SecondAdminNeeded,
    /// An extension without a reason.
    #[error("Say why the hold must last longer (the order's reference and what it says), in 1 to 1000 characters.")]
    ReasonMissing,
}

/// The calendar date of `text`, as release dates are written.
pub fn parse_date(text: &str) -> Result<Date, HoldError> {
    Date::parse(text.trim(), FORMAT).map_err(|_| HoldError::NotADate)
}

/// A date as release dates are written (`2027-03-01`).
pub fn format_date(date: Date) -> String {
    date.format(FORMAT).unwrap_or_else(|_| date.to_string())
}

/// The release date of a new hold asked for on `today` (UTC), for an emergency access
/// opened for `code`. An empty or absent date means no hold.
pub fn parse_hold(
    code: JustificationCode,
    release_on: Option<&str>,
    today: Date,
    max_days: i64,
) -> Result<Option<Date>, HoldError> {
    let Some(text) = release_on.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if code != JustificationCode::LegalRequest {
        return Err(HoldError::NotALegalRequest);
    }
    within_cap(parse_date(text)?, today, max_days).map(Some)
}

/// A later release date for a hold now released on `current`, asked for on `today`.
pub fn parse_extension(
    current: Date,
    release_on: &str,
    reason: &str,
    today: Date,
    max_days: i64,
) -> Result<(Date, String), HoldError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(HoldError::ReasonMissing);
    }
    let date = parse_date(release_on)?;
    if date <= current {
        return Err(HoldError::NotLater(format_date(current)));
    }
    Ok((within_cap(date, today, max_days)?, reason.to_string()))
}

fn within_cap(date: Date, today: Date, max_days: i64) -> Result<Date, HoldError> {
    if date <= today {
        return Err(HoldError::NotInTheFuture);
    }
    if date > today + Duration::days(max_days) {
        return Err(HoldError::TooFar(max_days));
    }
    Ok(date)
}

/// Whether `admin` may approve or refuse an extension `proposer` asked for: never the
/// same person (four eyes, as for the emergency access itself).
pub fn may_decide_extension(proposer: StaffId, admin: StaffId) -> Result<(), HoldError> {
    if proposer == admin {
        Err(HoldError::SecondAdminNeeded)
    } else {
        Ok(())
    }
}

/// Whether a hold due on `release_on` is released on `today`.
pub fn is_due(release_on: Date, today: Date) -> bool {
    release_on <= today
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 03);

    #[test]
    fn a_legal_request_may_hold_its_notice_until_a_later_date_within_the_cap() {
        assert_eq!(
            parse_hold(
                JustificationCode::LegalRequest,
                Some("2027-03-01"),
                TODAY,
                365
            ),
            Ok(Some(date!(2027 - 03 - 01)))
        );
        assert_eq!(
            parse_hold(JustificationCode::LegalRequest, Some("  "), TODAY, 365),
            Ok(None)
        );
        assert_eq!(
            parse_hold(JustificationCode::LegalRequest, None, TODAY, 365),
            Ok(None)
        );
    }

    #[test]
    fn a_life_safety_emergency_cannot_hold_its_notice() {
        assert_eq!(
            parse_hold(
                JustificationCode::BreakGlassEmergency,
                Some("2027-03-01"),
                TODAY,
                365
            ),
            Err(HoldError::NotALegalRequest)
        );
    }

    #[test]
    fn a_release_date_today_in_the_past_too_far_or_not_a_date_is_refused() {
        let hold = |d| parse_hold(JustificationCode::LegalRequest, Some(d), TODAY, 30);
        assert_eq!(hold("2026-12-03"), Err(HoldError::NotInTheFuture));
        assert_eq!(hold("2026-01-01"), Err(HoldError::NotInTheFuture));
        assert_eq!(hold("2027-01-03"), Err(HoldError::TooFar(30)));
        assert_eq!(hold("2027-01-02"), Ok(Some(date!(2027 - 01 - 02))));
        assert_eq!(hold("March"), Err(HoldError::NotADate));
        assert_eq!(hold("2027-02-30"), Err(HoldError::NotADate));
    }

    #[test]
    fn an_extension_moves_the_date_later_with_a_reason_and_within_the_cap() {
        let current = date!(2027 - 01 - 10);
        assert_eq!(
            parse_extension(current, "2027-02-10", "Order 12 renewed", TODAY, 365),
            Ok((date!(2027 - 02 - 10), "Order 12 renewed".into()))
        );
        assert_eq!(
            parse_extension(current, "2027-01-10", "x", TODAY, 365),
            Err(HoldError::NotLater("2027-01-10".into()))
        );
        assert_eq!(
            parse_extension(current, "2027-01-05", "x", TODAY, 365),
            Err(HoldError::NotLater("2027-01-10".into()))
        );
        assert_eq!(
            parse_extension(current, "2027-02-10", " ", TODAY, 365),
            Err(HoldError::ReasonMissing)
        );
        assert_eq!(
            parse_extension(current, "2028-02-10", "x", TODAY, 365),
            Err(HoldError::TooFar(365))
        );
    }

    #[test]
    fn the_admin_who_asked_for_an_extension_cannot_approve_it() {
        let a = StaffId(uuid::Uuid::from_u128(1));
        let b = StaffId(uuid::Uuid::from_u128(2));
        assert_eq!(
            may_decide_extension(a, a),
            Err(HoldError::SecondAdminNeeded)
        );
        assert_eq!(may_decide_extension(a, b), Ok(()));
    }

    #[test]
    fn a_hold_is_due_on_its_release_date_and_not_a_day_before() {
        assert!(!is_due(date!(2026 - 12 - 04), TODAY));
        assert!(is_due(date!(2026 - 12 - 03), TODAY));
        assert!(is_due(date!(2026 - 12 - 01), TODAY));
    }
}
