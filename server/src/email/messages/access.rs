//! The emails about what was done under a grant: the first access, the summary when it is
//! revoked or ends, and the owner's daily digest.

use super::{greeting, Addressee, Body, Link, Notice, NoticeKind, RequestFacts, Section};
use app::components::format::date_time;
use app::model::ChangeActor;
use time::OffsetDateTime;

/// What was done under a grant, for one scope and action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessLine {
    /// The action in words ("read message").
    pub action: String,
    /// The scope in words.
    pub scope: String,
    /// How many times.
    pub count: i64,
    /// The first time.
    pub first_at: OffsetDateTime,
}

/// One line of a digest: an agent's accesses to one mailbox in one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestEntry {
    /// The mailbox.
    pub mailbox: String,
    /// The agent, by pseudonym.
    pub agent_pseudonym: String,
    /// The scope in words.
    pub scope: String,
    /// How many accesses.
    pub count: i64,
}

fn times(count: i64) -> String {
    if count == 1 {
        "once".to_string()
    } else {
        format!("{count} times")
    }
}

/// What was accessed: a section listing it, or a sentence saying nothing was.
fn accessed(summary: &[AccessLine]) -> (Vec<Section>, Vec<String>) {
    if summary.is_empty() {
        (
            Vec::new(),
            vec!["Nothing was accessed under this grant.".into()],
        )
    } else {
        let items = summary
            .iter()
            .map(|a| {
                format!(
                    "{} ({}), {}, first at {}",
                    a.action,
                    a.scope,
                    times(a.count),
                    date_time(a.first_at)
                )
            })
            .collect();
        (
            vec![Section {
                heading: "What was accessed".into(),
                items,
                ..Section::default()
            }],
            Vec::new(),
        )
    }
}

/// A subject as it reads for an emergency access (break-glass): marked as one, first.
pub(super) fn emergency_marked(r: &RequestFacts, subject: String) -> String {
    if r.break_glass {
        format!("Emergency access: {subject}")
    } else {
        subject
    }
}

/// To the owner: they (or the security team, `by`) revoked a grant.
pub fn grant_revoked(
    owner: &Addressee,
    r: &RequestFacts,
    by: ChangeActor,
    summary: &[AccessLine],
    page_url: String,
) -> Notice {
    let (sections, mut outro) = accessed(summary);
    let (subject, intro) = if r.break_glass {
        (
            format!("The security team ended the access to {}", r.mailbox),
            "The security team ended this emergency access before its time. It stopped at once.",
        )
    } else if by == ChangeActor::Security {
        (
            format!("The security team withdrew access to {}", r.mailbox),
            "The security team withdrew this access while handling a security incident. It stopped at once.",
        )
    } else {
        outro.push("If you did not revoke this access yourself, change your password and turn on two-factor sign-in now.".into());
        (
            format!("You revoked access to {}", r.mailbox),
            "You revoked this access. It stopped at once.",
        )
    };
    Notice {
        kind: NoticeKind::GrantRevoked,
        recipient: owner.email.clone(),
        subject: emergency_marked(r, subject),
        body: Body {
            greeting: greeting(&owner.name),
            heading: format!("{} can no longer access {}", r.who(), r.mailbox),
            intro: vec![intro.into()],
            sections,
            action: Some(Link {
                label: "See the request and its history".into(),
                url: page_url,
            }),
            outro,
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the owner: a grant ended (on time, or the agent ended it early).
pub fn grant_ended(
    owner: &Addressee,
    r: &RequestFacts,
    summary: &[AccessLine],
    page_url: String,
) -> Notice {
    let (sections, outro) = accessed(summary);
    Notice {
        kind: NoticeKind::GrantEnded,
        recipient: owner.email.clone(),
        subject: emergency_marked(r, format!("Access to {} has ended", r.mailbox)),
        body: Body {
            greeting: greeting(&owner.name),
            heading: if r.break_glass {
                format!("The emergency access of {} has ended", r.who())
            } else {
                format!("The access you gave {} has ended", r.who())
            },
            intro: vec![format!(
                "Access to {} ended at {}. Nobody can access it under this approval any more.",
                r.mailbox,
                r.grant_ends_at.map(date_time).unwrap_or_default()
            )],
            sections,
            action: Some(Link {
                label: "See the request and its history".into(),
                url: page_url,
            }),
            outro,
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the owner: the first access under a grant.
pub fn first_access(
    owner: &Addressee,
    r: &RequestFacts,
    first: &AccessLine,
    history_url: String,
    report_url: String,
) -> Notice {
    Notice {
        kind: NoticeKind::FirstAccess,
        recipient: owner.email.clone(),
        subject: emergency_marked(r, format!("{} has started accessing {}", r.agent_pseudonym, r.mailbox)),
        body: Body {
            greeting: greeting(&owner.name),
            heading: format!("{} has started accessing your mailbox {}", r.who(), r.mailbox),
            intro: vec![if r.break_glass {
                "This is the first access under the emergency access the security team opened without asking you. You will get a summary when it ends.".into()
            } else {
                "This is the first access under the request you approved. You will get a summary when the access ends.".into()
            }],
            facts: vec![
                ("First access".into(), date_time(first.first_at)),
                ("What".into(), format!("{} ({})", first.action, first.scope)),
                ("Access ends".into(), r.grant_ends_at.map(date_time).unwrap_or_default()),
            ],
            action: Some(Link { label: "See every access, or revoke".into(), url: history_url }),
            outro: vec![format!("If you do not recognise this, tell the security team and see how to secure your account: {report_url}")],
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the owner: a day's accesses, with one-click unsubscribe.
pub fn access_digest(
    owner: &Addressee,
    lines: &[DigestEntry],
    history_url: String,
    unsubscribe_url: String,
) -> Notice {
    let total: i64 = lines.iter().map(|l| l.count).sum();
    let items = lines
        .iter()
        .map(|l| {
            format!(
                "{}: {} — {}, {}",
                l.mailbox,
                l.agent_pseudonym,
                l.scope,
                times(l.count)
            )
        })
        .collect();
    Notice {
        kind: NoticeKind::AccessDigest,
        recipient: owner.email.clone(),
        subject: format!("Your daily access summary: {total} access{}", if total == 1 { "" } else { "es" }),
        body: Body {
            greeting: greeting(&owner.name),
            heading: "Staff accesses to your mailbox in the last day".into(),
            sections: vec![Section {
                heading: "Who accessed what".into(),
                items,
                ..Section::default()
            }],
            action: Some(Link { label: "See every access".into(), url: history_url }),
            outro: vec![format!("You get this summary once a day because you chose it. To stop it, use the unsubscribe link of your email program or open: {unsubscribe_url}")],
            ..Body::default()
        },
        list_unsubscribe: Some(unsubscribe_url),
    }
}
