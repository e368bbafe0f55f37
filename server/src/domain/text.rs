//! One policy for every human-written field (justifications, reasons, incident text, names
//! that come from a sign-in provider): which characters it may hold. Text is shown to
//! owners in pages and plain-text emails, so it must not be able to read differently from
//! what it is (bidirectional and invisible format characters) or to start lines of its
//! own where the field has none (a forged "For how long: 1 minute" line).
//!
//! Refused everywhere: C0 and C1 controls (a line feed only where the field allows line
//! breaks; CR LF counts as one line feed), U+061C, U+200B–U+200F, U+202A–U+202E,
//! U+2066–U+2069, U+FEFF, and the Unicode line and paragraph separators U+2028/U+2029.
//! Tabs only in several-line fields.

/// Whether a field may hold line breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// One line (titles, names).
    One,
    /// Several lines (justifications, reasons, descriptions).
    Many,
}

/// A character no human-written field may hold, whatever its lines.
pub fn is_refused_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn allowed(c: char, lines: Lines) -> bool {
    if c == '\n' || c == '\t' {
        return lines == Lines::Many;
    }
    !(c.is_control() || is_refused_format(c))
}

/// The text as it is kept: trimmed, CR LF as LF. `None` when it holds a character the
/// policy refuses (the caller says which field, and what to change).
pub fn accept(s: &str, lines: Lines) -> Option<String> {
    // Every character counts, the surrounding ones too: a lone CR, or a line break in a
    // one-line field, is refused even where trimming would have hidden it.
    let s = s.replace("\r\n", "\n");
    s.chars()
        .all(|c| allowed(c, lines))
        .then(|| s.trim().to_string())
}

/// Text from elsewhere that must be shown anyway (a provider's `name` claim): every
/// refused character removed, line breaks and tabs become spaces, runs of spaces one.
pub fn neutralise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c == '\n' || c == '\r' || c == '\t' {
            ' '
        } else {
            c
        };
        if !allowed(c, Lines::One) {
            continue;
        }
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_breaks_only_where_the_field_allows_them() {
        assert_eq!(accept("a\r\nb", Lines::Many).as_deref(), Some("a\nb"));
        assert_eq!(accept("a\nb", Lines::One), None);
        assert_eq!(accept("a\rb", Lines::Many), None, "a lone CR is refused");
    }

    #[test]
    fn characters_at_the_edges_count_too() {
        // Trimming must not hide what the policy refuses (the API document's patterns say so).
        assert_eq!(accept("why\r", Lines::Many), None);
        assert_eq!(accept("title\n", Lines::One), None);
        assert_eq!(accept("\u{200E}why", Lines::Many), None);
        assert_eq!(accept("  why \n", Lines::Many).as_deref(), Some("why"));
    }

    #[test]
    fn bidi_invisible_and_separator_characters_are_refused_everywhere() {
        for c in [
            '\u{061C}', '\u{200B}', '\u{200E}', '\u{202E}', '\u{2067}', '\u{FEFF}', '\u{2028}',
            '\u{2029}', '\u{0085}', '\u{0007}',
        ] {
            assert_eq!(accept(&format!("ok{c}ok"), Lines::Many), None, "{:?}", c);
        }
        assert_eq!(
            accept("Grüße, 你好 — fine", Lines::One).as_deref(),
            Some("Grüße, 你好 — fine")
        );
    }

    #[test]
    fn a_providers_name_is_neutralised_not_refused() {
        assert_eq!(
            neutralise("Mallory\r\nSubject: you won\u{202E}gpj.exe"),
            "Mallory Subject: you wongpj.exe"
        );
        assert_eq!(neutralise("  Pat  \t Lee "), "Pat Lee");
    }

    proptest! {
        #[test]
        fn whatever_is_accepted_or_neutralised_holds_no_refused_character(s in "\\PC*|[\\x00-\\x1f\u{2028}\u{202e}\u{200b}a-z ]*") {
            if let Some(kept) = accept(&s, Lines::Many) {
                prop_assert!(kept.chars().all(|c| allowed(c, Lines::Many)));
            }
            let shown = neutralise(&s);
            prop_assert!(shown.chars().all(|c| allowed(c, Lines::One)));
        }
    }
}
