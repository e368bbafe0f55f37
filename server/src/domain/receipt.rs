//! What an IMAP command of a staff session tells the owner: Dovecot exports each finished
//! command (`imap_command_finished`: `cmd_name`, `cmd_args`, `tagged_reply_state`), and the
//! commands that read the mailbox become receipts in the owner's history — which folder was
//! opened, how many messages were fetched, and whether headers or bodies. Pure: the caller
//! matches the session and records the event.

use app::model::Scope;

/// One receipt: what the owner reads, and how it is filed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// `metadata` (folder opened, headers) or `content` (bodies).
    pub scope: Scope,
    /// Stable action code.
    pub action: &'static str,
    /// What was touched (`folder:INBOX`, `messages:1:3`).
    pub resource: String,
    /// In plain words.
    pub words: String,
}

/// The receipt of a finished command, if it read anything; failed commands and commands
/// that read nothing (NOOP, LOGOUT, CAPABILITY, …) have none.
pub fn receipt_of(cmd_name: &str, cmd_args: &str, reply_state: &str) -> Option<Receipt> {
    if !reply_state.eq_ignore_ascii_case("OK") {
        return None;
    }
    let name = cmd_name.trim().to_ascii_uppercase();
    let args = cmd_args.trim();
    match name.as_str() {
        "SELECT" | "EXAMINE" => {
            let folder = args.split_whitespace().next()?.trim_matches('"');
            let folder: String = folder
                .chars()
                .filter(|c| !c.is_control())
                .take(128)
                .collect();
            let shown = if folder.eq_ignore_ascii_case("INBOX") {
                "Inbox".to_string()
            } else {
                folder.clone()
            };
            Some(Receipt {
                scope: Scope::Metadata,
                action: "imap_open_folder",
                resource: format!("folder:{folder}"),
                words: format!("Opened {shown}"),
            })
        }
        "FETCH" | "UID FETCH" => {
            let (set, items) = args.split_once(' ').unwrap_or((args, ""));
            let set: String = set
                .chars()
                .filter(|c| c.is_ascii_digit() || ":,*".contains(*c))
                .take(128)
                .collect();
            if set.is_empty() {
                return None;
            }
            let bodies = reads_bodies(items);
            let count = message_count(&set);
            let noun = match count {
                Some(1) => "1 message".to_string(),
                Some(n) => format!("{n} messages"),
                None => "messages".to_string(),
            };
            let uid = if name.starts_with("UID") { "uid:" } else { "" };
            Some(if bodies {
                Receipt {
                    scope: Scope::Content,
                    action: "imap_read_bodies",
                    resource: format!("messages:{uid}{set}"),
                    words: format!("Read {noun} (bodies)"),
                }
            } else {
                Receipt {
                    scope: Scope::Metadata,
                    action: "imap_read_headers",
                    resource: format!("messages:{uid}{set}"),
                    words: format!("Read the headers of {noun}"),
                }
            })
        }
        _ => None,
    }
}

/// Whether FETCH items include message text: `BODY[…]`/`BODY.PEEK[…]` other than header
/// sections, `RFC822`, `RFC822.TEXT`, `BINARY[…]`.
fn reads_bodies(items: &str) -> bool {
    let up = items.to_ascii_uppercase();
    if up.contains("BINARY") || up.contains("RFC822.TEXT") {
        return true;
    }
    // RFC822 alone (not .HEADER/.SIZE).
    if up
        .match_indices("RFC822")
        .any(|(i, _)| !up[i + 6..].starts_with('.'))
    {
        return true;
    }
    up.match_indices('[').any(|(i, _)| {
        let before = &up[..i];
        let section = up[i + 1..].split(']').next().unwrap_or("");
        (before.ends_with("BODY") || before.ends_with("BODY.PEEK"))
            && !section.contains("HEADER")
            && !section.ends_with("MIME")
    })
}

/// How many messages a sequence set names; `None` with `*` (unknown here).
fn message_count(set: &str) -> Option<u64> {
    let mut n = 0u64;
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
                n = n.checked_add(a.abs_diff(b) + 1)?;
            }
            None => {
                part.parse::<u64>().ok()?;
                n = n.checked_add(1)?;
            }
        }
    }
    Some(n)
}

