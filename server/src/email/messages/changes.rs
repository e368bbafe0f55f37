//! The emails that keep an owner told of every change (when they chose to hear about
//! accesses at once): a request that expired or was withdrawn, a grant shortened or about to
//! end, and access attempts that were refused; and the agent's notice that the owner
//! shortened their access.

use super::{greeting, Addressee, Body, Link, Notice, NoticeKind, RequestFacts, Section};
use app::components::format::date_time;
use app::model::ChangeActor;
use time::OffsetDateTime;

fn see_request(page_url: String) -> Option<Link> {
    Some(Link {
        label: "See the request and its history".into(),
        url: page_url,
    })
}

fn notice(kind: NoticeKind, to: &Addressee, subject: String, body: Body) -> Notice {
    Notice {
        kind,
        recipient: to.email.clone(),
        subject,
        body: Body {
            greeting: greeting(&to.name),
            ..body
        },
        list_unsubscribe: None,
    }
}

/// To the owner: nobody decided a request in time.
pub fn request_expired(owner: &Addressee, r: &RequestFacts, page_url: String) -> Notice {
    notice(
        NoticeKind::OwnerRequestExpired,
        owner,
        format!("Expired: the access request for {}", r.mailbox),
        Body {
            heading: format!("{}'s request for {} expired", r.who(), r.mailbox),
            intro: vec![format!(
                "Nobody decided by {}, so the request expired and nobody got access. Staff have to ask again if they still need it.",
                date_time(r.expires_at)
            )],
            action: see_request(page_url),
            ..Body::default()
        },
    )
}

/// To the owner: a pending request was withdrawn, by the agent or by the security team.
pub fn request_withdrawn(
    owner: &Addressee,
    r: &RequestFacts,
    by: ChangeActor,
    page_url: String,
) -> Notice {
    let who = if by == ChangeActor::Security {
        "The security team".to_string()
    } else {
        r.who()
    };
    notice(
        NoticeKind::RequestWithdrawn,
        owner,
        format!("Withdrawn: the access request for {}", r.mailbox),
        Body {
            heading: format!("{who} withdrew the request for {}", r.mailbox),
            intro: vec![
                "You no longer need to decide: the request was withdrawn before a decision, and nobody got access.".into(),
            ],
            action: see_request(page_url),
            ..Body::default()
        },
    )
}

/// To the owner: they shortened a grant.
pub fn grant_shortened(owner: &Addressee, r: &RequestFacts, page_url: String) -> Notice {
    let ends = r.grant_ends_at.map(date_time).unwrap_or_default();
    notice(
        NoticeKind::GrantShortened,
        owner,
        format!("Access to {} now ends at {ends}", r.mailbox),
        Body {
            heading: format!("You shortened the access of {}", r.who()),
            intro: vec![format!(
                "Access to {} now ends at {ends}; after that nobody can access it under this approval. You can still revoke it sooner.",
                r.mailbox
            )],
            action: see_request(page_url),
            outro: vec!["If you did not shorten this access yourself, change your password and turn on two-factor sign-in now.".into()],
            ..Body::default()
        },
    )
}

/// To the agent: the owner shortened their access.
pub fn grant_shortened_for_agent(
    agent: &Addressee,
    r: &RequestFacts,
    console_url: String,
) -> Notice {
    let ends = r.grant_ends_at.map(date_time).unwrap_or_default();
    notice(
        NoticeKind::GrantShortenedAgent,
        agent,
        format!("Shortened: your access to {} now ends at {ends}", r.mailbox),
        Body {
            heading: format!("The owner of {} shortened your access", r.mailbox),
            intro: vec![format!("Your access now ends at {ends}.")],
            action: Some(Link {
                label: "Open the staff console".into(),
                url: console_url,
            }),
            ..Body::default()
        },
    )
}

/// To the owner: a grant ends in a few minutes.
pub fn grant_ending_soon(
    owner: &Addressee,
    r: &RequestFacts,
    minutes_left: i64,
    page_url: String,
) -> Notice {
    let ends = r.grant_ends_at.map(date_time).unwrap_or_default();
    notice(
        NoticeKind::GrantEndingSoon,
        owner,
        format!("Access to {} ends in {minutes_left} minutes", r.mailbox),
        Body {
            heading: format!("The access of {} ends at {ends}", r.who()),
            intro: vec![format!(
                "You need to do nothing: access to {} stops by itself at {ends}, and you will get a summary of what was accessed. To stop it sooner, revoke it on the request's page.",
                r.mailbox
            )],
            action: see_request(page_url),
            ..Body::default()
        },
    )
}

/// Refused attempts on one mailbox by one agent, for the alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedAttempts {
    /// The mailbox.
    pub mailbox: String,
    /// Who tried, by pseudonym.
    pub agent_pseudonym: String,
    /// Why it was refused, as recorded ("Refused: no approved request").
    pub reason: String,
    /// How many times.
    pub count: i64,
}

/// To the owner: access attempts on their mailboxes were refused, in one email per burst.
pub fn access_refused(
    owner: &Addressee,
    attempts: &[RefusedAttempts],
    first_at: OffsetDateTime,
    last_at: OffsetDateTime,
    history_url: String,
    security_url: Option<String>,
) -> Notice {
    let total: i64 = attempts.iter().map(|a| a.count).sum();
    let tries = if total == 1 {
        "1 attempt".to_string()
    } else {
        format!("{total} attempts")
    };
    let when = if first_at == last_at {
        format!("at {}", date_time(first_at))
    } else {
        format!("between {} and {}", date_time(first_at), date_time(last_at))
    };
    let items = attempts
        .iter()
        .map(|a| {
            let times = if a.count == 1 {
                "once".to_string()
            } else {
                format!("{} times", a.count)
            };
            let why = a.reason.strip_prefix("Refused: ").unwrap_or(&a.reason);
            format!("{} on {}, {times}: {why}", a.agent_pseudonym, a.mailbox)
        })
        .collect();
    let mut outro = vec![
        "If you did not expect anyone to try, someone may be using a staff member's stolen sign-in: nothing was accessed, but tell the provider's security team.".to_string(),
    ];
    if let Some(url) = security_url {
        outro.push(format!("To secure your own account: {url}"));
    }
    notice(
        NoticeKind::AccessRefused,
        owner,
        format!("Refused: {tries} to access your mailbox"),
        Body {
            heading: format!("Glassbox refused {tries} to access your mailbox"),
            intro: vec![format!(
                "{tries} to access your mailbox {when} had no approval from you, so Glassbox refused {}: nothing was read.",
                if total == 1 { "it" } else { "them all" }
            )],
            sections: vec![Section {
                heading: "What was refused".into(),
                items,
                ..Section::default()
            }],
            action: Some(Link {
                label: "See your access history".into(),
                url: history_url,
            }),
            outro,
            ..Body::default()
        },
    )
}
