//! The emails of a request's life: the owner is asked, the agent hears the outcome.

use super::{greeting, Addressee, Body, Link, Notice, NoticeKind, RequestFacts};
use app::components::format::{date_time, duration_minutes};

/// To the owner: someone asks for access. `decide_url` opens the request (the page's
/// buttons decide; the link alone changes nothing).
pub fn request_submitted(
    owner: &Addressee,
    r: &RequestFacts,
    decide_url: String,
    report_url: String,
) -> Notice {
    let mut facts = vec![
        ("Who".into(), r.who()),
        ("What they could do".into(), r.scopes_in_words()),
        ("Why".into(), r.why()),
    ];
    if let Some(t) = &r.ticket {
        facts.push(("Ticket".into(), t.clone()));
    }
    facts.push((
        "For how long".into(),
        format!(
            "{} from your approval",
            duration_minutes(r.duration_minutes)
        ),
    ));
    facts.push(("Decide by".into(), date_time(r.expires_at)));
    Notice {
        kind: NoticeKind::RequestSubmitted,
        recipient: owner.email.clone(),
        subject: format!("Access request for {}: please decide", r.mailbox),
        body: Body {
            greeting: greeting(&owner.name),
            heading: format!("{} asks to access your mailbox {}", r.who(), r.mailbox),
            intro: vec!["Nobody can access your mailbox until you approve. If you do nothing, the request expires and nobody gets access.".into()],
            facts,
            action: Some(Link {
                label: "Review the request and decide".into(),
                url: decide_url,
            }),
            outro: vec![
                "Opening the link changes nothing by itself: you decide on the page it opens. Approving asks you to sign in.".into(),
                format!("If you do not recognise this request, deny it, then tell the security team and see how to secure your account: {report_url}"),
            ],
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the agent: the owner approved.
pub fn request_approved(agent: &Addressee, r: &RequestFacts, console_url: String) -> Notice {
    let ends = r.grant_ends_at.map(date_time).unwrap_or_default();
    Notice {
        kind: NoticeKind::RequestApproved,
        recipient: agent.email.clone(),
        subject: format!("Approved: your access request for {}", r.mailbox),
        body: Body {
            greeting: greeting(&agent.name),
            heading: format!("The owner of {} approved your request", r.mailbox),
            intro: std::iter::once(format!(
                "You may now {} until {ends}. Every access is recorded and shown to the owner.",
                r.scopes_in_words()
            ))
            .chain(r.allowed_less())
            .collect(),
            facts: vec![
                ("Access ends".into(), ends),
                (
                    "Ticket".into(),
                    r.ticket.clone().unwrap_or_else(|| "none".into()),
                ),
            ],
            action: Some(Link {
                label: "Open the staff console".into(),
                url: console_url,
            }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the agent: the owner said no.
pub fn request_denied(agent: &Addressee, r: &RequestFacts, console_url: String) -> Notice {
    let reason = r
        .decision_reason
        .clone()
        .unwrap_or_else(|| "The owner gave no reason.".into());
    Notice {
        kind: NoticeKind::RequestDenied,
        recipient: agent.email.clone(),
        subject: format!("Denied: your access request for {}", r.mailbox),
        body: Body {
            greeting: greeting(&agent.name),
            heading: format!("The owner of {} denied your request", r.mailbox),
            intro: vec!["You have no access to this mailbox. If you still need it, talk to the owner first, then ask again.".into()],
            facts: vec![("Their reason".into(), reason)],
            action: Some(Link { label: "Open the staff console".into(), url: console_url }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the agent: nobody decided in time.
pub fn request_expired(agent: &Addressee, r: &RequestFacts, console_url: String) -> Notice {
    Notice {
        kind: NoticeKind::RequestExpired,
        recipient: agent.email.clone(),
        subject: format!("Expired: your access request for {}", r.mailbox),
        body: Body {
            greeting: greeting(&agent.name),
            heading: format!("Your request for {} expired without a decision", r.mailbox),
            intro: vec![format!("The owner did not decide by {}. You have no access; ask again if you still need it.", date_time(r.expires_at))],
            action: Some(Link { label: "Open the staff console".into(), url: console_url }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the owner, at once: a second security admin approved an emergency access
/// (break-glass) to their mailbox, which started without asking them.
pub fn emergency_access_opened(
    owner: &Addressee,
    r: &RequestFacts,
    page_url: String,
    report_url: String,
) -> Notice {
    let ends = r.grant_ends_at.map(date_time).unwrap_or_default();
    let mut facts = vec![
        ("Who".into(), r.who()),
        ("What they can do".into(), r.scopes_in_words()),
        ("Why".into(), r.why()),
    ];
    if let Some(t) = &r.ticket {
        facts.push(("Reference".into(), t.clone()));
    }
    facts.push(("Access ends".into(), ends));
    Notice {
        kind: NoticeKind::EmergencyAccessOpened,
        recipient: owner.email.clone(),
        subject: format!("Emergency access to your mailbox {}", r.mailbox),
        body: Body {
            greeting: greeting(&owner.name),
            heading: format!("The security team opened an emergency access to {}", r.mailbox),
            intro: vec![
                "You were not asked: this is an emergency access (break-glass). One security admin opened it and a second, different one approved it, for the reason below. It started at once and ends on its own at the time shown.".into(),
                "Every access under it is recorded in the verifiable log and shown to you, marked as emergency access.".into(),
            ],
            facts,
            action: Some(Link {
                label: "See the emergency access and what was done".into(),
                url: page_url,
            }),
            outro: vec![format!(
                "If you think this access is wrong, tell the security team and see how to secure your account: {report_url}"
            )],
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the staff member who will use an emergency access: a second security admin approved
/// it (it works now) or refused it (with their reason).
pub fn emergency_access_decided(
    agent: &Addressee,
    r: &RequestFacts,
    approved: bool,
    console_url: String,
) -> Notice {
    let (subject, heading, intro, facts) = if approved {
        let ends = r.grant_ends_at.map(date_time).unwrap_or_default();
        (
            format!("Approved: emergency access to {}", r.mailbox),
            format!("A second security admin approved the emergency access to {}", r.mailbox),
            format!(
                "You may now {} until {ends}. The owner has been told; every access is recorded and shown to them as emergency access.",
                r.scopes_in_words()
            ),
            vec![("Access ends".into(), ends)],
        )
    } else {
        (
            format!("Refused: emergency access to {}", r.mailbox),
            format!(
                "A second security admin refused the emergency access to {}",
                r.mailbox
            ),
            "You have no access to this mailbox.".to_string(),
            vec![(
                "Their reason".into(),
                r.decision_reason.clone().unwrap_or_default(),
            )],
        )
    };
    Notice {
        kind: NoticeKind::EmergencyAccessDecided,
        recipient: agent.email.clone(),
        subject,
        body: Body {
            greeting: greeting(&agent.name),
            heading,
            intro: vec![intro],
            facts,
            action: Some(Link {
                label: "Open the staff console".into(),
                url: console_url,
            }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// A notice held back under a legal hold, as sealed: its subject and plain text, the day it
/// was sealed and its release date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedNotice {
    /// The sealed subject.
    pub subject: String,
    /// The sealed plain text.
    pub body: String,
    /// When it was sealed (the emergency access started).
    pub sealed_at: time::OffsetDateTime,
    /// The release date (`2027-03-01`).
    pub release_on: String,
    /// The commitment in the log (hex).
    pub commitment: String,
}

/// To the owner, on the release date: the notice of an emergency access that a legal order
/// did not allow telling them of until now, word for word as it was sealed.
pub fn sealed_notice_released(owner: &Addressee, n: &SealedNotice, page_url: String) -> Notice {
    Notice {
        kind: NoticeKind::SealedNoticeReleased,
        recipient: owner.email.clone(),
        subject: format!("Released after a legal hold: {}", n.subject),
        body: Body {
            greeting: greeting(&owner.name),
            heading: "A notice about your mailbox that a legal order held back".into(),
            intro: vec![
                format!(
                    "On {} the security team opened an emergency access to your mailbox for a legal request. The order behind it did not allow telling you until {}. The notice written that day follows, word for word.",
                    date_time(n.sealed_at),
                    n.release_on
                ),
                "A commitment to this notice and its release date entered the verifiable log the day it was written, so you can check it was not rewritten since: the page below recomputes it. What was done under the access is now in your history, marked as emergency access.".into(),
            ],
            facts: vec![
                ("Sealed".into(), date_time(n.sealed_at)),
                ("Held back until".into(), n.release_on.clone()),
                ("Commitment".into(), n.commitment.clone()),
            ],
            sections: vec![super::Section {
                heading: format!("The notice as written: {}", n.subject),
                paragraphs: n
                    .body
                    .split("\n\n")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect(),
                items: Vec::new(),
            }],
            action: Some(Link {
                label: "See the notice, check its commitment and see what was done".into(),
                url: page_url,
            }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}
