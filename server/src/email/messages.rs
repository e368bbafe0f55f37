//! Typed notices: one builder per email Glassbox sends, each rendered from one [`Body`] into
//! plain text and accessible HTML (a language, a title, headings, a definition list, no
//! images, no tracking). Everything that came from a person (justifications, reasons) is
//! escaped in HTML; subjects only hold Glassbox's own words, pseudonyms and addresses.

use crate::db::notices::{AccessCount, DigestLine};
use crate::db::outbox::NewOutboxMessage;
use crate::db::requests::RequestRecord;
use app::components::format::{date_time, duration_minutes, sentence_list};
use app::model::{ChangeActor, Scope};
use time::OffsetDateTime;

/// Which email this is. The names are stored in `outbox.kind` and sent as
/// `X-Glassbox-Notice`: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// To the owner: someone asks for access.
    RequestSubmitted,
    /// To the agent: the owner approved.
    RequestApproved,
    /// To the agent: the owner said no.
    RequestDenied,
    /// To the agent: nobody decided in time.
    RequestExpired,
    /// To the owner: they revoked a grant (with what was accessed).
    GrantRevoked,
    /// To the owner: a grant ended (with what was accessed).
    GrantEnded,
    /// To the owner: the first access under a grant happened.
    FirstAccess,
    /// To the owner: a day's accesses.
    AccessDigest,
}

impl NoticeKind {
    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestSubmitted => "request_submitted",
            Self::RequestApproved => "request_approved",
            Self::RequestDenied => "request_denied",
            Self::RequestExpired => "request_expired",
            Self::GrantRevoked => "grant_revoked",
            Self::GrantEnded => "grant_ended",
            Self::FirstAccess => "first_access",
            Self::AccessDigest => "access_digest",
        }
    }
}

/// A labelled link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// What the link does, in words.
    pub label: String,
    /// Where it goes.
    pub url: String,
}

/// The content of one email, before rendering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    /// The first line.
    pub greeting: String,
    /// The main heading (also the HTML title).
    pub heading: String,
    /// Paragraphs before the facts.
    pub intro: Vec<String>,
    /// Label → value pairs.
    pub facts: Vec<(String, String)>,
    /// A list after the facts (what was accessed).
    pub list_heading: Option<String>,
    /// Its items.
    pub list: Vec<String>,
    /// The one thing to do, if any.
    pub action: Option<Link>,
    /// Paragraphs after the action.
    pub outro: Vec<String>,
}

/// A rendered email for one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Which email.
    pub kind: NoticeKind,
    /// Recipient address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Content.
    pub body: Body,
    /// One-click unsubscribe URL (digests).
    pub list_unsubscribe: Option<String>,
}

