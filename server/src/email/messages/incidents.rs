//! The notice to an owner whose mailbox a confirmed security incident touched, and the
//! security team's follow-ups. It carries what GDPR Art. 34 asks for: what happened, the
//! likely consequences, the measures taken, advice, and a contact point.

use super::{greeting, Addressee, Body, Link, Notice, NoticeKind, Section};
use crate::domain::incident as rules;
use app::model::{Exposure, IncidentCause};
use time::OffsetDateTime;

/// Which notice of an incident this is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeRound {
    /// The first notice, sent when the incident is confirmed.
    First,
    /// A later round, with the security team's message.
    FollowUp(String),
}

/// The incident as every affected owner is told about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentFacts {
    /// Its title.
    pub title: String,
    /// What happened, in the security team's words.
    pub description: String,
    /// What caused it (decides the measures listed).
    pub cause: IncidentCause,
    /// When it started.
    pub window_start: OffsetDateTime,
    /// When it ended.
    pub window_end: OffsetDateTime,
    /// Where owners change their password; `None` to tell them to use their settings.
    pub password_url: Option<String>,
    /// Whom to ask.
    pub contact: String,
}

/// One affected mailbox, as its owner is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffectedMailbox {
    /// Its address.
    pub address: String,
    /// What of it was exposed.
    pub exposure: Exposure,
    /// How many accesses in the incident touched it.
    pub accesses: i64,
    /// The owner's page for this incident (which accesses, what to tick off).
    pub page_url: String,
}

/// "1 time", "3 times".
fn times(n: i64) -> String {
    if n == 1 {
        "1 time".into()
    } else {
        format!("{n} times")
    }
}

fn when(t: OffsetDateTime) -> String {
    t.format(time::macros::format_description!(
        "[day] [month repr:long] [year], [hour]:[minute] UTC"
    ))
    .unwrap_or_default()
}

/// To an affected owner: what happened to their mailbox and what to do.
pub fn incident_notice(
    owner: &Addressee,
    incident: &IncidentFacts,
    mailbox: &AffectedMailbox,
    round: &NoticeRound,
) -> Notice {
    let (kind, subject, intro) = match round {
        NoticeRound::First => (
            NoticeKind::IncidentNotice,
            format!(
                "A security incident affected your mailbox {}",
                mailbox.address
            ),
            Vec::new(),
        ),
        NoticeRound::FollowUp(message) => (
            NoticeKind::IncidentFollowUp,
            format!(
                "Update on a security incident that affected {}",
                mailbox.address
            ),
            vec![format!("An update from our security team: {message}")],
        ),
    };
    let password = match &incident.password_url {
        Some(url) => format!("Change your password here: {url}"),
        None => "Change your password in your mail account's settings.".to_string(),
    };
    let sections = vec![
        Section {
            heading: "What happened".into(),
            paragraphs: vec![
                incident.description.clone(),
                format!(
                    "Between {} and {}, your mailbox {} was accessed {} as part of this incident.",
                    when(incident.window_start),
                    when(incident.window_end),
                    mailbox.address,
                    times(mailbox.accesses)
                ),
            ],
            ..Section::default()
        },
        Section {
            heading: "What was exposed".into(),
            paragraphs: vec![mailbox.exposure.plain_words().into()],
            ..Section::default()
        },
        Section {
            heading: "What this may mean for you".into(),
            paragraphs: vec![rules::consequences(mailbox.exposure).into()],
            ..Section::default()
        },
        Section {
            heading: "What we have done".into(),
            items: rules::measures(incident.cause),
            ..Section::default()
        },
        Section {
            heading: "What you should do".into(),
            paragraphs: vec![password],
            items: rules::guidance()
                .iter()
                .map(|s| s.plain_words().to_string())
                .collect(),
        },
    ];
    Notice {
        kind,
        recipient: owner.email.clone(),
        subject,
        body: Body {
            greeting: greeting(&owner.name),
            heading: incident.title.clone(),
            intro,
            sections,
            action: Some(Link {
                label: "See exactly which accesses were involved, and tick off each step".into(),
                url: mailbox.page_url.clone(),
            }),
            outro: vec![format!("Questions: {}", incident.contact)],
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::messages::render::{render_html, render_text};
    use time::macros::datetime;

    fn facts() -> IncidentFacts {
        IncidentFacts {
            title: "A support agent's sign-in was stolen".into(),
            description: "Someone used <Sam>'s sign-in.".into(),
            cause: IncidentCause::StaffCredential,
            window_start: datetime!(2026-03-01 10:00 UTC),
            window_end: datetime!(2026-03-01 12:00 UTC),
            password_url: None,
            contact: "security@example.org".into(),
        }
    }

    fn mailbox() -> AffectedMailbox {
        AffectedMailbox {
            address: "emeka.obi@example.org".into(),
            exposure: Exposure::Metadata,
            accesses: 3,
            page_url: "https://glassbox.example.org/me/incidents/1".into(),
        }
    }

    fn owner() -> Addressee {
        Addressee {
            name: "Emeka O'Brien".into(),
            email: "emeka@home.example.org".into(),
        }
    }

    #[test]
    fn the_notice_says_what_gdpr_article_34_asks_for() {
        let n = incident_notice(&owner(), &facts(), &mailbox(), &NoticeRound::First);
        assert_eq!(n.kind, NoticeKind::IncidentNotice);
        assert_eq!(
            n.subject,
            "A security incident affected your mailbox emeka.obi@example.org"
        );
        let text = render_text(&n.body);
        for part in [
            "What happened",
            "What was exposed",
            "What this may mean for you",
            "What we have done",
            "What you should do",
            "Change your password",
            "Questions: security@example.org",
            "Between 01 March 2026, 10:00 UTC and 01 March 2026, 12:00 UTC, your mailbox emeka.obi@example.org was accessed 3 times",
        ] {
            assert!(text.contains(part), "{part} missing from:\n{text}");
        }
    }

    #[test]
    fn one_access_is_counted_in_words_without_a_bracketed_plural() {
        let one = AffectedMailbox {
            accesses: 1,
            ..mailbox()
        };
        let text =
            render_text(&incident_notice(&owner(), &facts(), &one, &NoticeRound::First).body);
        assert!(text.contains("was accessed 1 time as part"), "{text}");
        assert!(!text.contains("time(s)"), "{text}");
    }

    #[test]
    fn a_follow_up_has_its_own_kind_and_leads_with_the_update() {
        let round = NoticeRound::FollowUp("We found <no> further access.".into());
        let n = incident_notice(&owner(), &facts(), &mailbox(), &round);
        assert_eq!(n.kind, NoticeKind::IncidentFollowUp);
        assert!(n.subject.starts_with("Update on a security incident"));
        let html = render_html(&n.body);
        assert!(
            html.contains("An update from our security team: We found &lt;no&gt; further access.")
        );
    }

    #[test]
    fn everything_a_person_wrote_is_escaped_in_the_html_notice() {
        let n = incident_notice(&owner(), &facts(), &mailbox(), &NoticeRound::First);
        let html = render_html(&n.body);
        assert!(
            html.contains("Hello Emeka O&#39;Brien,"),
            "the name's quote is escaped"
        );
        assert!(html.contains("Someone used &lt;Sam&gt;&#39;s sign-in."));
        assert!(!html.contains("<Sam>"));
    }
}
