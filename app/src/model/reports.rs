//! "I don't recognise this": what an owner reports, and what the security admins see.

use super::{EventSeq, EventView, GuidanceStep, RequestId, RequestView};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What an owner does not recognise: one access, or one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportSubject {
    /// An access event, by its position.
    Access(EventSeq),
    /// An access request.
    Request(RequestId),
}

impl ReportSubject {
    /// The stable key stored with a report (`access:<seq>`, `request:<id>`).
    pub fn key(&self) -> String {
        match self {
            Self::Access(seq) => format!("access:{}", seq.0),
            Self::Request(id) => format!("request:{id}"),
        }
    }

    /// The subject named by a page's address: exactly one of `access` (an event position,
    /// from 1) and `request` (a request id); `None` for anything else.
    pub fn from_query(access: Option<&str>, request: Option<&str>) -> Option<Self> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (given(access), given(request)) {
            (Some(seq), None) => seq
                .parse::<i64>()
                .ok()
                .filter(|s| *s > 0)
                .map(|s| Self::Access(EventSeq(s))),
            (None, Some(id)) => id.parse().ok().map(Self::Request),
            _ => None,
        }
    }

    /// The report page's address for this subject.
    pub fn report_href(&self) -> String {
        match self {
            Self::Access(seq) => format!("/me/report?access={}", seq.0),
            Self::Request(id) => format!("/me/report?request={id}"),
        }
    }
}

/// The owner's report page: what they are about to report (or have reported), and the
/// steps that secure their account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPage {
    /// What is reported.
    pub subject: ReportSubject,
    /// The access, when the subject is one.
    pub access: Option<EventView>,
    /// The request, when the subject is one.
    pub request: Option<RequestView>,
    /// When the owner reported it, if they already did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub reported_at: Option<OffsetDateTime>,
    /// When the security team marked the report handled, if they did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub handled_at: Option<OffsetDateTime>,
    /// What to do to secure the account, in order.
    pub steps: Vec<GuidanceStep>,
    /// Where to change the password (empty: in the mail account's settings).
    pub password_url: String,
    /// Whom to contact.
    pub contact: String,
}

/// One owner's report, as the security admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminReportView {
    /// The report.
    pub id: uuid::Uuid,
    /// When the owner reported it.
    #[serde(with = "time::serde::rfc3339")]
    pub reported_at: OffsetDateTime,
    /// The mailbox concerned.
    pub mailbox: String,
    /// What the owner was shown, in words.
    pub summary: String,
    /// The staff member concerned, by pseudonym, and their name (none: the mail system).
    pub agent: Option<(String, String)>,
    /// What the owner added, if anything.
    pub note: Option<String>,
    /// When a security admin marked it handled, and who.
    #[serde(with = "time::serde::rfc3339::option")]
    pub handled_at: Option<OffsetDateTime>,
    /// Who handled it.
    pub handled_by: Option<String>,
}

/// The steps an owner is offered after reporting, in the order to take them.
pub const SECURE_ACCOUNT_STEPS: [GuidanceStep; 5] = [
    GuidanceStep::ChangePassword,
    GuidanceStep::TurnOnTwoFactor,
    GuidanceStep::SignOutSessions,
    GuidanceStep::CheckForwarding,
    GuidanceStep::CheckRecovery,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_about_exactly_one_access_or_one_request() {
        assert_eq!(
            ReportSubject::from_query(Some("42"), None),
            Some(ReportSubject::Access(EventSeq(42)))
        );
        let id = "0193a4e2-7b1c-7000-8000-000000000001";
        let subject = ReportSubject::from_query(None, Some(id)).unwrap();
        assert_eq!(subject.key(), format!("request:{id}"));
        assert_eq!(subject.report_href(), format!("/me/report?request={id}"));
        for (access, request) in [
            (None, None),
            (Some("42"), Some(id)),
            (Some("0"), None),
            (Some("-3"), None),
            (Some("4x"), None),
            (None, Some("not-an-id")),
            (Some(" "), Some("")),
        ] {
            assert_eq!(
                ReportSubject::from_query(access, request),
                None,
                "{access:?} {request:?}"
            );
        }
    }
}