impl Notice {
    /// The outbox row for this notice. `key` makes it unique (a second enqueue with the same
    /// key is ignored); `domain` is the right-hand side of its Message-ID.
    pub fn into_outbox(self, key: String, domain: &str, now: OffsetDateTime) -> NewOutboxMessage {
        let id = uuid::Uuid::now_v7();
        NewOutboxMessage {
            id,
            idempotency_key: format!("{}:{key}", self.kind.as_str()),
            message_id: format!("<{}@{domain}>", id.simple()),
            kind: self.kind.as_str().to_string(),
            recipient: self.recipient,
            subject: self.subject,
            body_text: render_text(&self.body),
            body_html: render_html(&self.body),
            list_unsubscribe: self.list_unsubscribe,
            created_at: now,
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const SIGNATURE: &str =
    "Glassbox shows you every time staff access your mailbox. This email was sent automatically; replies are not read.";

/// The plain-text rendering.
pub fn render_text(b: &Body) -> String {
    let mut out = String::new();
    out.push_str(&b.greeting);
    out.push_str("\n\n");
    out.push_str(&b.heading);
    out.push_str("\n\n");
    for p in &b.intro {
        out.push_str(p);
        out.push_str("\n\n");
    }
    for (label, value) in &b.facts {
        out.push_str(&format!("{label}: {value}\n"));
    }
    if !b.facts.is_empty() {
        out.push('\n');
    }
    if let Some(h) = &b.list_heading {
        out.push_str(h);
        out.push('\n');
        for item in &b.list {
            out.push_str(&format!("- {item}\n"));
        }
        out.push('\n');
    }
    if let Some(a) = &b.action {
        out.push_str(&format!("{}:\n{}\n\n", a.label, a.url));
    }
    for p in &b.outro {
        out.push_str(p);
        out.push_str("\n\n");
    }
    out.push_str("-- \n");
    out.push_str(SIGNATURE);
    out.push('\n');
    out
}

/// The HTML rendering: semantic, readable without styles, no images or remote content.
pub fn render_html(b: &Body) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n</head>\n", escape(&b.heading)));
    out.push_str("<body style=\"font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1f24; max-width: 40em; margin: 0 auto; padding: 1em;\">\n<main>\n");
    out.push_str(&format!("<p>{}</p>\n", escape(&b.greeting)));
    out.push_str(&format!(
        "<h1 style=\"font-size: 1.3em;\">{}</h1>\n",
        escape(&b.heading)
    ));
    for p in &b.intro {
        out.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    if !b.facts.is_empty() {
        out.push_str("<dl>\n");
        for (label, value) in &b.facts {
            out.push_str(&format!(
                "<dt style=\"font-weight: bold;\">{}</dt><dd style=\"margin: 0 0 0.5em 0;\">{}</dd>\n",
                escape(label),
                escape(value)
            ));
        }
        out.push_str("</dl>\n");
    }
    if let Some(h) = &b.list_heading {
        out.push_str(&format!(
            "<h2 style=\"font-size: 1.1em;\">{}</h2>\n<ul>\n",
            escape(h)
        ));
        for item in &b.list {
            out.push_str(&format!("<li>{}</li>\n", escape(item)));
        }
        out.push_str("</ul>\n");
    }
    if let Some(a) = &b.action {
        out.push_str(&format!(
            "<p><a href=\"{}\" style=\"display: inline-block; padding: 0.6em 1.2em; background: #0b5cad; color: #ffffff; text-decoration: none; border-radius: 4px;\">{}</a></p>\n",
            escape(&a.url),
            escape(&a.label)
        ));
        out.push_str(&format!(
            "<p style=\"font-size: 0.9em;\">If the button does not work, copy this address into your browser: {}</p>\n",
            escape(&a.url)
        ));
    }
    for p in &b.outro {
        out.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    out.push_str(&format!(
        "</main>\n<footer><p style=\"font-size: 0.85em; color: #555;\">{}</p></footer>\n</body>\n</html>\n",
        escape(SIGNATURE)
    ));
    out
}

fn scopes_in_words(scopes: &[Scope]) -> String {
    let words: Vec<&str> = scopes.iter().map(|s| s.plain_words()).collect();
    sentence_list(&words)
}

fn who(r: &RequestRecord) -> String {
    format!("{} ({})", r.agent_pseudonym, r.agent_role.label())
}

fn why(r: &RequestRecord) -> String {
    format!(
        "{}: {}",
        r.justification_code.plain_words(),
        r.justification_text
    )
}

fn greeting(name: &str) -> String {
    format!("Hello {name},")
}

/// What was accessed, one line per scope and action.
fn summary_lines(summary: &[AccessCount]) -> Vec<String> {
    summary
        .iter()
        .map(|a| {
            let scope = a
                .scope
                .parse::<Scope>()
                .map(|s| s.plain_words().to_string())
                .unwrap_or_else(|_| a.scope.clone());
            let times = if a.count == 1 {
                "once".to_string()
            } else {
                format!("{} times", a.count)
            };
            format!(
                "{} ({}), {times}, first at {}",
                action_words(&a.action),
                scope,
                date_time(a.first_at)
            )
        })
        .collect()
}

fn action_words(action: &str) -> String {
    action.replace('_', " ")
}

/// To the owner: someone asks for access. `decide_url` opens the request (the page's
/// buttons decide; the link alone changes nothing).
pub fn request_submitted(
    owner_name: &str,
    owner_email: &str,
    r: &RequestRecord,
    decide_url: String,
) -> Notice {
    let mut facts = vec![
        ("Who".into(), who(r)),
        ("What they could do".into(), scopes_in_words(&r.scopes)),
        ("Why".into(), why(r)),
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
        recipient: owner_email.to_string(),
        subject: format!("Access request for {}: please decide", r.mailbox),
        body: Body {
            greeting: greeting(owner_name),
            heading: format!("{} asks to access your mailbox {}", who(r), r.mailbox),
            intro: vec!["Nobody can access your mailbox until you approve. If you do nothing, the request expires and nobody gets access.".into()],
            facts,
            action: Some(Link {
                label: "Review the request and decide".into(),
                url: decide_url,
            }),
            outro: vec!["Opening the link changes nothing by itself: you decide on the page it opens. Approving asks you to sign in.".into()],
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the agent: the owner approved.
pub fn request_approved(
    agent_name: &str,
    agent_email: &str,
    r: &RequestRecord,
    console_url: String,
) -> Notice {
    let ends = r.grant_ends_at.map(date_time).unwrap_or_default();
    Notice {
        kind: NoticeKind::RequestApproved,
        recipient: agent_email.to_string(),
        subject: format!("Approved: your access request for {}", r.mailbox),
        body: Body {
            greeting: greeting(agent_name),
            heading: format!("The owner of {} approved your request", r.mailbox),
            intro: vec![format!(
                "You may now {} until {ends}. Every access is recorded and shown to the owner.",
                scopes_in_words(&r.scopes)
            )],
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
pub fn request_denied(
    agent_name: &str,
    agent_email: &str,
    r: &RequestRecord,
    console_url: String,
) -> Notice {
    let reason = r
        .decision_reason
        .clone()
        .unwrap_or_else(|| "The owner gave no reason.".into());
    Notice {
        kind: NoticeKind::RequestDenied,
        recipient: agent_email.to_string(),
        subject: format!("Denied: your access request for {}", r.mailbox),
        body: Body {
            greeting: greeting(agent_name),
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
pub fn request_expired(
    agent_name: &str,
    agent_email: &str,
    r: &RequestRecord,
    console_url: String,
) -> Notice {
    Notice {
        kind: NoticeKind::RequestExpired,
        recipient: agent_email.to_string(),
        subject: format!("Expired: your access request for {}", r.mailbox),
        body: Body {
            greeting: greeting(agent_name),
            heading: format!("Your request for {} expired without a decision", r.mailbox),
            intro: vec![format!("The owner did not decide by {}. You have no access; ask again if you still need it.", date_time(r.expires_at))],
            action: Some(Link { label: "Open the staff console".into(), url: console_url }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

fn accessed(summary: &[AccessCount]) -> (Option<String>, Vec<String>, Vec<String>) {
    if summary.is_empty() {
        (
            None,
            Vec::new(),
            vec!["Nothing was accessed under this grant.".into()],
        )
    } else {
        (
            Some("What was accessed".into()),
            summary_lines(summary),
            Vec::new(),
        )
    }
}

/// To the owner: they revoked a grant.
pub fn grant_revoked(
    owner_name: &str,
    owner_email: &str,
    r: &RequestRecord,
    by: ChangeActor,
    summary: &[AccessCount],
    page_url: String,
) -> Notice {
    let (list_heading, list, mut outro) = accessed(summary);
    let (subject, intro) = if by == ChangeActor::Security {
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
        recipient: owner_email.to_string(),
        subject,
        body: Body {
            greeting: greeting(owner_name),
            heading: format!("{} can no longer access {}", who(r), r.mailbox),
            intro: vec![intro.into()],
            list_heading,
            list,
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
    owner_name: &str,
    owner_email: &str,
    r: &RequestRecord,
    summary: &[AccessCount],
    page_url: String,
) -> Notice {
    let (list_heading, list, outro) = accessed(summary);
    Notice {
        kind: NoticeKind::GrantEnded,
        recipient: owner_email.to_string(),
        subject: format!("Access to {} has ended", r.mailbox),
        body: Body {
            greeting: greeting(owner_name),
            heading: format!("The access you gave {} has ended", who(r)),
            intro: vec![format!(
                "Access to {} ended at {}. Nobody can access it under this approval any more.",
                r.mailbox,
                r.grant_ends_at.map(date_time).unwrap_or_default()
            )],
            list_heading,
            list,
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
    owner_name: &str,
    owner_email: &str,
    r: &RequestRecord,
    first: &AccessCount,
    history_url: String,
) -> Notice {
    let scope = first
        .scope
        .parse::<Scope>()
        .map(|s| s.plain_words().to_string())
        .unwrap_or_else(|_| first.scope.clone());
    Notice {
        kind: NoticeKind::FirstAccess,
        recipient: owner_email.to_string(),
        subject: format!("{} has started accessing {}", r.agent_pseudonym, r.mailbox),
        body: Body {
            greeting: greeting(owner_name),
            heading: format!("{} has started accessing your mailbox {}", who(r), r.mailbox),
            intro: vec!["This is the first access under the request you approved. You will get a summary when the access ends.".into()],
            facts: vec![
                ("First access".into(), date_time(first.first_at)),
                ("What".into(), format!("{} ({scope})", action_words(&first.action))),
                ("Access ends".into(), r.grant_ends_at.map(date_time).unwrap_or_default()),
            ],
            action: Some(Link { label: "See every access, or revoke".into(), url: history_url }),
            ..Body::default()
        },
        list_unsubscribe: None,
    }
}

/// To the owner: a day's accesses, with one-click unsubscribe.
pub fn access_digest(
    owner_name: &str,
    owner_email: &str,
    lines: &[DigestLine],
    history_url: String,
    unsubscribe_url: String,
) -> Notice {
    let total: i64 = lines.iter().map(|l| l.count).sum();
    let list = lines
        .iter()
        .map(|l| {
            let scope = l
                .scope
                .parse::<Scope>()
                .map(|s| s.plain_words().to_string())
                .unwrap_or_else(|_| l.scope.clone());
            let times = if l.count == 1 {
                "once".to_string()
            } else {
                format!("{} times", l.count)
            };
            format!("{}: {} — {scope}, {times}", l.mailbox, l.agent_pseudonym)
        })
        .collect();
    Notice {
        kind: NoticeKind::AccessDigest,
        recipient: owner_email.to_string(),
        subject: format!("Your daily access summary: {total} access{}", if total == 1 { "" } else { "es" }),
        body: Body {
            greeting: greeting(owner_name),
            heading: "Staff accesses to your mailbox in the last day".into(),
            list_heading: Some("Who accessed what".into()),
            list,
            action: Some(Link { label: "See every access".into(), url: history_url }),
            outro: vec![format!("You get this summary once a day because you chose it. To stop it, use the unsubscribe link of your email program or open: {unsubscribe_url}")],
            ..Body::default()
        },
        list_unsubscribe: Some(unsubscribe_url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_in_html_and_kept_verbatim_in_text() {
        let body = Body {
            greeting: "Hello <b>Mallory</b>,".into(),
            heading: "H".into(),
            facts: vec![(
                "Why".into(),
                "<script>alert(1)</script> & \"quotes\"".into(),
            )],
            action: Some(Link {
                label: "Go".into(),
                url: "https://x.example/?a=1&b=\"2\"".into(),
            }),
            ..Body::default()
        };
        let html = render_html(&body);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assert!(html.contains("href=\"https://x.example/?a=1&amp;b=&quot;2&quot;\""));
        assert!(!html.contains("<img"), "no images, no tracking pixels");
        let text = render_text(&body);
        assert!(text.contains("Why: <script>alert(1)</script> & \"quotes\""));
    }

    #[test]
    fn every_notice_kind_has_a_distinct_stable_name() {
        let kinds = [
            NoticeKind::RequestSubmitted,
            NoticeKind::RequestApproved,
            NoticeKind::RequestDenied,
            NoticeKind::RequestExpired,
            NoticeKind::GrantRevoked,
            NoticeKind::GrantEnded,
            NoticeKind::FirstAccess,
            NoticeKind::AccessDigest,
        ];
        let names: std::collections::HashSet<_> = kinds.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), kinds.len());
        assert_eq!(NoticeKind::RequestSubmitted.as_str(), "request_submitted");
    }
}