/// What a session's receipts show, in one sentence about `who`: the folders opened, how
/// many messages had their bodies read and how many only their headers listed. Never more
/// than the receipts show: a message fetched twice counts once, sequence numbers and UIDs
/// (which may name the same messages) are not added up (the larger count is taken), and a
/// set ending in `*` has no count. `receipts` are `(action, resource)` pairs as recorded.
pub fn session_summary<'a>(
    who: &str,
    receipts: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut folders: Vec<String> = Vec::new();
    // [sequence numbers, UIDs] × ranges.
    let mut bodies: [Vec<(u64, u64)>; 2] = [Vec::new(), Vec::new()];
    let mut headers: [Vec<(u64, u64)>; 2] = [Vec::new(), Vec::new()];
    let (mut bodies_open, mut headers_open) = (false, false);
    for (action, resource) in receipts {
        match action {
            "imap_open_folder" => {
                let folder = resource.strip_prefix("folder:").unwrap_or(resource);
                let shown = if folder.eq_ignore_ascii_case("INBOX") {
                    "Inbox".to_string()
                } else {
                    folder.to_string()
                };
                if !folders.contains(&shown) {
                    folders.push(shown);
                }
            }
            "imap_read_bodies" | "imap_read_headers" => {
                let set = resource.strip_prefix("messages:").unwrap_or(resource);
                let (kind, set) = match set.strip_prefix("uid:") {
                    Some(rest) => (1, rest),
                    None => (0, set),
                };
                let target = if action == "imap_read_bodies" {
                    &mut bodies[kind]
                } else {
                    &mut headers[kind]
                };
                match ranges(set) {
                    Some(r) => target.extend(r),
                    None if action == "imap_read_bodies" => bodies_open = true,
                    None => headers_open = true,
                }
            }
            _ => {}
        }
    }
    let body_count = (0..2).map(|k| covered(&bodies[k])).max().unwrap_or(0);
    // Headers of messages whose bodies were not read (in the same numbering).
    let header_count = (0..2)
        .map(|k| {
            let both: Vec<(u64, u64)> = headers[k].iter().chain(&bodies[k]).copied().collect();
            covered(&both) - covered(&bodies[k])
        })
        .max()
        .unwrap_or(0);
    let messages = |n: u64| {
        if n == 1 {
            "1 message".to_string()
        } else {
            format!("{n} messages")
        }
    };
    let mut parts = Vec::new();
    if !folders.is_empty() {
        parts.push(format!("opened {}", and_list(&folders)));
    }
    if body_count > 0 {
        parts.push(format!("read {} (bodies)", messages(body_count)));
    } else if bodies_open {
        parts.push("read messages (bodies)".to_string());
    }
    if header_count > 0 {
        parts.push(format!("listed the headers of {}", messages(header_count)));
    } else if headers_open {
        parts.push("listed message headers".to_string());
    }
    if parts.is_empty() {
        return format!("{who} logged in; no folder opened or message read was reported.");
    }
    format!("{who} {}.", and_list(&parts))
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The ranges of a sequence set (`1:3,7`); `None` with `*` or anything unreadable.
fn ranges(set: &str) -> Option<Vec<(u64, u64)>> {
    set.split(',')
        .map(|part| match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
                Some((a.min(b), a.max(b)))
            }
            None => part.parse().ok().map(|n| (n, n)),
        })
        .collect()
}

/// How many distinct numbers the ranges cover.
fn covered(ranges: &[(u64, u64)]) -> u64 {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut total = 0u64;
    let mut reach: Option<u64> = None;
    for (a, b) in sorted {
        let start = match reach {
            Some(r) if a <= r => r.saturating_add(1),
            _ => a,
        };
        if b >= start {
            total = total.saturating_add(b - start + 1);
        }
        reach = Some(reach.map_or(b, |r| r.max(b)));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_summary_says_what_was_opened_and_read() {
        let r = [
            ("imap_open_folder", "folder:INBOX"),
            ("imap_read_bodies", "messages:1:3"),
        ];
        assert_eq!(
            session_summary("Sam", r),
            "Sam opened Inbox and read 3 messages (bodies)."
        );
        let r = [
            ("imap_open_folder", "folder:INBOX"),
            ("imap_read_headers", "messages:1:12"),
        ];
        assert_eq!(
            session_summary("Sam", r),
            "Sam opened Inbox and listed the headers of 12 messages."
        );
    }

    #[test]
    fn a_session_summary_never_counts_a_message_twice() {
        let r = [
            ("imap_open_folder", "folder:INBOX"),
            ("imap_open_folder", "folder:INBOX"),
            ("imap_read_headers", "messages:1:3"),
            ("imap_read_bodies", "messages:3"),
            ("imap_read_bodies", "messages:2:3"),
            // The same messages by UID: not added to the sequence numbers.
            ("imap_read_bodies", "messages:uid:40,41"),
        ];
        assert_eq!(
            session_summary("Sam", r),
            "Sam opened Inbox, read 2 messages (bodies) and listed the headers of 1 message."
        );
    }

    #[test]
    fn a_session_summary_without_receipts_or_counts_claims_nothing() {
        assert_eq!(
            session_summary("Sam", []),
            "Sam logged in; no folder opened or message read was reported."
        );
        assert_eq!(
            session_summary("Sam", [("imap_read_bodies", "messages:1:*")]),
            "Sam read messages (bodies)."
        );
    }

    #[test]
    fn selecting_the_inbox_is_opening_it() {
        let r = receipt_of("SELECT", "INBOX", "OK").unwrap();
        assert_eq!(r.words, "Opened Inbox");
        assert_eq!(r.scope, Scope::Metadata);
        assert_eq!(r.resource, "folder:INBOX");
    }

    #[test]
    fn fetching_header_sections_reads_headers_only() {
        let r = receipt_of("FETCH", "1:2 (BODY.PEEK[HEADER])", "OK").unwrap();
        assert_eq!(r.words, "Read the headers of 2 messages");
        assert_eq!(r.scope, Scope::Metadata);
        assert!(!reads_bodies(
            "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)"
        ));
    }

    #[test]
    fn fetching_text_reads_bodies() {
        let r = receipt_of("FETCH", "3 (BODY[TEXT])", "OK").unwrap();
        assert_eq!(r.words, "Read 1 message (bodies)");
        assert_eq!(r.scope, Scope::Content);
        assert!(reads_bodies("(RFC822)"));
        assert!(reads_bodies("(BODY.PEEK[])"));
        assert_eq!(
            receipt_of("UID FETCH", "5,7:9 (BODY[])", "OK")
                .unwrap()
                .words,
            "Read 4 messages (bodies)"
        );
    }

    #[test]
    fn failed_or_harmless_commands_leave_no_receipt() {
        assert!(receipt_of("FETCH", "1 (BODY[])", "NO").is_none());
        assert!(receipt_of("NOOP", "", "OK").is_none());
        assert!(receipt_of("LOGOUT", "", "OK").is_none());
    }

    #[test]
    fn an_open_ended_set_has_no_count() {
        assert_eq!(
            receipt_of("FETCH", "1:* (FLAGS)", "OK").unwrap().words,
            "Read the headers of messages"
        );
    }
}
