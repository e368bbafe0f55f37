//! The email of an owner's report: each security admin is told at once.

use super::{greeting, Addressee, Body, Link, Notice, NoticeKind};
use app::components::format::date_time;
use time::OffsetDateTime;

/// What a report's email says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFacts {
    /// The mailbox concerned.
    pub mailbox: String,
    /// What the owner was shown, in words.
    pub summary: String,
    /// What the owner added.
    pub note: Option<String>,
    /// When they reported it.
    pub reported_at: OffsetDateTime,
}

/// To a security admin: an owner does not recognise an access or a request.
pub fn owner_report(admin: &Addressee, r: &ReportFacts, reports_url: String) -> Notice {
    let mut facts = vec![
        ("Mailbox".into(), r.mailbox.clone()),
        ("What they do not recognise".into(), r.summary.clone()),
        ("Reported".into(), date_time(r.reported_at)),
    ];
    if let Some(note) = &r.note {
        facts.push(("Their note".into(), note.clone()));
    }
    Notice {
        kind: NoticeKind::OwnerReport,
        recipient: admin.email.clone(),
        subject: format!("Owner report: {} does not recognise an access", r.mailbox),
        body: Body {
            greeting: greeting(&admin.name),
            heading: format!("The owner of {} does not recognise this", r.mailbox),
            intro: vec!["An owner reported an access or a request to their mailbox that they do not recognise. It may be a stolen staff credential or a mistake: look into it, and mark the report handled when you have.".into()],
            facts,
            action: Some(Link {
                label: "Open the owners' reports".into(),
                url: reports_url,
            }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}
