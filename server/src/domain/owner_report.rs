//! "I don't recognise this": what an owner's report may say. Pure. What it is about is
//! `app::model::ReportSubject`; whether that access or request is the owner's is the
//! store's question (one that is not theirs is not found, so ids cannot be probed).

/// Longest note an owner may add to a report.
pub const MAX_NOTE_CHARS: usize = 1000;

/// Why a report is refused. Each message says what to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The note is too long or holds control characters.
    #[error("The note must be at most 1,000 characters of plain text.")]
    Note,
}

/// The owner's note as kept: trimmed, `None` when empty.
pub fn note(note: Option<&str>) -> Result<Option<String>, ReportError> {
    let Some(text) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(ReportError::Note);
    }
    super::text::accept(text, super::text::Lines::Many)
        .map(Some)
        .ok_or(ReportError::Note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_optional_plain_and_bounded() {
        assert_eq!(note(None), Ok(None));
        assert_eq!(note(Some("   ")), Ok(None));
        assert_eq!(
            note(Some(" I was asleep then \n")),
            Ok(Some("I was asleep then".into()))
        );
        assert_eq!(
            note(Some(&"x".repeat(MAX_NOTE_CHARS + 1))),
            Err(ReportError::Note)
        );
        assert_eq!(note(Some("bell \u{7}")), Err(ReportError::Note));
    }
}
