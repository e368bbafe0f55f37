//! The one renderer of emails: a [`Body`] becomes plain text and accessible HTML (a
//! language, a title, headings, a definition list, no images, no tracking). [`escape`] is
//! the server's only HTML escaper; pages are Leptos components, which escape by themselves.

use super::Body;

/// Escapes text for HTML element content and attribute values (single- or double-quoted),
/// so nothing a person wrote can open a tag or leave an attribute.
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

/// Text that may hold a person's line breaks, as the plain-text email shows it: every line
/// after the first is indented and marked `| `, so no line a person wrote can stand at the
/// start of a line and pass for one of the email's own ("For how long: …", a link to
/// decide).
fn block(s: &str) -> String {
    s.replace('\n', "\n    | ")
}

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
        out.push_str(&format!("{label}: {}\n", block(value)));
    }
    if !b.facts.is_empty() {
        out.push('\n');
    }
    for s in &b.sections {
        out.push_str(&s.heading);
        out.push('\n');
        for p in &s.paragraphs {
            out.push_str(&block(p));
            out.push('\n');
        }
        for item in &s.items {
            out.push_str(&format!("- {}\n", block(item)));
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
    for s in &b.sections {
        out.push_str(&format!(
            "<h2 style=\"font-size: 1.1em;\">{}</h2>\n",
            escape(&s.heading)
        ));
        for p in &s.paragraphs {
            out.push_str(&format!("<p>{}</p>\n", escape(p)));
        }
        if !s.items.is_empty() {
            out.push_str("<ul>\n");
            for item in &s.items {
                out.push_str(&format!("<li>{}</li>\n", escape(item)));
            }
            out.push_str("</ul>\n");
        }
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

#[cfg(test)]
mod tests {
    use super::super::{Link, Section};
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
    fn the_escaper_escapes_single_quotes_too() {
        // A value in a single-quoted attribute must not be able to close it.
        assert_eq!(escape("O'Brien"), "O&#39;Brien");
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_section_renders_its_heading_paragraphs_and_list_in_both_forms() {
        let body = Body {
            greeting: "Hello,".into(),
            heading: "H".into(),
            sections: vec![Section {
                heading: "What you should do".into(),
                paragraphs: vec!["Change your password.".into()],
                items: vec!["Check your filters.".into()],
            }],
            ..Body::default()
        };
        let text = render_text(&body);
        assert!(
            text.contains("What you should do\nChange your password.\n- Check your filters.\n"),
            "{text}"
        );
        let html = render_html(&body);
        assert!(html.contains("<h2 style=\"font-size: 1.1em;\">What you should do</h2>\n<p>Change your password.</p>\n<ul>\n<li>Check your filters.</li>"), "{html}");
    }
}

#[cfg(test)]
mod forged_line_tests {
    use super::*;

    #[test]
    fn a_persons_line_breaks_cannot_start_a_line_of_the_email() {
        let body = Body {
            greeting: "Hello Alice,".into(),
            heading: "Sam asks to read your mailbox".into(),
            facts: vec![
                (
                    "Why".into(),
                    "Customer asked\nFor how long: 1 minute\nDecide here: https://evil.example/x"
                        .into(),
                ),
                ("For how long".into(), "1 hour".into()),
            ],
            ..Body::default()
        };
        let text = render_text(&body);
        let starts: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("For how long:"))
            .collect();
        assert_eq!(starts, ["For how long: 1 hour"], "{text}");
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with("Decide here") || l.starts_with("https://evil")),
            "{text}"
        );
        assert!(text.contains("\n    | For how long: 1 minute\n"), "{text}");
    }
}
