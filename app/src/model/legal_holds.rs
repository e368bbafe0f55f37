//! Notices held back under legal holds, as owners and the public see them: counts per month
//! and reason (never whose, never what), and an owner's own released notices with what
//! they need to check each against the commitment the log holds since the day it was
//! sealed.

use super::{JustificationCode, RequestId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Deferred notices sealed in one month for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldNoticeMonth {
    /// The month they were sealed in (`2026-12`, UTC).
    pub month: String,
    /// Why they were held back.
    pub reason: JustificationCode,
    /// How many notices were sealed (deferred) that month for that reason.
    pub deferred: i64,
    /// How many of those are still sealed today.
    pub still_sealed: i64,
}

/// The counts of deferred notices, newest month first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldNoticeCounts {
    /// One row per month and reason with at least one deferred notice.
    pub months: Vec<HeldNoticeMonth>,
}

impl HeldNoticeCounts {
    /// How many notices are still sealed, over every month.
    pub fn still_sealed(&self) -> i64 {
        self.months.iter().map(|m| m.still_sealed).sum()
    }
}

/// One step of a sealed notice as the log holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeStep {
    /// `sealed`, `extended` or `released`.
    pub change: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The release date this step's commitment covers.
    pub release_on: String,
    /// The commitment (hex).
    pub commitment: String,
    /// Its index in the log, once entered.
    pub log_index: Option<u64>,
    /// The canonical log entry (base64), once entered: its leaf hash is what the log's
    /// inclusion proof covers.
    pub entry: Option<String>,
}

/// A notice that was held back and is now released to its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedNotice {
    /// The emergency access it is about.
    pub request: RequestId,
    /// The mailbox.
    pub mailbox: String,
    /// Why it was held back.
    pub reason: JustificationCode,
    /// The notice's subject, as sealed.
    pub subject: String,
    /// The notice's text, as sealed.
    pub body: String,
    /// The release date it was sealed (or last extended) to.
    pub release_on: String,
    /// The commitment's nonce (hex).
    pub nonce: String,
    /// When it was sealed.
    #[serde(with = "time::serde::rfc3339")]
    pub sealed_at: OffsetDateTime,
    /// When it was released.
    #[serde(with = "time::serde::rfc3339")]
    pub released_at: OffsetDateTime,
    /// Its steps in the log, oldest first (sealed, any extensions, released).
    pub steps: Vec<NoticeStep>,
}

impl ReleasedNotice {
    /// Whether the notice shown and its nonce give exactly the commitment of every step
    /// in the log, each with that step's release date: the one sealed on the day the
    /// access started, and each extension since. Computed here, so in the owner's browser
    /// once the page is live, from the same values the page shows.
    pub fn matches_commitment(&self) -> bool {
        self.steps.iter().any(|s| s.change == "sealed")
            && self.steps.iter().all(|s| {
                glassbox_log::sealed::matches(
                    &self.subject,
                    &self.body,
                    &s.release_on,
                    &self.nonce,
                    &s.commitment,
                )
            })
    }
}
